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
 */
record Delivery(
    Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter, long seq,
    boolean redelivered, QueueRun run, boolean onSubscribe) {
  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter, long seq,
      boolean redelivered, QueueRun run) {
    this(message, qos, retain, subscriptionIds, sharedFilter, seq, redelivered, run, false);
  }

  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter) {
    this(message, qos, retain, subscriptionIds, sharedFilter, 0, false, null, false);
  }

  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds) {
    this(message, qos, retain, subscriptionIds, null, 0, false, null, false);
  }

  /**
   * A retained message sent because a subscription was made (MQTT-3.3.1-6: each matching topic's
   * retained message MUST be sent). Such deliveries do not count against {@code max_queued_messages}:
   * a wide filter over many retained topics gets them all, paced by the in-flight window and the
   * socket, instead of the first thousand. Their own bound is per session (the retained store's size
   * plus that setting, see {@code Session.admitRetained}); they count in the broker's outbound memory
   * as any other.
   *
   * <p>Made and queued under {@code BrokerCore}'s retained order with the subscription itself, so
   * that a retained message published meanwhile reaches the subscription once: as this delivery
   * or as a live one after it (see {@code BrokerCore.subscribeInRetainedOrder}).
   */
  static Delivery retainedOnSubscribe(Message message, int qos, List<Integer> subscriptionIds) {
    return new Delivery(message, qos, true, subscriptionIds, null, 0, false, null, true);
  }

  Delivery withSeq(long s, QueueRun r) {
    return new Delivery(message, qos, retain, subscriptionIds, sharedFilter, s, redelivered, r, onSubscribe);
  }

  boolean stored() {
    return seq != 0;
  }
}
