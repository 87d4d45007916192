package io.tern.broker.management;

/**
 * One subscription of one session. Immutable.
 *
 * @param clientId the session's client identifier
 * @param filter the filter as subscribed, {@code $share/{group}/} prefix included
 * @param topicFilter the filter topics are matched against (without the share prefix)
 * @param shareGroup the group of a shared subscription, or {@code null}
 * @param qos the granted maximum QoS
 * @param noLocal v5 No Local
 * @param retainAsPublished v5 Retain As Published
 * @param retainHandling v5 Retain Handling (0, 1 or 2)
 * @param subscriptionId v5 Subscription Identifier, 0 when none
 */
public record SubscriptionSnapshot(
    String clientId,
    String filter,
    String topicFilter,
    String shareGroup,
    int qos,
    boolean noLocal,
    boolean retainAsPublished,
    int retainHandling,
    int subscriptionId) {}
