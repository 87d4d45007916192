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
}
