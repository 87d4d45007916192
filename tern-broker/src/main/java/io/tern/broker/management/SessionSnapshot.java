package io.tern.broker.management;

import java.time.Instant;

/**
 * One session as it was at some moment. Immutable.
 *
 * @param clientId the client identifier the session belongs to
 * @param online whether a connection is attached
 * @param subscriptions the number of its subscriptions
 * @param expiryInterval Session Expiry Interval in seconds (0: ends with its connection;
 *     4294967295: never)
 * @param expiresAt when an offline session ends unless its client comes back; {@code null} while
 *     online or when it never expires
 * @param queued messages waiting to be sent
 * @param queuedBytes bytes of the messages waiting to be sent, as {@code maxQueuedBytes} counts them
 *     (payload and topic; those already handed to the session's event loop: a batch still in
 *     hand-off is counted in {@code queued} only)
 * @param inflight QoS 1/2 messages sent and not yet acknowledged
 * @param dropped messages dropped for this session since it began
 */
public record SessionSnapshot(
    String clientId,
    boolean online,
    int subscriptions,
    long expiryInterval,
    Instant expiresAt,
    int queued,
    long queuedBytes,
    int inflight,
    long dropped) {}
