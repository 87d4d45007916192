package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.UserProperty;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5.0 section 3.3.2.3 PUBLISH properties forwarded unchanged, the reason codes of the acks
 * (3.4-3.7, 3.9), and Request Problem Information (3.1.2.11.7).
 */
class Mqtt5_3_3_PublishPropertiesTest extends Mqtt5TestBase {

  @Test
  @DisplayName("MQTT-3.3.2-4, -15, -16, -17, -18: payload format, content type, response topic, correlation data, user properties forwarded unchanged")
  void propertiesForwardedUnchanged() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("t", 1));
    MqttProperties props = MqttProperties.builder()
        .set(Property.PAYLOAD_FORMAT_INDICATOR, 1)
        .set(Property.CONTENT_TYPE, "application/json")
        .set(Property.RESPONSE_TOPIC, "reply/to/me")
        .set(Property.CORRELATION_DATA, new byte[] {9, 8, 7})
        .userProperty("b", "2")
        .userProperty("a", "1")
        .userProperty("b", "3")
        .build();
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "{}", props));
    p.expect(PubAck.class);
    MqttProperties got = sub.expect(Publish.class).properties();
    assertThat(got.getInt(Property.PAYLOAD_FORMAT_INDICATOR, -1)).isEqualTo(1);
    assertThat(got.getString(Property.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(got.getString(Property.RESPONSE_TOPIC)).isEqualTo("reply/to/me");
    assertThat(got.getBinary(Property.CORRELATION_DATA)).containsExactly(9, 8, 7);
    assertThat(got.userProperties()).as("order kept, MQTT-3.3.2-18")
        .containsExactly(new UserProperty("b", "2"), new UserProperty("a", "1"), new UserProperty("b", "3"));
  }

  @Test
  @DisplayName("3.4.2.1: PUBACK 0x10 No matching subscribers, 0x00 when someone subscribed")
  void pubAckReasonCodes() {
    RawClient p = connect5("p");
    p.send(publish5("nobody", 1, 1, "x", MqttProperties.EMPTY));
    assertThat(p.expect(PubAck.class).reasonCode()).isEqualTo(ReasonCodes.NO_MATCHING_SUBSCRIBERS);
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("somebody", 0));
    p.send(publish5("somebody", 1, 2, "x", MqttProperties.EMPTY));
    assertThat(p.expect(PubAck.class).reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
  }

  @Test
  @DisplayName("3.5.2.1 / 3.7.2.1: PUBREC 0x10 No matching subscribers; PUBCOMP 0x92 for an unknown packet id")
  void pubRecAndPubCompReasonCodes() {
    RawClient p = connect5("p");
    p.send(publish5("nobody", 2, 1, "x", MqttProperties.EMPTY));
    assertThat(p.expect(PubRec.class).reasonCode()).isEqualTo(ReasonCodes.NO_MATCHING_SUBSCRIBERS);
    p.send(new PubRel(1, 0, MqttProperties.EMPTY));
    assertThat(p.expect(PubComp.class).reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
    p.send(new PubRel(99, 0, MqttProperties.EMPTY));
    assertThat(p.expect(PubComp.class).reasonCode()).isEqualTo(ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND);
  }

  @Test
  @DisplayName("3.6.2.1: a PUBREC for a packet id the broker has no QoS 2 flow of gets PUBREL 0x92; a known one PUBREL 0x00")
  void pubRelReasonCodes() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("t", 2));
    sub.send(new PubRec(77, 0, MqttProperties.EMPTY));
    assertThat(sub.expect(PubRel.class).reasonCode()).isEqualTo(ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND);
    RawClient p = connect5("p");
    p.send(publish5("t", 2, 1, "x", MqttProperties.EMPTY));
    int id = sub.expect(Publish.class).packetId();
    sub.send(new PubRec(id, 0, MqttProperties.EMPTY));
    PubRel rel = sub.expect(PubRel.class);
    assertThat(rel.packetId()).isEqualTo(id);
    assertThat(rel.reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
  }

  @Test
  @DisplayName("3.1.2.11.7: with Request Problem Information 1 (the default) a refused subscription comes with a Reason String")
  void reasonStringWhenAllowed() {
    configure(b -> b.wildcardSubscriptionsAvailable(false));
    RawClient c = connect5("c");
    c.send(new Subscribe(1, List.of(sub("a/#", 0)), MqttProperties.EMPTY));
    assertThat(c.expect(SubAck.class).properties().reasonString()).contains("a/#");
  }

  @Test
  @DisplayName("A SUBSCRIBE refused thousands of times still gets its SUBACK: the Reason String is cut short, not grown past what a string may hold (65,535 bytes)")
  void aReasonStringForManyRefusalsIsCutShort() {
    configure(b -> b.wildcardSubscriptionsAvailable(false));
    RawClient c = connect5("c");
    List<io.tern.codec.Subscription> subs = new java.util.ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      subs.add(sub("wildcards/are/refused/here/" + i + "/#", 0));
    }
    subs.add(sub("plain", 0));
    c.send(new Subscribe(1, subs, MqttProperties.EMPTY));
    SubAck ack = c.expect(SubAck.class);
    assertThat(ack.reasonCodes()).hasSize(3_001).endsWith(0).startsWith(ReasonCodes.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
    assertThat(ack.properties().reasonString()).startsWith("wildcards/are/refused/here/0/#").hasSizeLessThanOrEqualTo(1_000);
    c.ping(); // still connected
  }

  @Test
  @DisplayName("MQTT-3.1.2-29: with Request Problem Information 0 no Reason String on acks")
  void noReasonStringWhenNotAllowed() {
    configure(b -> b.wildcardSubscriptionsAvailable(false));
    RawClient c = connect5(v5("c").properties(
        MqttProperties.builder().set(Property.REQUEST_PROBLEM_INFORMATION, 0).build()), false);
    c.send(new Subscribe(1, List.of(sub("a/#", 0)), MqttProperties.EMPTY));
    SubAck ack = c.expect(SubAck.class);
    assertThat(ack.reasonCodes()).containsExactly(ReasonCodes.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
    assertThat(ack.properties().isEmpty()).isTrue();
    c.send(new PubRel(5, 0, MqttProperties.EMPTY));
    assertThat(c.expect(PubComp.class).properties().isEmpty()).isTrue();
  }
}
