package io.tern.broker.management;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The management snapshots that hold arrays compare and print their contents, not the arrays' identity. */
class SnapshotRecordsTest {
  @Test
  void latencySnapshotsCompareAndPrintTheirCounts() {
    LatencySnapshot a = new LatencySnapshot(new long[] {1000, 2000}, new long[] {3, 4}, 9000);
    LatencySnapshot b = new LatencySnapshot(new long[] {1000, 2000}, new long[] {3, 4}, 9000);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(new LatencySnapshot(new long[] {1000, 2000}, new long[] {3, 5}, 9000));
    assertThat(a.toString()).contains("counts=[3, 4]").contains("sumNanos=9000");
  }

  @Test
  void trafficStatsCompareAndPrintTheirCountsByQos() {
    TrafficStats a = new TrafficStats(1, 2, new long[] {3, 4, 5}, new long[] {6, 7, 8}, new long[] {9, 10, 11},
        new long[] {12, 13, 14}, 15, 16, 17, 18, 19, 20);
    TrafficStats b = new TrafficStats(1, 2, new long[] {3, 4, 5}, new long[] {6, 7, 8}, new long[] {9, 10, 11},
        new long[] {12, 13, 14}, 15, 16, 17, 18, 19, 20);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.toString()).contains("messagesReceived=[3, 4, 5]").contains("queued=20");
  }
}
