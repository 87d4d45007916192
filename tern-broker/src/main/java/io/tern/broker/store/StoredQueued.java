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
 * @param message the message itself, when this reference is its only one (then {@code messageId}
 *     is 0): a message routed to a single session is written once, with its reference, instead of
 *     as a record of its own plus a reference; null otherwise
 * @param run 0 for a reference written and removed on its own; otherwise the {@code seq} of the
 *     first reference of its <em>run</em>: the QoS 1 references that one publisher read queued for
 *     one session, with consecutive sequence numbers, put in order in one batch, never
 *     replaced, and removed together by {@link StoreBatch#removeRun} once each is delivered. A
 *     store may keep a run as one record (one write per read instead of one per message); after a
 *     restart a run comes back whole, so a QoS 1 message acknowledged before it may be sent again
 *     (flagged DUP, as QoS 1 allows). QoS 2 references are never in a run.
 * @param retainedOnSubscribe a retained message sent because of a new subscription, still queued
 *     (packet id 0): such messages do not count against the session's {@code max_queued_messages}
 *     (every matching retained message must be sent, MQTT-3.3.1-6), after a restart either. A
 *     store keeps this flag with the reference; one that does not (false) makes the message an
 *     ordinary queued one after the restart, under the bound.
 */
public record StoredQueued(
    long seq, long messageId, int qos, boolean retain, List<Integer> subscriptionIds, int packetId,
    boolean released, StoredMessage message, long run, boolean retainedOnSubscribe) {
  public StoredQueued {
    subscriptionIds = List.copyOf(subscriptionIds);
  }

  /** A reference that is not a retained message for a new subscription. */
  public StoredQueued(
      long seq, long messageId, int qos, boolean retain, List<Integer> subscriptionIds, int packetId,
      boolean released, StoredMessage message, long run) {
    this(seq, messageId, qos, retain, subscriptionIds, packetId, released, message, run, false);
  }

  /** A reference written and removed on its own (not in a run). */
  public StoredQueued(
      long seq, long messageId, int qos, boolean retain, List<Integer> subscriptionIds, int packetId,
      boolean released, StoredMessage message) {
    this(seq, messageId, qos, retain, subscriptionIds, packetId, released, message, 0);
  }

  /** A reference to a shared message record. */
  public StoredQueued(
      long seq, long messageId, int qos, boolean retain, List<Integer> subscriptionIds, int packetId,
      boolean released) {
    this(seq, messageId, qos, retain, subscriptionIds, packetId, released, null, 0);
  }
}
