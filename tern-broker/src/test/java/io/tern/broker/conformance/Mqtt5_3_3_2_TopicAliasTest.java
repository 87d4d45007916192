package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.TopicAliasPolicy;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.3.2.3.4 Topic Alias, both ways. */
class Mqtt5_3_3_2_TopicAliasTest extends Mqtt5TestBase {

  private static MqttProperties alias(int a) {
    return MqttProperties.builder().topicAlias(a).build();
  }

  @Test
  @DisplayName("MQTT-3.3.2-12: a PUBLISH with a topic sets the alias, one with an empty topic uses it; subscribers get the topic")
  void inboundAliasResolved() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("a/b", 0));
    RawClient c = connect5("c");
    c.send(publish5("a/b", 0, 0, "one", alias(1)));
    c.send(publish5("", 0, 0, "two", alias(1)));
    Publish first = sub.expect(Publish.class);
    Publish second = sub.expect(Publish.class);
    assertThat(first.topic()).isEqualTo("a/b");
    assertThat(second.topic()).isEqualTo("a/b");
    assertThat(Packets.text(second)).isEqualTo("two");
    assertThat(second.properties().has(Property.TOPIC_ALIAS)).as("the alias is not forwarded").isFalse();
  }

  @Test
  @DisplayName("MQTT-3.3.2-12: aliases belong to one connection: a new connection does not know them (0x82)")
  void aliasesArePerConnection() {
    RawClient c = connect5("c");
    c.send(publish5("a/b", 0, 0, "one", alias(1)));
    c.ping();
    c.close();
    RawClient again = connect5("c");
    again.send(publish5("", 0, 0, "two", alias(1)));
    assertThat(again.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT-3.3.2-9: alias above the Topic Alias Maximum: DISCONNECT 0x94")
  void aliasAboveMaximum() {
    configure(b -> b.topicAliasMaximum(2));
    RawClient c = connect5("c");
    c.send(publish5("a", 0, 0, "x", alias(3)));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.TOPIC_ALIAS_INVALID);
  }

  @Test
  @DisplayName("A connection's aliases hold 64 Ki characters of topics at most: one topic of the longest, "
      + "replacing an alias frees its share; over it, DISCONNECT 0x97")
  void aliasTopicsAreBounded() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("#", 0));
    RawClient c = connect5("c");
    String longest = "l".repeat(65_535);
    c.send(publish5(longest, 0, 0, "one", alias(1)));
    assertThat(sub.expect(Publish.class).topic()).isEqualTo(longest);
    c.send(publish5("a/b", 0, 0, "two", alias(1)));
    c.send(publish5("c/d", 0, 0, "three", alias(2)));
    assertThat(sub.expect(Publish.class).topic()).isEqualTo("a/b");
    assertThat(sub.expect(Publish.class).topic()).isEqualTo("c/d");
    String half = "h".repeat(32_766);
    c.send(publish5(half, 0, 0, "four", alias(3)));
    c.send(publish5(half + "x", 0, 0, "five", alias(4)));
    assertThat(sub.expect(Publish.class).topic()).isEqualTo(half);
    assertThat(c.expect(Disconnect.class).reasonCode()).as("3 + 3 + 32,766 + 32,767 > 65,536")
        .isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    sub.expectNothing(java.time.Duration.ofMillis(300)); // "five" was not routed
  }

  @Test
  @DisplayName("MQTT-3.3.2-8: alias 0: DISCONNECT 0x94")
  void aliasZero() {
    RawClient c = connect5("c");
    c.sendHex("30 08 00 01 61 03 23 00 00 78"); // PUBLISH "a", properties: Topic Alias 0, payload "x"
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.TOPIC_ALIAS_INVALID);
  }

  @Test
  @DisplayName("MQTT-3.3.2-11: Topic Alias Maximum 0 in CONNACK: any alias is refused with 0x94")
  void aliasesDisabled() {
    configure(b -> b.topicAliasMaximum(0));
    RawClient c = connect5("c");
    c.send(publish5("a", 0, 0, "x", alias(1)));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.TOPIC_ALIAS_INVALID);
  }

  @Test
  @DisplayName("3.3.2.3.4: towards a client that allows aliases, the first PUBLISH of a topic sets one, the next uses it (LRU)")
  void outboundAliasesLru() {
    RawClient sub = connect5(v5("sub").properties(
        MqttProperties.builder().set(Property.TOPIC_ALIAS_MAXIMUM, 1).build()), false);
    subscribe5(sub, sub("t/#", 0));
    RawClient p = connect5("p");
    p.send(publish5("t/a", 0, 0, "1", MqttProperties.EMPTY));
    p.send(publish5("t/a", 0, 0, "2", MqttProperties.EMPTY));
    p.send(publish5("t/b", 0, 0, "3", MqttProperties.EMPTY));
    p.send(publish5("t/b", 0, 0, "4", MqttProperties.EMPTY));
    Publish m1 = sub.expect(Publish.class);
    Publish m2 = sub.expect(Publish.class);
    Publish m3 = sub.expect(Publish.class);
    Publish m4 = sub.expect(Publish.class);
    assertThat(m1.topic()).isEqualTo("t/a");
    assertThat(m1.properties().topicAlias()).isEqualTo(1);
    assertThat(m2.topic()).isEmpty();
    assertThat(m2.properties().topicAlias()).isEqualTo(1);
    assertThat(m3.topic()).as("t/b replaces t/a in the only alias").isEqualTo("t/b");
    assertThat(m3.properties().topicAlias()).isEqualTo(1);
    assertThat(m4.topic()).isEmpty();
    assertThat(m4.properties().topicAlias()).isEqualTo(1);
  }

  @Test
  @DisplayName("MQTT-3.3.2-9: no aliases towards a client that did not announce a Topic Alias Maximum (0 by default)")
  void noOutboundAliasesByDefault() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("t", 0));
    RawClient p = connect5("p");
    p.send(publish5("t", 0, 0, "1", MqttProperties.EMPTY));
    p.send(publish5("t", 0, 0, "2", MqttProperties.EMPTY));
    for (int i = 0; i < 2; i++) {
      Publish m = sub.expect(Publish.class);
      assertThat(m.topic()).isEqualTo("t");
      assertThat(m.properties().topicAlias()).isNull();
    }
  }

  @Test
  @DisplayName("policy NONE: no aliases even when the client allows them")
  void policyNone() {
    configure(b -> b.outboundTopicAliases(TopicAliasPolicy.NONE));
    RawClient sub = connect5(v5("sub").properties(
        MqttProperties.builder().set(Property.TOPIC_ALIAS_MAXIMUM, 10).build()), false);
    subscribe5(sub, sub("t", 0));
    RawClient p = connect5("p");
    p.send(publish5("t", 0, 0, "1", MqttProperties.EMPTY));
    p.send(publish5("t", 0, 0, "2", MqttProperties.EMPTY));
    for (int i = 0; i < 2; i++) {
      Publish m = sub.expect(Publish.class);
      assertThat(m.topic()).isEqualTo("t");
      assertThat(m.properties().topicAlias()).isNull();
    }
  }
}
