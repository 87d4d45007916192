package io.tern.broker.management;

import java.time.Instant;
import java.util.Map;

/**
 * A retained message. Immutable (the payload is a copy).
 *
 * @param topic its topic
 * @param qos the QoS it was published with
 * @param payload the payload bytes (a copy), or only the first of them when read with a limit
 *     ({@link BrokerManagement#retainedMessage(String, int)}): see {@link #truncated()}
 * @param payloadSize the whole payload's size in bytes, also when {@code payload} holds less
 * @param receivedAt when the broker received it (approximately: from the broker's monotonic clock)
 * @param messageExpiryInterval what is left of the v5 Message Expiry Interval, in seconds (as a new
 *     subscriber would be given it), or {@code null} for none
 * @param contentType v5 Content Type, or {@code null}
 * @param userProperties v5 user properties (names unique here: the last value wins)
 */
public record RetainedMessage(
    String topic, int qos, byte[] payload, int payloadSize, Instant receivedAt, Long messageExpiryInterval,
    String contentType, Map<String, String> userProperties) {
  /** A message with its whole payload. */
  public RetainedMessage(String topic, int qos, byte[] payload, Instant receivedAt, Long messageExpiryInterval,
      String contentType, Map<String, String> userProperties) {
    this(topic, qos, payload, payload.length, receivedAt, messageExpiryInterval, contentType, userProperties);
  }

  /** Whether {@code payload} holds only the first bytes of the payload ({@code payloadSize} is its size). */
  public boolean truncated() {
    return payload.length < payloadSize;
  }
}
