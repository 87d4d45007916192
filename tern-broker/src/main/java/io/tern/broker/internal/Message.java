package io.tern.broker.internal;

import io.tern.codec.Publish;

/**
 * An application message on its way through the broker: the PUBLISH as received (packet id 0, DUP
 * off), who sent it (for No Local) and when it arrived (for Message Expiry). Immutable and shared by
 * every delivery of the message.
 *
 * @param origin the client id of the publisher, or {@code null} for messages from inside the process
 */
record Message(Publish publish, String origin, long receivedAtNanos) {
  String topic() {
    return publish.topic();
  }

  int qos() {
    return publish.qos();
  }

  boolean retain() {
    return publish.retain();
  }

  /**
   * Seconds left of the Message Expiry Interval at {@code nowNanos} (v5 section 3.3.2.3.3): at most
   * the interval, 0 or less once expired; -1 when the message has no interval (never expires).
   */
  long remainingSeconds(long nowNanos) {
    Long interval = publish.properties().messageExpiryInterval();
    if (interval == null) {
      return -1;
    }
    long elapsed = (nowNanos - receivedAtNanos) / 1_000_000_000L;
    return Math.max(0, interval - elapsed);
  }

  /** True once the Message Expiry Interval has passed (MQTT-3.3.2-5: then it is not sent on). */
  boolean expired(long nowNanos) {
    Long interval = publish.properties().messageExpiryInterval();
    return interval != null && nowNanos - receivedAtNanos >= interval * 1_000_000_000L;
  }
}
