package io.tern.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The MQTT 5 settings of {@link BrokerConfig}: defaults, round trip, validation. */
class BrokerConfigMqtt5Test {

  @Test
  void defaults() {
    BrokerConfig c = BrokerConfig.defaults();
    assertThat(c.receiveMaximum()).isEqualTo(1024);
    assertThat(c.topicAliasMaximum()).isEqualTo(32);
    assertThat(c.outboundTopicAliases()).isEqualTo(TopicAliasPolicy.LRU);
    assertThat(c.retainAvailable()).isTrue();
    assertThat(c.wildcardSubscriptionsAvailable()).isTrue();
    assertThat(c.subscriptionIdentifiersAvailable()).isTrue();
    assertThat(c.sharedSubscriptionsAvailable()).isTrue();
    assertThat(c.sharedSubscriptionPolicy()).isEqualTo(SharedSubscriptionPolicy.ROUND_ROBIN);
    assertThat(c.serverKeepAlive()).isZero();
    assertThat(c.maxSessionExpiryInterval()).isEqualTo(0xFFFF_FFFFL);
    assertThat(c.responseInformation()).isNull();
  }

  @Test
  void toBuilderKeepsEverySetting() {
    BrokerConfig c = BrokerConfig.builder().receiveMaximum(5).topicAliasMaximum(0)
        .outboundTopicAliases(TopicAliasPolicy.NONE).retainAvailable(false).wildcardSubscriptionsAvailable(false)
        .subscriptionIdentifiersAvailable(false).sharedSubscriptionsAvailable(false)
        .sharedSubscriptionPolicy(SharedSubscriptionPolicy.LEAST_LOADED).serverKeepAlive(9)
        .maxSessionExpiryInterval(60).responseInformation("r/").build();
    BrokerConfig copy = c.toBuilder().build();
    assertThat(copy.receiveMaximum()).isEqualTo(5);
    assertThat(copy.topicAliasMaximum()).isZero();
    assertThat(copy.outboundTopicAliases()).isEqualTo(TopicAliasPolicy.NONE);
    assertThat(copy.retainAvailable()).isFalse();
    assertThat(copy.wildcardSubscriptionsAvailable()).isFalse();
    assertThat(copy.subscriptionIdentifiersAvailable()).isFalse();
    assertThat(copy.sharedSubscriptionsAvailable()).isFalse();
    assertThat(copy.sharedSubscriptionPolicy()).isEqualTo(SharedSubscriptionPolicy.LEAST_LOADED);
    assertThat(copy.serverKeepAlive()).isEqualTo(9);
    assertThat(copy.maxSessionExpiryInterval()).isEqualTo(60);
    assertThat(copy.responseInformation()).isEqualTo("r/");
  }

  @Test
  void outOfRangeValuesAreRefused() {
    assertThatThrownBy(() -> BrokerConfig.builder().receiveMaximum(0).build()).hasMessageContaining("receive maximum");
    assertThatThrownBy(() -> BrokerConfig.builder().receiveMaximum(65536).build()).hasMessageContaining("receive maximum");
    assertThatThrownBy(() -> BrokerConfig.builder().topicAliasMaximum(-1).build()).hasMessageContaining("topic alias");
    assertThatThrownBy(() -> BrokerConfig.builder().serverKeepAlive(65536).build()).hasMessageContaining("keep alive");
    assertThatThrownBy(() -> BrokerConfig.builder().maxSessionExpiryInterval(-1).build())
        .hasMessageContaining("session expiry");
    assertThatThrownBy(() -> BrokerConfig.builder().maxSessionExpiryInterval(0x1_0000_0000L).build())
        .hasMessageContaining("session expiry");
    assertThatThrownBy(() -> BrokerConfig.builder().responseInformation("").build())
        .hasMessageContaining("response information");
  }
}
