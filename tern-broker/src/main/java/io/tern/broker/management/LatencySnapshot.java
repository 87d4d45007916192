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
}
