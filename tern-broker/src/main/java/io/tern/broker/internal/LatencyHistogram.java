package io.tern.broker.internal;

import io.tern.broker.management.LatencySnapshot;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fixed buckets of publish-to-deliver latency, recorded lock-free from every event loop. Only a
 * sample of deliveries is recorded ({@link LatencySnapshot#SAMPLE_EVERY}), so a few atomic adds per
 * sample cost nothing measurable on the message path.
 */
final class LatencyHistogram {
  private static final long US = 1_000L;
  private static final long MS = 1_000_000L;
  /** Upper bounds (ns): 100 µs to 10 s, roughly 1-2.5-5 per decade, as Prometheus buckets usually go. */
  static final long[] BOUNDS = {
    100 * US, 250 * US, 500 * US, MS, 2_500 * US, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS,
    500 * MS, 1_000 * MS, 2_500 * MS, 5_000 * MS, 10_000 * MS
  };
  private final AtomicLongArray counts = new AtomicLongArray(BOUNDS.length + 1);
  private final LongAdder sum = new LongAdder();

  void record(long nanos) {
    if (nanos < 0) {
      nanos = 0;
    }
    int i = 0;
    while (i < BOUNDS.length && nanos > BOUNDS[i]) {
      i++;
    }
    counts.incrementAndGet(i);
    sum.add(nanos);
  }

  LatencySnapshot snapshot() {
    long[] c = new long[counts.length()];
    for (int i = 0; i < c.length; i++) {
      c[i] = counts.get(i);
    }
    return new LatencySnapshot(BOUNDS.clone(), c, sum.sum());
  }
}
