package io.tern.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** conns, retained, subs and the outstanding bound, against the fake broker; and their report tables. */
class ScenariosAgainstFakeBrokerTest {
  private record Outcome(int exit, String stdout, String stderr, Map<String, Object> json) {}

  private static Outcome run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String stdout = out.toString(StandardCharsets.UTF_8);
    Map<String, Object> json = stdout.lines().filter(l -> l.startsWith("{")).findFirst().map(Json::parse).orElse(null);
    return new Outcome(exit, stdout, err.toString(StandardCharsets.UTF_8), json);
  }

  private static long num(Map<String, Object> json, String key) {
    return ((Number) json.get(key)).longValue();
  }

  private static String self() {
    return Long.toString(ProcessHandle.current().pid());
  }

  @Test
  void connsOpensEveryConnectionFromSeveralSourceAddressesAndReportsMemory() throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("conns", "--port", "" + broker.port(), "--clients", "300", "--sources", "3", "--window", "50",
          "--duration", "0.3", "--warmup", "0.1", "--broker-pid", self(), "--quiet", "--label", "fake");
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(o.json()).containsEntry("scenario", "conns").containsEntry("label", "fake")
          .containsEntry("connected", 300L).containsEntry("failed", 0L).containsEntry("closed_during_hold", 0L)
          .containsEntry("sources", 3L);
      assertThat(num(o.json(), "connect_per_s")).isPositive();
      assertThat(num(o.json(), "rss_end_kib")).isPositive();
      assertThat(o.json().get("rss_per_conn_kib")).isNotNull();
      assertThat(o.stdout()).contains("conns fake: 300 of 300 connected");
    }
  }

  @Test
  void connsInWavesClosesEachWaveBeforeTheNextAndHoldsTheLast() throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("conns", "--port", "" + broker.port(), "--clients", "120", "--waves", "3", "--window", "40",
          "--duration", "0.2", "--warmup", "0.1", "--broker-pid", self(), "--quiet", "--label", "fake");
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(o.json()).containsEntry("connected", 120L).containsEntry("failed", 0L).containsEntry("waves", 3L)
          .containsEntry("closed_during_hold", 0L);
      assertThat(o.json().get("wave_connect_per_s").toString().split(" ")).hasSize(3);
      assertThat(o.stdout()).contains("conns fake (3 waves): 360 of 360 connected");
      // Each wave's clients were closed before the next connected (the broker may see the last
      // closes just after the next wave's first connects, but never two whole waves at once).
      assertThat(broker.maxOpenConnections()).isBetween(120, 160);
    }
  }

  @Test
  void reportShowsWavesApartWithTheirOwnConnectRateTarget() {
    List<Map<String, Object>> lines = List.of(
        Json.parse("{\"type\":\"meta\",\"date\":\"2026-11-22\",\"rounds\":1}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"tern\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":3000,\"rss_per_conn_kib\":3.5,"
            + "\"waves\":1}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"tern\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":5000,\"rss_per_conn_kib\":9.5,"
            + "\"waves\":3,\"wave_connect_per_s\":\"3000 6000 7000\"}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"mosquitto\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":4000,\"rss_per_conn_kib\":0.7,"
            + "\"waves\":1}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"mosquitto\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":4100,\"rss_per_conn_kib\":0.8,"
            + "\"waves\":3,\"wave_connect_per_s\":\"4000 4100 4200\"}"));
    String md = MarkdownReport.render(lines, "x.jsonl");
    assertThat(md).contains("## conns: 1,000 idle connections", "## conns: 3,000 connections in 3 waves of 1,000",
        "| 3,000 → 6,000 → 7,000 |",
        "| connect rate ≥ Mosquitto's, 1,000 connections | 3,000 vs 4,000 /s (×0.75) | **no** (25% short) |",
        "| connect rate ≥ Mosquitto's, 3,000 connections in 3 waves | 5,000 vs 4,100 /s (×1.22) | yes |",
        "| 1,000 idle connections, ≤ 4 KiB broker memory each | 3.50 KiB | yes |");
    // The memory target comes from the single wave only (waves leave garbage behind them).
    assertThat(md).doesNotContain("9.50 KiB |");
  }

  @Test
  void connsFailsWhenTheBrokerIsNotThere() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Outcome o = run("conns", "--port", "" + port, "--clients", "20", "--duration", "0.1", "--warmup", "0",
        "--quiet", "--connect-timeout", "1");
    assertThat(o.exit()).isEqualTo(BenchRun.EXIT_FAILED);
    assertThat(o.json()).containsEntry("connected", 0L).containsEntry("failed", 20L);
  }

  @Test
  void retainedSubscriberGetsEveryRetainedMessage() throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("retained", "--port", "" + broker.port(), "--messages", "3000", "--publishers", "3",
          "--warmup", "0.1", "--quiet", "--broker-pid", self());
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(o.json()).containsEntry("scenario", "retained").containsEntry("qos", 1L)
          .containsEntry("sent", 3000L).containsEntry("received", 3000L).containsEntry("missing", 0L)
          .containsEntry("duplicates", 0L);
      assertThat(num(o.json(), "publish_per_s")).isPositive();
    }
  }

  @Test
  void subsDeliversEachMessageToTheOneSubscribedClient() throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("subs", "--port", "" + broker.port(), "--clients", "20", "--subscriptions", "205",
          "--publishers", "2", "--qos", "1", "--rate", "2000", "--duration", "0.5", "--warmup", "0.2", "--quiet");
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(o.json()).containsEntry("scenario", "subs").containsEntry("subscriptions", 205L)
          .containsEntry("lost", 0L).containsEntry("unexpected", 0L);
      // 2,000/s for 0.5 s: about 1,000, fewer on a loaded machine (946 while another job ran).
      assertThat(num(o.json(), "sent")).isBetween(500L, 2_000L);
      assertThat(num(o.json(), "received")).isEqualTo(num(o.json(), "sent"));
      assertThat(o.json().get("p99_us")).isNotNull();
    }
  }

  @Test
  void aPublisherHeldBackByTheOutstandingBoundGoesOnWhenQos0MessagesAreDropped() throws Exception {
    try (FakeBroker broker = new FakeBroker(7)) {
      Outcome o = run("fanin", "--port", "" + broker.port(), "--publishers", "2", "--outstanding", "50",
          "--duration", "1.5", "--warmup", "0.1", "--quiet");
      assertThat(o.exit()).as(o.stderr()).isZero();
      // Dropped messages never arrive, so without giving up on them the publishers would stop for good.
      assertThat(num(o.json(), "stalls")).isPositive();
      // Each give-up (after 500 ms) lets a publisher send its 50 again.
      assertThat(num(o.json(), "sent")).isGreaterThan(150L);
      assertThat(num(o.json(), "lost")).isPositive();
    }
  }

  @Test
  void reportHasATableAndTargetsForConnsRetainedAndSubs() {
    List<Map<String, Object>> lines = List.of(
        Json.parse("{\"type\":\"meta\",\"date\":\"2026-11-22\",\"rounds\":1}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"tern\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":5000,\"rss_per_conn_kib\":3.5}"),
        Json.parse("{\"scenario\":\"conns\",\"label\":\"mosquitto\",\"clients\":1000,\"connected\":1000,\"failed\":0,"
            + "\"sources\":2,\"pending\":256,\"rate\":0,\"hold_s\":5,\"connect_per_s\":4000,\"rss_per_conn_kib\":0.7}"),
        Json.parse("{\"scenario\":\"retained\",\"label\":\"tern\",\"messages\":1000,\"qos\":1,\"payload\":64,"
            + "\"publishers\":4,\"sent\":1000,\"received\":1000,\"receive_s\":0.5,\"receive_per_s\":2000,"
            + "\"publish_per_s\":1000,\"rss_per_message_b\":300}"),
        Json.parse("{\"scenario\":\"retained\",\"label\":\"mosquitto\",\"messages\":1000,\"qos\":1,\"payload\":64,"
            + "\"publishers\":4,\"sent\":1000,\"received\":1000,\"receive_s\":1.0,\"receive_per_s\":1000,"
            + "\"publish_per_s\":1000,\"rss_per_message_b\":400}"),
        Json.parse("{\"scenario\":\"subs\",\"label\":\"tern\",\"clients\":10,\"subscriptions\":100,\"qos\":0,"
            + "\"publishers\":8,\"rate\":0,\"delivered_per_s\":3000,\"p99_us\":100.0,\"subscriptions_per_s\":50}"),
        Json.parse("{\"scenario\":\"subs\",\"label\":\"mosquitto\",\"clients\":10,\"subscriptions\":100,\"qos\":0,"
            + "\"publishers\":8,\"rate\":0,\"delivered_per_s\":1000,\"p99_us\":200.0,\"subscriptions_per_s\":100}"));
    String md = MarkdownReport.render(lines, "x.jsonl");
    assertThat(md).contains("## conns: 1,000 idle connections", "| tern | 1,000 | 0 |", "| 3.50 |",
        "| 1,000 idle connections, ≤ 4 KiB broker memory each | 3.50 KiB | yes |",
        "| connect rate ≥ Mosquitto's, 1,000 connections | 5,000 vs 4,000 /s (×1.25) | yes |",
        "Tern ÷ best peer (mosquitto): connect/s **×1.25**");
    assertThat(md).contains("## retained: 1,000 retained messages", "receive msg/s **×2.00**",
        "memory per message **×0.75**");
    assertThat(md).contains("## subs: 100 subscriptions over 10 clients", "delivered msg/s **×3.00**",
        "subscriptions/s **×0.50**");

    String section = MarkdownReport.render(lines, "x.jsonl", "extra");
    assertThat(section).startsWith("<!-- section: extra -->\n## ").endsWith("<!-- end section: extra -->\n")
        .contains("### conns: 1,000 idle connections");
  }
}
