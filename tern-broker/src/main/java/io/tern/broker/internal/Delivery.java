package io.tern.broker.internal;

import java.util.List;

/**
 * One message for one session: the QoS and retain flag it is sent with, and the v5 subscription
 * identifiers of the subscriptions it matched (empty when none).
 *
 * @param sharedFilter the {@code $share/...} filter this delivery was chosen for, so that another
 *     member can take it over when this session ends unacknowledged; null when not shared
 */
record Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String sharedFilter) {
  Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds) {
    this(message, qos, retain, subscriptionIds, null);
  }
}
