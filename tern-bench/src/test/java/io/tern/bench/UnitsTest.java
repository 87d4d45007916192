package io.tern.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.codec.MqttVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnitsTest {
  @Test
  void optionsHaveTheDocumentedDefaults() throws Exception {
    BenchOptions o = BenchOptions.parse(new String[] {"fanin"});
    assertThat(o.scenario()).isEqualTo(Scenario.FANIN);
    assertThat(o.host()).isEqualTo("127.0.0.1");
    assertThat(o.port()).isEqualTo(1883);
    assertThat(o.publishers()).isEqualTo(8);
    assertThat(o.subscribers()).isEqualTo(1);
    assertThat(o.qos()).isZero();
    assertThat(o.payload()).isEqualTo(64);
    assertThat(o.durationSeconds()).isEqualTo(10);
    assertThat(o.warmupSeconds()).isEqualTo(2);
    assertThat(o.rate()).isZero();
    assertThat(o.threads()).isEqualTo(2);
    assertThat(o.window()).isEqualTo(64);
    assertThat(o.version()).isEqualTo(MqttVersion.V3_1_1);
  }

  @Test
  void optionsParseBothSpellings() throws Exception {
    BenchOptions o = BenchOptions.parse(new String[] {"p2p", "--pairs=3", "--qos", "2", "--rate", "10_000",
        "--mqtt", "5", "--label", "tern", "--quiet"});
    assertThat(o.publishers()).isEqualTo(3);
    assertThat(o.subscribers()).isEqualTo(3);
    assertThat(o.qos()).isEqualTo(2);
    assertThat(o.rate()).isEqualTo(10_000);
    assertThat(o.version()).isEqualTo(MqttVersion.V5);
    assertThat(o.label()).isEqualTo("tern");
    assertThat(o.quiet()).isTrue();
  }

  @Test
  void badOptionsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"fanin", "--qos", "3"})).hasMessageContaining("--qos");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"fanin", "--payload", "8"}))
        .hasMessageContaining("--payload");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"fanin", "--nope", "1"})).hasMessageContaining("--nope");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"fanout", "--publishers", "2"}))
        .hasMessageContaining("one publisher");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"fanin", "--port"})).hasMessageContaining("needs a value");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"bogus"})).hasMessageContaining("unknown scenario");
  }

  @Test
  void faninSubscribersTakeEveryPublisherThroughAWildcard() {
    Scenario.Topology t = Scenario.FANIN.topology(3, 1, "bench", "abc");
    assertThat(t.publisherTopics()).containsExactly("bench/0/abc", "bench/1/abc", "bench/2/abc");
    assertThat(t.subscribers()).hasSize(1);
    assertThat(t.subscribers().get(0).filter()).isEqualTo("bench/+/abc");
    assertThat(t.subscribers().get(0).expectedPublishers()).containsExactly(0, 1, 2);
    for (String topic : t.publisherTopics()) {
      assertThat(FakeBroker.matches(t.subscribers().get(0).filter(), topic)).isTrue();
    }
  }

  @Test
  void p2pPairsEachPublisherWithOneSubscriber() {
    Scenario.Topology t = Scenario.P2P.topology(2, 2, "bench", "r");
    assertThat(t.subscribers().get(1).filter()).isEqualTo("bench/1/r");
    assertThat(t.subscribers().get(1).expectedPublishers()).containsExactly(1);
  }

  @Test
  void payloadHeaderRoundTrips() {
    byte[] b = new byte[64];
    Payload.stamp(b, 123_456_789_012L, 7, 99_999);
    assertThat(Payload.sendNanos(b)).isEqualTo(123_456_789_012L);
    assertThat(Payload.publisher(b)).isEqualTo(7);
    assertThat(Payload.seq(b)).isEqualTo(99_999);
  }

  @Test
  void trackerCountsDuplicatesReorderingAndGaps() {
    StreamTracker t = new StreamTracker();
    assertThat(t.record(0)).isTrue();
    assertThat(t.record(2)).isTrue();
    assertThat(t.record(1)).isTrue(); // late
    assertThat(t.record(2)).isFalse(); // again
    assertThat(t.record(5)).isTrue();
    assertThat(t.unique()).isEqualTo(4);
    assertThat(t.duplicates()).isEqualTo(1);
    assertThat(t.outOfOrder()).isEqualTo(1);
    assertThat(t.missing(0, 5)).isEqualTo(2); // 3 and 4
    assertThat(t.missing(1, 2)).isZero();
    assertThat(t.missing(-1, -1)).isZero();
  }

  @Test
  void jsonRoundTrips() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "a \"quoted\" \\ line\n");
    m.put("n", 42L);
    m.put("d", 1.5);
    m.put("nothing", null);
    m.put("yes", true);
    String line = Json.write(m);
    assertThat(line).doesNotContain("\n");
    assertThat(Json.parse(line)).isEqualTo(m);
  }

  @Test
  void reportShowsEachBrokersBestRoundAndTernsRatio() {
    List<Map<String, Object>> lines = List.of(
        Json.parse("{\"type\":\"meta\",\"date\":\"2026-11-22\",\"java\":\"openjdk 17\",\"version_mosquitto\":\"2.0.11\","
            + "\"machine\":\"2 cores\",\"rounds\":2,\"command\":\"bench/compare.sh\"}"),
        Json.parse("{\"type\":\"skip\",\"broker\":\"hivemq\",\"reason\":\"not installed\"}"),
        result("tern", 100_000, 500.0),
        result("mosquitto", 80_000, 400.0),
        result("tern", 120_000, 450.0),
        result("mosquitto", 60_000, 900.0));
    String md = MarkdownReport.render(lines, "x.jsonl");
    assertThat(md).contains("# Benchmarks", "2026-11-22", "`bench/compare.sh`", "| mosquitto | 2.0.11 |",
        "**hivemq**: not installed", "## fanin, QoS 0: 8 publishers → 1 subscriber, 64 B payload, as fast as possible");
    assertThat(md).contains("| tern | 120,000 | 120,000 |").contains("100,000 / 120,000"); // best of the two rounds
    assertThat(md).contains("Tern ÷ best peer (mosquitto): delivered msg/s **×1.50**", "p99 latency **×1.13**");
    assertThat(md).doesNotContain("⚠");
  }

  @Test
  void reportFlagsRoundsDisturbedByOtherProcesses() {
    Map<String, Object> r = new LinkedHashMap<>(result("mosquitto", 80_000, 400.0));
    r.put("other_cpu_pct", 90.0);
    assertThat(MarkdownReport.render(List.of(r), "x.jsonl"))
        .contains("| 90% |", "⚠ Other processes used much of the machine during these rounds (mosquitto 90% of a core)");
  }

  private static Map<String, Object> result(String label, long rate, double p99) {
    return Json.parse("{\"scenario\":\"fanin\",\"label\":\"" + label + "\",\"qos\":0,\"publishers\":8,\"subscribers\":1,"
        + "\"payload\":64,\"rate\":0,\"duration_s\":10,\"warmup_s\":2,\"sent_per_s\":" + rate + ",\"delivered_per_s\":"
        + rate + ",\"lost\":0,\"duplicates\":0,\"p50_us\":100.0,\"p99_us\":" + p99 + ",\"p999_us\":900.0,"
        + "\"max_us\":1000.0,\"gen_cpu_pct\":50.0,\"broker_cpu_pct\":90.0}");
  }

  @Test
  void theBranchFreeWindowTestIncludesItsStartAndExcludesItsEnd() {
    long start = 37_366_279_164_000L; // nanoTime values of a machine up for ten hours
    long end = start + 10_000_000_000L;
    assertThat(BenchClient.inWindow(start - 1, start, end)).isZero();
    assertThat(BenchClient.inWindow(start, start, end)).isOne();
    assertThat(BenchClient.inWindow(start + 1, start, end)).isOne();
    assertThat(BenchClient.inWindow(end - 1, start, end)).isOne();
    assertThat(BenchClient.inWindow(end, start, end)).isZero();
    assertThat(BenchClient.inWindow(end + 5_000_000_000L, start, end)).isZero();
    assertThat(BenchClient.inWindow(0, start, end)).isZero();
    // A subscriber not armed yet has the window at Long.MAX_VALUE: nothing is inside.
    assertThat(BenchClient.inWindow(start, Long.MAX_VALUE, Long.MAX_VALUE)).isZero();
    assertThat(BenchClient.inWindow(-start, Long.MAX_VALUE, Long.MAX_VALUE)).isZero();
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 100_000; i++) {
      long t = start - 20_000_000_000L + (long) (random.nextDouble() * 40_000_000_000L);
      assertThat(BenchClient.inWindow(t, start, end)).isEqualTo(t >= start && t < end ? 1 : 0);
    }
  }
}
