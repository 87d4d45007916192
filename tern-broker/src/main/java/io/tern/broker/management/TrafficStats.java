package io.tern.broker.management;

/**
 * Counters of the traffic since the broker started, for metrics. Index {@code [q]} of an array is
 * QoS {@code q}.
 *
 * @param bytesReceived bytes read from client connections (on the wire)
 * @param bytesSent bytes written to client connections
 * @param messagesReceived PUBLISHes routed, by QoS (from clients, wills, and {@code Broker.publish})
 * @param messagesSent PUBLISHes sent to clients, by the QoS they were sent at (resends not counted)
 * @param payloadBytesReceived payload bytes of {@code messagesReceived}, by QoS
 * @param payloadBytesSent payload bytes of {@code messagesSent}, by QoS
 * @param droppedQueueFull messages dropped because a session's queue was full
 * @param droppedExpired messages not sent because their Message Expiry Interval passed
 * @param droppedTooLarge messages not sent because they exceed the client's Maximum Packet Size
 * @param droppedNotAuthorized messages not delivered because the subscriber may not receive them
 * @param inflight QoS 1/2 messages sent and not yet acknowledged, all sessions
 * @param queued messages waiting to be sent, all sessions
 */
public record TrafficStats(
    long bytesReceived,
    long bytesSent,
    long[] messagesReceived,
    long[] messagesSent,
    long[] payloadBytesReceived,
    long[] payloadBytesSent,
    long droppedQueueFull,
    long droppedExpired,
    long droppedTooLarge,
    long droppedNotAuthorized,
    long inflight,
    long queued) {

  // A record compares and prints its arrays by identity: this compares and prints their contents.
  @Override
  public boolean equals(Object o) {
    return o instanceof TrafficStats t && bytesReceived == t.bytesReceived && bytesSent == t.bytesSent
        && java.util.Arrays.equals(messagesReceived, t.messagesReceived)
        && java.util.Arrays.equals(messagesSent, t.messagesSent)
        && java.util.Arrays.equals(payloadBytesReceived, t.payloadBytesReceived)
        && java.util.Arrays.equals(payloadBytesSent, t.payloadBytesSent)
        && droppedQueueFull == t.droppedQueueFull && droppedExpired == t.droppedExpired
        && droppedTooLarge == t.droppedTooLarge && droppedNotAuthorized == t.droppedNotAuthorized
        && inflight == t.inflight && queued == t.queued;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(bytesReceived, bytesSent, java.util.Arrays.hashCode(messagesReceived),
        java.util.Arrays.hashCode(messagesSent), java.util.Arrays.hashCode(payloadBytesReceived),
        java.util.Arrays.hashCode(payloadBytesSent), droppedQueueFull, droppedExpired, droppedTooLarge,
        droppedNotAuthorized, inflight, queued);
  }

  @Override
  public String toString() {
    return "TrafficStats[bytesReceived=" + bytesReceived + ", bytesSent=" + bytesSent
        + ", messagesReceived=" + java.util.Arrays.toString(messagesReceived)
        + ", messagesSent=" + java.util.Arrays.toString(messagesSent)
        + ", payloadBytesReceived=" + java.util.Arrays.toString(payloadBytesReceived)
        + ", payloadBytesSent=" + java.util.Arrays.toString(payloadBytesSent)
        + ", droppedQueueFull=" + droppedQueueFull + ", droppedExpired=" + droppedExpired
        + ", droppedTooLarge=" + droppedTooLarge + ", droppedNotAuthorized=" + droppedNotAuthorized
        + ", inflight=" + inflight + ", queued=" + queued + "]";
  }
}
