package io.tern.broker.internal;

/**
 * One subscription of one session in the trie: immutable, replaced as a whole when the session
 * subscribes again to the same filter (MQTT-3.8.4-3).
 *
 * @param subscriptionId the v5 Subscription Identifier, 0 when none
 */
record Subscriber(
    Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling,
    int subscriptionId) {}
