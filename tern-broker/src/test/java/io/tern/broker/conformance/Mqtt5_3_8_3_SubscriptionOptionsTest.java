package io.tern.broker.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.8.3.1 Subscription Options, and 3.8.2.1.2 Subscription Identifier. */
class Mqtt5_3_8_3_SubscriptionOptionsTest extends Mqtt5TestBase {

  private static MqttProperties id(int subscriptionId) {
    return MqttProperties.builder().subscriptionIdentifier(subscriptionId).build();
  }

  /** Subscribes and returns what arrives after the SUBACK and before the PINGRESP: the retained message or null. */
  private static Publish subscribeAndTakeRetained(RawClient c, io.tern.codec.Subscription s) {
    c.send(new Subscribe(1, List.of(s), MqttProperties.EMPTY));
    c.expect(SubAck.class);
    c.send(PingReq.INSTANCE);
    MqttPacket next = c.expectPacket();
    if (next instanceof PingResp) {
      return null;
    }
    c.expect(PingResp.class);
    return (Publish) next;
  }

  private void retain(String topic, String payload) {
    RawClient p = connect5("retainer");
    p.send(retained5(topic, 1, 1, payload, MqttProperties.EMPTY));
    p.expect(PubAck.class);
    p.close();
  }

  @Test
  @DisplayName("MQTT-3.8.3-3: No Local: a client's own messages are not sent back to it")
  void noLocal() {
    RawClient c = connect5("c");
    subscribe5(c, sub("t", 0, true, false, 0));
    c.send(publish5("t", 0, 0, "own", MqttProperties.EMPTY));
    RawClient other = connect5("other");
    other.send(publish5("t", 0, 0, "other's", MqttProperties.EMPTY));
    assertThat(Packets.text(c.expect(Publish.class))).isEqualTo("other's");
  }

  @Test
  @DisplayName("MQTT-3.3.1-12/13: Retain As Published keeps RETAIN 1 on live messages; without it RETAIN is 0")
  void retainAsPublished() {
    RawClient keeps = connect5("keeps");
    subscribe5(keeps, sub("t", 0, false, true, 0));
    RawClient clears = connect5("clears");
    subscribe5(clears, sub("t", 0, false, false, 0));
    RawClient p = connect5("p");
    p.send(retained5("t", 0, 0, "x", MqttProperties.EMPTY));
    assertThat(keeps.expect(Publish.class).retain()).isTrue();
    assertThat(clears.expect(Publish.class).retain()).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.3.1-9: Retain Handling 0 sends retained messages on every subscribe")
  void retainHandling0() {
    retain("r", "kept");
    RawClient c = connect5("c");
    assertThat(subscribeAndTakeRetained(c, sub("r", 0, false, false, 0))).isNotNull();
    assertThat(subscribeAndTakeRetained(c, sub("r", 0, false, false, 0))).isNotNull();
  }

  @Test
  @DisplayName("MQTT-3.3.1-10: Retain Handling 1 sends them only when the subscription is new")
  void retainHandling1() {
    retain("r", "kept");
    RawClient c = connect5("c");
    assertThat(subscribeAndTakeRetained(c, sub("r", 0, false, false, 1))).isNotNull();
    assertThat(subscribeAndTakeRetained(c, sub("r", 0, false, false, 1))).isNull();
  }

  @Test
  @DisplayName("MQTT-3.3.1-11: Retain Handling 2 never sends them")
  void retainHandling2() {
    retain("r", "kept");
    RawClient c = connect5("c");
    assertThat(subscribeAndTakeRetained(c, sub("r", 0, false, false, 2))).isNull();
  }

  @Test
  @DisplayName("MQTT-3.3.4-3/4: the Subscription Identifier comes with each matching message; several when several match")
  void subscriptionIdentifiers() {
    RawClient c = connect5("c");
    subscribe5(c, sub("a/+", 0), id(1), 0);
    c.send(new Subscribe(2, List.of(sub("a/#", 0)), id(2)));
    c.expect(SubAck.class);
    RawClient p = connect5("p");
    p.send(publish5("a/b", 0, 0, "x", MqttProperties.EMPTY));
    assertThat(c.expect(Publish.class).properties().subscriptionIdentifiers()).containsExactlyInAnyOrder(1, 2);
    p.send(publish5("a", 0, 0, "y", MqttProperties.EMPTY));
    assertThat(c.expect(Publish.class).properties().subscriptionIdentifiers()).containsExactly(2);
  }

  @Test
  @DisplayName("MQTT-3.3.1-12/13: overlapping subscriptions that disagree on Retain As Published get a copy each of a message published with RETAIN 1")
  void overlappingSubscriptionsWithDifferentRetainAsPublished() {
    RawClient c = connect5("c");
    subscribe5(c, sub("ro/t", 0, false, true, 0), id(1), 0);
    c.send(new Subscribe(2, List.of(sub("ro/+", 1, false, false, 0)), id(2)));
    c.expect(SubAck.class);
    c.send(new Subscribe(3, List.of(sub("ro/#", 0, false, false, 0)), id(3)));
    c.expect(SubAck.class);
    RawClient p = connect5("p");
    p.send(retained5("ro/t", 1, 1, "live", MqttProperties.EMPTY));
    Publish first = c.expect(Publish.class);
    Publish second = c.expect(Publish.class);
    Publish kept = first.retain() ? first : second;
    Publish cleared = first.retain() ? second : first;
    assertThat(kept.retain()).isTrue();
    assertThat(kept.qos()).isZero();
    assertThat(kept.properties().subscriptionIdentifiers()).containsExactly(1);
    assertThat(cleared.retain()).isFalse();
    assertThat(cleared.qos()).isEqualTo(1);
    assertThat(cleared.properties().subscriptionIdentifiers()).containsExactlyInAnyOrder(2, 3);
    c.send(new PubAck(cleared.packetId()));
    p.send(publish5("ro/t", 1, 2, "not retained", MqttProperties.EMPTY));
    Publish one = c.expect(Publish.class); // without RETAIN, one copy for all three
    assertThat(one.retain()).isFalse();
    assertThat(one.qos()).isEqualTo(1);
    assertThat(one.properties().subscriptionIdentifiers()).containsExactlyInAnyOrder(1, 2, 3);
    c.send(PingReq.INSTANCE);
    c.expect(PingResp.class);
  }

  @Test
  @DisplayName("MQTT-3.3.4-3: a retained message sent on subscribe carries the subscription's identifier")
  void retainedCarriesIdentifier() {
    retain("r", "kept");
    RawClient c = connect5("c");
    subscribe5(c, sub("r", 0), id(7), 0);
    assertThat(c.expect(Publish.class).properties().subscriptionIdentifiers()).containsExactly(7);
  }
}
