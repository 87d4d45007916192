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
    long queued) {}
