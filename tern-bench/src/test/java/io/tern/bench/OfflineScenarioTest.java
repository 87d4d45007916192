package io.tern.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.store.InMemoryStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code offline} against a real Tern broker (persistent sessions, a store), and its report table. */
class OfflineScenarioTest {
  @Test
  void offlineSubscribersGetEveryMessageWhenTheyComeBack() {
    Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).store(new InMemoryStore())
        .configure(b -> b.maxQueuedMessages(10_000)).build().start();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Main.run(new String[] {"offline", "--port", "" + broker.port(), "--messages", "3000",
          "--publishers", "3", "--subscribers", "2", "--quiet", "--label", "tern"},
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      String stdout = out.toString(StandardCharsets.UTF_8);
      assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
      Map<String, Object> json = stdout.lines().filter(l -> l.startsWith("{")).findFirst().map(Json::parse).orElseThrow();
      assertThat(json).containsEntry("scenario", "offline").containsEntry("qos", 1L).containsEntry("sent", 3000L)
          .containsEntry("received", 6000L).containsEntry("missing", 0L).containsEntry("persistent", true);
      assertThat(((Number) json.get("drain_per_s")).longValue()).isPositive();
      assertThat(stdout).contains("offline tern qos1 3->2 64B: 3,000 published to offline subscribers");
    } finally {
      broker.stop();
    }
  }

  @Test
  void offlineFailsWhenTheBrokerKeepsNothingForSubscribersThatAreAway() {
    // Without persistent sessions kept (max_session_expiry 0 turns every session into a clean one),
    // nothing waits for the subscribers: the run must say so, not report a drain.
    Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).configure(b -> b.maxSessionExpiryInterval(0))
        .build().start();
    try {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Main.run(new String[] {"offline", "--port", "" + broker.port(), "--messages", "300",
          "--publishers", "3", "--quiet", "--mqtt", "5"},
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(exit).isEqualTo(BenchRun.EXIT_FAILED);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("FAIL").contains("300 deliveries missing").contains("found no session kept");
    } finally {
      broker.stop();
    }
  }

  @Test
  void reportHasAnOfflineTable() {
    List<Map<String, Object>> lines = List.of(
        Json.parse("{\"type\":\"meta\",\"date\":\"2026-11-22\",\"rounds\":1}"),
        Json.parse("{\"scenario\":\"offline\",\"label\":\"tern_process\",\"messages\":1000,\"qos\":1,\"payload\":64,"
            + "\"publishers\":8,\"subscribers\":1,\"sent\":1000,\"publish_per_s\":5000,\"broker_cpu_publish_pct\":90.5,"
            + "\"received\":1000,\"missing\":0,\"duplicates\":0,\"drain_s\":0.5,\"drain_per_s\":2000,"
            + "\"broker_cpu_drain_pct\":80.0}"));
    String md = MarkdownReport.render(lines, "x.jsonl");
    assertThat(md).contains("## offline: 8 publishers → 1 persistent subscriber(s) that are away",
        "| tern_process | 1,000 | 5,000 | 90.5% | 1,000 | 0 | 0 | 0.5 | 2,000 | 80.0% | 5,000 / 2,000 |");
  }
}
