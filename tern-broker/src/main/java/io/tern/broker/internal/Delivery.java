package io.tern.broker.internal;

import java.util.List;

/**
 * One message for one session: the QoS and retain flag it is sent with, and the v5 subscription
 * identifiers of the subscriptions it matched (empty when none).
 *
 * @param sharedFilter the {@code $share/...} filter this delivery was chosen for, so that another
 *     member can take it over when this session ends unacknowledged; null when not shared
 * @param seq the session's store sequence number of this delivery, 0 when it is not stored
 * @param redelivered whether it may have been sent before (read back from the store after a
 *     restart): its first PUBLISH then carries DUP (MQTT-3.3.1-1)
 * @param run the stored run it belongs to (a QoS 1 delivery stored with the others of its read),
 *     or null when it is stored on its own (QoS 2) or not at all
 * @param onSubscribe a retained message sent for a new subscription (see {@link #retainedOnSubscribe})
 * @param retainedSource for such a delivery made now, the retained store's message it was read
 *     from (see {@link #retainedOnSubscribe}); null otherwise. (Free in memory: it fits the
 *     object's padding.)
 */
record Delivery(
    Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter, long seq,
    boolean redelivered, QueueRun run, boolean onSubscribe, Message retainedSource) {
  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter, long seq,
      boolean redelivered, QueueRun run, boolean onSubscribe) {
    this(message, qos, retain, subscriptionIds, sharedFilter, seq, redelivered, run, onSubscribe, null);
  }

  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter, long seq,
      boolean redelivered, QueueRun run) {
    this(message, qos, retain, subscriptionIds, sharedFilter, seq, redelivered, run, false, null);
  }

  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter) {
    this(message, qos, retain, subscriptionIds, sharedFilter, 0, false, null, false, null);
  }

  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds) {
    this(message, qos, retain, subscriptionIds, null, 0, false, null, false, null);
  }

  /**
   * A retained message sent because a subscription was made (MQTT-3.3.1-6: each matching topic's
   * retained message MUST be sent). Such deliveries do not count against {@code max_queued_messages}:
   * a wide filter over many retained topics gets them all, paced by the in-flight window and the
   * socket, instead of the first thousand. Their own bound is per session (the retained store's size
   * plus that setting, see {@code Session.admitRetained}); they count in the broker's outbound memory
   * as any other.
   *
   * <p>{@code source} is the retained store's message read for it ({@code message} unless a deliver
   * hook changed it). Read on the subscriber's loop while a publisher's loop may be storing a newer
   * one: that newer one goes to the new subscription as a live message (the store is written
   * before the subscribers are matched), and could reach the session's queue before this older
   * one. The session leaves out a retained delivery whose source is no longer the topic's
   * retained message when it queues it (MQTT-4.6.0-6: never an older message after a newer one;
   * found by a black-box probe, 1 in 40-60 tries of a SUBSCRIBE during a stream of retained
   * publishes).
   */
  static Delivery retainedOnSubscribe(Message message, int qos, List<Integer> subscriptionIds, Message source) {
    return new Delivery(message, qos, true, subscriptionIds, null, 0, false, null, true, source);
  }

  Delivery withSeq(long s, QueueRun r) {
    return new Delivery(message, qos, retain, subscriptionIds, sharedFilter, s, redelivered, r, onSubscribe,
        retainedSource);
  }

  boolean stored() {
    return seq != 0;
  }
}
