package io.tern.broker.store;

import io.tern.codec.Publish;
import java.util.Objects;

/**
 * An application message as stored once, however many sessions hold it: the PUBLISH as received
 * (topic, QoS, retain, payload, v5 properties; packet id 0, DUP off) and who sent it.
 *
 * @param origin the publisher's client id, or {@code null} for a message from inside the process
 */
public record StoredMessage(Publish publish, String origin) {
  public StoredMessage {
    Objects.requireNonNull(publish, "publish");
  }
}
