package io.tern.broker.store;

import io.tern.codec.Publish;
import java.util.Objects;

/**
 * An application message as stored once, however many sessions hold it: the PUBLISH as received
 * (topic, QoS, retain, payload, v5 properties; packet id 0, DUP off), who sent it and when its
 * Message Expiry Interval runs out.
 *
 * @param origin the publisher's client id, or {@code null} for a message from inside the process
 * @param expiresAtMillis when the message expires, in milliseconds since the epoch (wall clock, so
 *     that the time the broker was down counts too), or 0 when it has no Message Expiry Interval
 */
public record StoredMessage(Publish publish, String origin, long expiresAtMillis) {
  public StoredMessage {
    Objects.requireNonNull(publish, "publish");
  }

  /** A message without an expiry deadline. */
  public StoredMessage(Publish publish, String origin) {
    this(publish, origin, 0);
  }
}
