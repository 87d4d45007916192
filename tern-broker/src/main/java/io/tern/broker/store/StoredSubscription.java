package io.tern.broker.store;

/**
 * One subscription of a stored session, with its options.
 *
 * @param qos the granted QoS
 * @param retainHandling the v5 Retain Handling option (0, 1 or 2)
 * @param subscriptionId the v5 Subscription Identifier, 0 when none
 */
public record StoredSubscription(
    String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling, int subscriptionId) {}
