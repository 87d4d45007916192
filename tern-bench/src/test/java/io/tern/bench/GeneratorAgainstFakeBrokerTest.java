package io.tern.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorAgainstFakeBrokerTest {
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

  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {0, 1, 2})
  void faninAtAFixedRateDeliversEveryMessageOnce(int qos) throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("fanin", "--port", "" + broker.port(), "--publishers", "4", "--qos", "" + qos,
          "--rate", "8000", "--duration", "1", "--warmup", "0.3", "--quiet", "--label", "fake");
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(o.json()).containsEntry("scenario", "fanin").containsEntry("label", "fake")
          .containsEntry("qos", (long) qos).containsEntry("publishers", 4L);
      assertThat(num(o.json(), "sent")).isBetween(7_000L, 9_000L);
      assertThat(num(o.json(), "lost")).isZero();
      assertThat(num(o.json(), "lost_overall")).isZero();
      assertThat(num(o.json(), "duplicates")).isZero();
      assertThat(num(o.json(), "unacked_at_end")).isZero();
      assertThat(o.json().get("p50_us")).isNotNull();
      assertThat(o.stdout()).contains("fanin fake qos" + qos + " 4->1 64B @8000/s");
    }
  }

  @Test
  void lossIsCountedPerMessageSentInTheWindow() throws Exception {
    try (FakeBroker broker = new FakeBroker(10)) {
      Outcome o = run("fanin", "--port", "" + broker.port(), "--publishers", "2", "--rate", "10000",
          "--duration", "1", "--warmup", "0.2", "--quiet");
      assertThat(o.exit()).as(o.stderr()).isZero(); // QoS 0 loss is reported, not a failure
      double lostPct = ((Number) o.json().get("lost_pct")).doubleValue();
      assertThat(lostPct).isBetween(9.0, 11.0);
      assertThat(num(o.json(), "lost")).isPositive();
      assertThat(num(o.json(), "lost_overall")).isGreaterThanOrEqualTo(num(o.json(), "lost"));
      assertThat(num(o.json(), "duplicates")).isZero();
    }
  }

  @Test
  void qos1LossFailsTheRun() throws Exception {
    try (FakeBroker broker = new FakeBroker(50)) {
      Outcome o = run("fanin", "--port", "" + broker.port(), "--publishers", "2", "--qos", "1", "--rate", "5000",
          "--duration", "0.5", "--warmup", "0", "--grace", "0.5", "--quiet");
      assertThat(o.exit()).isEqualTo(BenchRun.EXIT_FAILED);
      assertThat(o.stderr()).contains("FAIL: QoS 1 lost");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"fanout", "p2p"})
  void otherScenariosDeliverToEverySubscriber(String scenario) throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run(scenario, "--port", "" + broker.port(), "--qos", "1", "--rate", "4000",
          "--duration", "0.5", "--warmup", "0", "--quiet", scenario.equals("p2p") ? "--pairs" : "--subscribers", "3");
      assertThat(o.exit()).as(o.stderr()).isZero();
      long sent = num(o.json(), "sent");
      long factor = scenario.equals("fanout") ? 3 : 1;
      assertThat(num(o.json(), "delivered")).isBetween(sent * factor - 200, sent * factor + 200);
      assertThat(num(o.json(), "lost")).isZero();
    }
  }

  @Test
  void asFastAsPossibleStaysLossless() throws Exception {
    try (FakeBroker broker = new FakeBroker(0)) {
      Outcome o = run("fanin", "--port", "" + broker.port(), "--publishers", "2", "--qos", "1",
          "--duration", "0.5", "--warmup", "0.2", "--quiet", "--threads", "1");
      assertThat(o.exit()).as(o.stderr()).isZero();
      assertThat(num(o.json(), "sent")).isPositive();
      assertThat(num(o.json(), "lost_overall")).isZero();
    }
  }

  @Test
  void aRefusedConnectionExitsWithTwo() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Outcome o = run("fanin", "--port", "" + port, "--duration", "1", "--quiet", "--connect-timeout", "2");
    assertThat(o.exit()).isEqualTo(BenchRun.EXIT_CONNECT);
    assertThat(o.stderr()).contains("cannot connect to 127.0.0.1:" + port);
  }
}
