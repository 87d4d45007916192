package io.tern.broker.store;

import java.util.List;
import java.util.Set;

/**
 * A persistent session as read back at start-up.
 *
 * @param expiryInterval the Session Expiry Interval in seconds; {@link #NEVER} (0xFFFFFFFF) for a
 *     session that never expires, which is what an MQTT 3.1/3.1.1 persistent session is
 * @param disconnectedAtMillis when its client went away (milliseconds since the epoch), or 0 when
 *     it was connected as the broker stopped
 * @param queue its references to messages still to deliver, in sequence order
 * @param inboundQos2 packet ids of QoS 2 messages received from its client and awaiting PUBREL
 * @param sentThroughSeq the sequence number up to which queued messages may have been sent to the
 *     client, as known when it went away ({@link StoreBatch#putSession(String, long, long, long)});
 *     those after it were never sent, and go without DUP. {@link #UNKNOWN}: any may have been
 */
public record StoredSession(
    String clientId, long expiryInterval, long disconnectedAtMillis, List<StoredSubscription> subscriptions,
    List<StoredQueued> queue, Set<Integer> inboundQos2, long sentThroughSeq) {
  /** The expiry interval of a session that never expires (MQTT 5 section 3.1.2.11.2). */
  public static final long NEVER = 0xFFFFFFFFL;
  /** {@link #sentThroughSeq} when not known: every queued message may have been sent. */
  public static final long UNKNOWN = -1;

  /** A session whose sent messages are not known ({@link #UNKNOWN}). */
  public StoredSession(String clientId, long expiryInterval, long disconnectedAtMillis,
      List<StoredSubscription> subscriptions, List<StoredQueued> queue, Set<Integer> inboundQos2) {
    this(clientId, expiryInterval, disconnectedAtMillis, subscriptions, queue, inboundQos2, UNKNOWN);
  }

  public StoredSession {
    subscriptions = List.copyOf(subscriptions);
    queue = List.copyOf(queue);
    inboundQos2 = Set.copyOf(inboundQos2);
  }

  /** Whether the session has expired at {@code nowMillis} (a connected one never has). */
  public boolean expiredAt(long nowMillis) {
    return expiryInterval != NEVER && disconnectedAtMillis > 0
        && disconnectedAtMillis + expiryInterval * 1000 <= nowMillis;
  }
}
