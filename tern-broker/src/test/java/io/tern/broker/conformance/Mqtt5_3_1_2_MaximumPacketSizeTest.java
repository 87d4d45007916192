package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.1.2.11.4 Maximum Packet Size, towards the client. (Inbound: {@link Mqtt5_4_13_ServerDisconnectTest}.) */
class Mqtt5_3_1_2_MaximumPacketSizeTest extends Mqtt5TestBase {

  @Test
  @DisplayName("MQTT-3.1.2-24/25: a message larger than the client's Maximum Packet Size is not sent to it, and counted")
  void tooLargeMessageDropped() {
    RawClient small = connect5(v5("small").properties(MqttProperties.builder().maximumPacketSize(64).build()), false);
    subscribe5(small, sub("t", 0));
    RawClient big = connect5("big");
    subscribe5(big, sub("t", 0));
    RawClient p = connect5("p");
    p.send(publish5("t", 0, 0, "x".repeat(100), MqttProperties.EMPTY));
    p.send(publish5("t", 0, 0, "fits", MqttProperties.EMPTY));
    assertThat(Packets.text(small.expect(Publish.class))).as("the large one was skipped").isEqualTo("fits");
    assertThat(big.expect(Publish.class).payload()).hasSize(100);
    assertThat(broker().stats().messagesTooLarge()).isEqualTo(1);
    // Counted once, under its own reason, not as a full queue too (the metrics' reasons add up).
    assertThat(broker().management().traffic().droppedTooLarge()).isEqualTo(1);
    assertThat(broker().management().traffic().droppedQueueFull()).isZero();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: a Topic Alias never takes a PUBLISH over the client's Maximum Packet Size")
  void aTopicAliasDoesNotTakeAPacketOverTheLimit() {
    RawClient small = connect5(v5("small").properties(MqttProperties.builder().maximumPacketSize(100)
        .set(Property.TOPIC_ALIAS_MAXIMUM, 5).build()), false);
    subscribe5(small, sub("mpalias/topic", 0));
    RawClient p = connect5("p");
    // 18 bytes of PUBLISH around the payload (header 2, topic 15, properties 1): 82 bytes make 100.
    for (int payload : new int[] {82, 81, 80, 79, 60, 60}) {
      p.send(publish5("mpalias/topic", 0, 0, "x".repeat(payload), MqttProperties.EMPTY));
      Publish got = small.expect(Publish.class);
      assertThat(got.payload()).hasSize(payload);
      assertThat(io.tern.codec.MqttEncoder.encodedSize(got, io.tern.codec.MqttVersion.V5)).as("%d bytes of payload", payload)
          .isLessThanOrEqualTo(100);
    }
    // With room, the alias is used: set by the first message that had room, then the topic is left out.
    p.send(publish5("mpalias/topic", 0, 0, "y", MqttProperties.EMPTY));
    Publish aliased = small.expect(Publish.class);
    assertThat(aliased.topic()).isEmpty();
    assertThat(aliased.properties().topicAlias()).isEqualTo(1);
  }

  @Test
  @DisplayName("MQTT-3.1.2-25: a QoS 1 message too large is dropped as if sent: it takes no place in the window")
  void tooLargeQos1DoesNotBlockTheWindow() {
    RawClient small = connect5(v5("small").properties(
        MqttProperties.builder().maximumPacketSize(64).receiveMaximum(1).build()), false);
    subscribe5(small, sub("t", 1));
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "x".repeat(100), MqttProperties.EMPTY));
    p.send(publish5("t", 1, 2, "fits", MqttProperties.EMPTY));
    assertThat(Packets.text(small.expect(Publish.class))).isEqualTo("fits");
  }

  @Test
  @DisplayName("MQTT-3.1.2-29 with 3.1.2-25: a Reason String on an ack is left out when it would not fit")
  void reasonStringDroppedToFit() {
    configure(b -> b.wildcardSubscriptionsAvailable(false));
    RawClient c = connect5(v5("c").properties(MqttProperties.builder().maximumPacketSize(20).build()), false);
    c.send(new Subscribe(1, List.of(sub("a/#", 0)), MqttProperties.EMPTY));
    SubAck ack = c.expect(SubAck.class);
    assertThat(ack.reasonCodes()).containsExactly(ReasonCodes.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
    assertThat(ack.properties().has(Property.REASON_STRING)).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: a CONNACK that cannot fit (an assigned client id) refuses with 0x95, before a session is made")
  void aConnAckThatCannotFitRefusesTheConnection() {
    RawClient c = open("", io.tern.codec.MqttVersion.V5);
    c.send(v5("").properties(MqttProperties.builder().maximumPacketSize(20).build()).build());
    io.tern.codec.ConnAck ack = c.expect(io.tern.codec.ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
    assertThat(io.tern.codec.MqttEncoder.encodedSize(ack, io.tern.codec.MqttVersion.V5)).isLessThanOrEqualTo(20);
    c.expectClosed();
    assertThat(broker().management().sessions()).isEmpty();
    // With room for the assigned id, the same CONNECT is accepted.
    RawClient d = open("", io.tern.codec.MqttVersion.V5);
    d.send(v5("").properties(MqttProperties.builder().maximumPacketSize(200).build()).build());
    assertThat(d.expect(io.tern.codec.ConnAck.class).reasonCode()).isZero();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: a SUBACK or UNSUBACK whose reason codes cannot fit ends the connection with 0x95, not sent")
  void aSubAckOrUnsubAckThatCannotFitDisconnects() {
    List<io.tern.codec.Subscription> twenty = new java.util.ArrayList<>();
    List<String> forty = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      if (i < 20) {
        twenty.add(sub("f" + i, 0));
      }
      forty.add("f" + i);
    }
    MqttProperties max30 = MqttProperties.builder().maximumPacketSize(30).build();
    RawClient c = connect5(v5("c").properties(max30), false);
    c.send(new Subscribe(1, twenty, MqttProperties.EMPTY)); // a SUBACK of 25 bytes
    assertThat(c.expect(SubAck.class).reasonCodes()).hasSize(20);
    c.send(new io.tern.codec.Unsubscribe(2, forty, MqttProperties.EMPTY)); // an UNSUBACK of 45
    io.tern.codec.Disconnect d = c.expect(io.tern.codec.Disconnect.class);
    assertThat(d.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
    assertThat(io.tern.codec.MqttEncoder.encodedSize(d, io.tern.codec.MqttVersion.V5)).isLessThanOrEqualTo(30);
    c.expectClosed();

    RawClient s = connect5(v5("s").properties(max30), false);
    List<io.tern.codec.Subscription> all = forty.stream().map(f -> sub(f, 0)).toList();
    s.send(new Subscribe(1, all, MqttProperties.EMPTY)); // a SUBACK of 45
    assertThat(s.expect(io.tern.codec.Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
    s.expectClosed();
  }
}
