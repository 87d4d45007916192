package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.management.LatencySnapshot;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void samplesLandInTheFirstBucketTheyDoNotExceed() {
    LatencyHistogram h = new LatencyHistogram();
    h.record(-5);               // a clock step back counts as 0
    h.record(100_000);          // exactly 100 µs: the first bucket (le 100 µs)
    h.record(100_001);          // just above: the second
    h.record(3_000_000);        // 3 ms: le 5 ms
    h.record(60_000_000_000L);  // a minute: above the last bound
    LatencySnapshot s = h.snapshot();
    assertThat(s.counts()).hasSize(s.upperBoundsNanos().length + 1);
    assertThat(s.counts()[0]).isEqualTo(2);
    assertThat(s.counts()[1]).isEqualTo(1);
    int fiveMs = java.util.Arrays.binarySearch(s.upperBoundsNanos(), 5_000_000L);
    assertThat(s.counts()[fiveMs]).isEqualTo(1);
    assertThat(s.counts()[s.counts().length - 1]).isEqualTo(1);
    assertThat(s.count()).isEqualTo(5);
    assertThat(s.sumNanos()).isEqualTo(100_000 + 100_001 + 3_000_000 + 60_000_000_000L);
  }
}
