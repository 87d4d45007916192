package io.tern.server.config;

import io.tern.broker.BrokerConfig;
import io.tern.broker.SharedSubscriptionPolicy;
import io.tern.broker.TopicAliasPolicy;
import java.util.Objects;

/**
 * The MQTT features the broker offers, under {@code mqtt:}: what MQTT 5 clients are told in CONNACK
 * and held to. Defaults are the broker's own ({@link BrokerConfig#defaults()}).
 *
 * @param retainAvailable whether retained messages are supported
 * @param wildcardSubscriptions whether filters may use {@code +} and {@code #}
 * @param subscriptionIdentifiers whether SUBSCRIBE may carry a Subscription Identifier
 * @param sharedSubscriptions whether {@code $share/{group}/{filter}} subscriptions are supported
 * @param sharedSubscriptionPolicy how a shared subscription's message picks its member
 * @param outboundTopicAliases whether the broker uses topic aliases towards clients that allow them
 * @param responseInformation sent to MQTT 5 clients that ask for it; null for none
 * @param maxRetainedMessages retained messages kept at most (a client's retained PUBLISH to a new
 *     topic beyond it is refused with 0x97 Quota exceeded); 0: no limit
 * @param maxRetainedBytes bytes of retained messages kept at most (payload and topic); 0: the
 *     broker's default, a quarter of the JVM's maximum heap
 */
public record MqttConfig(
    boolean retainAvailable,
    boolean wildcardSubscriptions,
    boolean subscriptionIdentifiers,
    boolean sharedSubscriptions,
    SharedSubscriptionPolicy sharedSubscriptionPolicy,
    TopicAliasPolicy outboundTopicAliases,
    String responseInformation,
    int maxRetainedMessages,
    long maxRetainedBytes) {

  public MqttConfig {
    Objects.requireNonNull(sharedSubscriptionPolicy, "sharedSubscriptionPolicy");
    Objects.requireNonNull(outboundTopicAliases, "outboundTopicAliases");
  }

  public static MqttConfig defaults() {
    BrokerConfig d = BrokerConfig.defaults();
    return new MqttConfig(d.retainAvailable(), d.wildcardSubscriptionsAvailable(),
        d.subscriptionIdentifiersAvailable(), d.sharedSubscriptionsAvailable(), d.sharedSubscriptionPolicy(),
        d.outboundTopicAliases(), d.responseInformation(), d.maxRetainedMessages(), 0);
  }

  void applyTo(BrokerConfig.Builder b) {
    b.retainAvailable(retainAvailable)
        .wildcardSubscriptionsAvailable(wildcardSubscriptions)
        .subscriptionIdentifiersAvailable(subscriptionIdentifiers)
        .sharedSubscriptionsAvailable(sharedSubscriptions)
        .sharedSubscriptionPolicy(sharedSubscriptionPolicy)
        .outboundTopicAliases(outboundTopicAliases)
        .responseInformation(responseInformation)
        .maxRetainedMessages(maxRetainedMessages);
    if (maxRetainedBytes > 0) {
      b.maxRetainedBytes(maxRetainedBytes);
    }
  }
}
