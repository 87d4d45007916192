package io.tern.broker.management;

/**
 * A histogram of publish-to-deliver latency: the time from the broker receiving a PUBLISH to it
 * writing the PUBLISH to a subscriber's connection. Sampled (one delivery in {@link
 * #SAMPLE_EVERY} per session), so {@code count} is the number of samples, not of deliveries.
 *
 * @param upperBoundsNanos upper bounds of the buckets, ascending; the last bucket ({@code
 *     counts[upperBoundsNanos.length]}) holds everything above
 * @param counts samples per bucket (not cumulative); one longer than {@code upperBoundsNanos}
 * @param sumNanos the sum of all samples
 */
public record LatencySnapshot(long[] upperBoundsNanos, long[] counts, long sumNanos) {
  /** One delivery in this many is measured, per session. */
  public static final int SAMPLE_EVERY = 64;

  /** The number of samples. */
  public long count() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  // A record compares and prints its arrays by identity: these compare and print their contents.
  @Override
  public boolean equals(Object o) {
    return o instanceof LatencySnapshot l && sumNanos == l.sumNanos
        && java.util.Arrays.equals(upperBoundsNanos, l.upperBoundsNanos) && java.util.Arrays.equals(counts, l.counts);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * java.util.Arrays.hashCode(upperBoundsNanos) + java.util.Arrays.hashCode(counts))
        + Long.hashCode(sumNanos);
  }

  @Override
  public String toString() {
    return "LatencySnapshot[upperBoundsNanos=" + java.util.Arrays.toString(upperBoundsNanos) + ", counts="
        + java.util.Arrays.toString(counts) + ", sumNanos=" + sumNanos + "]";
  }
}
