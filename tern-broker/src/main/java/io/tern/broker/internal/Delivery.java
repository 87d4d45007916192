package io.tern.broker.internal;

import java.util.List;

/**
 * One message for one session: the QoS and retain flag it is sent with, and the v5 subscription
 * identifiers of the subscriptions it matched (empty when none).
 */
record Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds) {}
