package io.tern.broker.store;

import io.tern.codec.Publish;

/**
 * A will message of a persistent session: waiting for its delay (v5 Will Delay Interval) to run
 * out, or {@linkplain #armed armed} while its client is connected, so that a crash of the broker
 * does not lose it (MQTT 5 section 4.1: the will is part of the session state).
 *
 * @param publishAtMillis when to publish it, in milliseconds since the epoch; negative for an armed
 *     will ({@link #armedDelaySeconds()})
 */
public record StoredWill(Publish will, long publishAtMillis) {
  /**
   * The will of a connected client, to be published {@code delaySeconds} after the client goes
   * away: after a restart that found it (the broker stopped without its client's connection
   * closing: a crash), counted from when the broker was last known to run ({@link
   * StoredState#aliveAtMillis}), or from the restart when that is unknown.
   */
  public static StoredWill armed(Publish will, long delaySeconds) {
    return new StoredWill(will, -1 - delaySeconds);
  }

  /** Whether this is the will of a client that was connected ({@link #armed}). */
  public boolean armed() {
    return publishAtMillis < 0;
  }

  /** The Will Delay Interval of an {@link #armed} will, in seconds. */
  public long armedDelaySeconds() {
    return -1 - publishAtMillis;
  }
}
