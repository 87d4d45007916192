package io.tern.broker.internal;

import java.util.List;

/**
 * One message for one session: the QoS and retain flag it is sent with, and the v5 subscription
 * identifiers of the subscriptions it matched (empty when none).
 *
 * @param seq the session's store sequence number of this delivery, 0 when it is not stored
 * @param redelivered whether it may have been sent before (read back from the store after a
 *     restart): its first PUBLISH then carries DUP (MQTT-3.3.1-1)
 */
record Delivery(
    Message message, int qos, boolean retain, List<Integer> subscriptionIds, long seq, boolean redelivered) {
  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds) {
    this(message, qos, retain, subscriptionIds, 0, false);
  }

  Delivery withSeq(long s) {
    return new Delivery(message, qos, retain, subscriptionIds, s, redelivered);
  }

  boolean stored() {
    return seq != 0;
  }
}
