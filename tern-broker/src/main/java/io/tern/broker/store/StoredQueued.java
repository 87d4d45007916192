package io.tern.broker.store;

import java.util.List;

/**
 * A reference from a session to a stored message that the session must still deliver: queued,
 * or in flight with its QoS 2 state.
 *
 * @param seq the session's sequence number of the reference; a session's references are
 *     delivered in the order of their sequence numbers
 * @param messageId the key of the {@link StoredMessage}
 * @param qos the QoS it is delivered with (1 or 2)
 * @param retain the RETAIN flag it is delivered with
 * @param subscriptionIds the v5 Subscription Identifiers it is delivered with
 * @param packetId 0 while queued; the packet id once the PUBLISH was sent
 * @param released true once the client's PUBREC arrived and PUBREL was sent (QoS 2)
 */
public record StoredQueued(
    long seq, long messageId, int qos, boolean retain, List<Integer> subscriptionIds, int packetId,
    boolean released) {
  public StoredQueued {
    subscriptionIds = List.copyOf(subscriptionIds);
  }
}
