package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.sub;
import static io.tern.broker.conformance.Packets.subAck;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1.1 section 3.8 SUBSCRIBE and 3.9 SUBACK. */
class Conformance_3_8_SubscribeTest extends BrokerTestBase {

  private static void publishQos1(RawClient pub, String topic, int packetId, String payload) {
    pub.send(publish(topic, 1, packetId, payload));
    pub.expect(pubAck(packetId));
  }

  @Test
  @DisplayName("MQTT-3.8.4-1/2/5, MQTT-3.9.3-1: one SUBACK, same packet id, a granted QoS per filter in order")
  void subackHasTheGrantedQosOfEveryFilterInOrder() {
    RawClient c = connect("c");
    // SUBSCRIBE id 0x0102: "a" QoS 2, "b/+" QoS 0, "#" QoS 1
    c.sendHex("82 10 01 02 00 01 61 02 00 03 62 2f 2b 00 00 01 23 01");
    c.expectHex("90 05 01 02 02 00 01");
  }

  @Test
  @DisplayName("MQTT-3.8.4-4: a filter given twice in one SUBSCRIBE gets a return code for each")
  void sameFilterTwiceInOneSubscribe() {
    RawClient c = connect("c");
    c.send(Packets.subscribe(3, sub("t", 0), sub("t", 2)));
    c.expect(subAck(3, 0, 2));
    RawClient pub = connect("pub");
    publishQos1(pub, "t", 1, "m");
    assertThat(c.expect(Publish.class).qos()).as("the second subscription replaced the first").isEqualTo(1);
  }

  @ParameterizedTest(name = "filter \"{0}\"")
  @ValueSource(strings = {"a/#/b", "a#", "#/a", "a/b#", "a+", "+a/b", "a/+b", "++", ""})
  @DisplayName("MQTT-4.7.1-2/3, MQTT-4.7.3-1: an invalid topic filter closes the connection")
  void invalidTopicFilterClosesTheConnection(String filter) {
    witness();
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, filter, 0));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.8.3-3: a SUBSCRIBE without any filter closes the connection")
  void subscribeWithoutFiltersClosesTheConnection() {
    witness();
    RawClient c = connect("c");
    c.sendHex("82 02 00 01");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"80", "81", "83", "8a"})
  @DisplayName("MQTT-3.8.1-1: SUBSCRIBE fixed header flags other than 0010 close the connection")
  void subscribeWithWrongFixedHeaderFlagsClosesTheConnection(String firstByte) {
    witness();
    RawClient c = connect("c");
    c.sendHex(firstByte + " 06 00 01 00 01 61 00");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "requested QoS byte {0}")
  @ValueSource(strings = {"03", "04", "80", "fc", "41"})
  @DisplayName("MQTT-3-8.3-4: a requested QoS byte with QoS 3 or reserved bits set closes the connection")
  void requestedQosWithReservedBitsClosesTheConnection(String qosByte) {
    witness();
    RawClient c = connect("c");
    c.sendHex("82 06 00 01 00 01 61 " + qosByte);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-2.3.1-1: a SUBSCRIBE with packet id 0 closes the connection")
  void subscribeWithPacketIdZeroClosesTheConnection() {
    RawClient c = connect("c");
    c.sendHex("82 06 00 00 00 01 61 00");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.8.3-1 / MQTT-1.5.3-2: a topic filter containing U+0000 closes the connection")
  void topicFilterWithNulClosesTheConnection() {
    RawClient c = connect("c");
    c.sendHex("82 08 00 01 00 03 61 00 62 00");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.8.3-1: a SUBSCRIBE whose last filter has no QoS byte closes the connection")
  void truncatedSubscribeClosesTheConnection() {
    RawClient c = connect("c");
    c.sendHex("82 05 00 01 00 01 61");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.3.5-1: overlapping subscriptions deliver a message once, at the highest granted QoS")
  void overlappingSubscriptionsDeliverOnceAtTheHighestQos() {
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, sub("o/#", 0), sub("o/+", 2), sub("o/t", 1)));
    c.expect(subAck(1, 0, 2, 1));
    RawClient pub = connect("pub");
    publishQos1(pub, "o/t", 1, "once");
    pub.send(publish("o/t", 0, 0, "after"));
    Publish p = c.expect(Publish.class);
    assertThat(p).isEqualTo(publish("o/t", 1, false, false, p.packetId(), "once"));
    assertThat(text(c.expect(Publish.class))).as("the next delivery").isEqualTo("after");
  }

  @Test
  @DisplayName("MQTT-3.8.4-3: subscribing again to the same filter replaces the subscription's QoS")
  void resubscribeReplacesTheQos() {
    RawClient c = subscriber("c", "t", 2);
    c.send(Packets.subscribe(2, "t", 0));
    c.expect(subAck(2, 0));
    RawClient pub = connect("pub");
    publishQos1(pub, "t", 1, "m");
    assertThat(c.expect(Publish.class)).as("one delivery, at the new QoS").isEqualTo(publish("t", 0, 0, "m"));
    pub.send(publish("t", 0, 0, "after"));
    assertThat(text(c.expect(Publish.class))).isEqualTo("after");
  }

  @Test
  @DisplayName("MQTT-3.8.4-3: subscribing again to the same filter sends the retained messages again")
  void resubscribeResendsRetainedMessages() {
    RawClient pub = connect("pub");
    pub.send(publish("r", 1, true, false, 1, "kept"));
    pub.expect(pubAck(1));
    RawClient c = subscriber("c", "r", 1);
    Publish first = c.expect(Publish.class);
    assertThat(first.retain()).isTrue();
    c.send(pubAck(first.packetId()));
    c.send(Packets.subscribe(2, "r", 0));
    c.expect(subAck(2, 0));
    assertThat(c.expect(Publish.class)).isEqualTo(publish("r", 0, true, false, 0, "kept"));
  }

  @Test
  @DisplayName("MQTT-3.8.4-3: replacing a subscription does not interrupt the flow of publications")
  void resubscribeDoesNotLoseMessages() {
    RawClient c = subscriber("c", "t", 1);
    RawClient pub = connect("pub");
    for (int i = 0; i < 20; i++) {
      pub.send(publish("t", 1, i + 1, "m" + i));
      if (i == 10) {
        c.send(Packets.subscribe(2, "t", 1));
      }
    }
    int received = 0;
    boolean subacked = false;
    while (received < 20 || !subacked) {
      Object p = c.expectPacket();
      if (p instanceof Publish pp) {
        assertThat(text(pp)).isEqualTo("m" + received);
        received++;
        c.send(pubAck(pp.packetId()));
      } else {
        assertThat(p).isEqualTo(subAck(2, 1));
        subacked = true;
      }
    }
  }

  @Test
  @DisplayName("MQTT-3.8.4-5: each filter of a multi-filter SUBSCRIBE gets its retained messages")
  void multiFilterSubscribeSendsRetainedForEachFilter() {
    RawClient pub = connect("pub");
    pub.send(publish("x", 0, true, false, 0, "X"));
    pub.send(publish("y", 0, true, false, 0, "Y"));
    pub.ping();
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, sub("x", 0), sub("y", 0)));
    c.expect(subAck(1, 0, 0));
    assertThat(text(c.expect(Publish.class)) + text(c.expect(Publish.class))).isIn("XY", "YX");
  }

  @ParameterizedTest(name = "filter {0}")
  @CsvSource({"sport/tennis/player1/#", "sport/#", "#", "+/+", "+", "/+", "sport/+/player1", "a//b"})
  @DisplayName("MQTT-4.7.1-2/3: valid filters with wildcards are accepted")
  void validWildcardFiltersAreAccepted(String filter) {
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, filter, 1));
    c.expect(subAck(1, 1));
  }
}
