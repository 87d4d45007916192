package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.withFixedHeader;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1.1 section 3.3 PUBLISH: the packet, its acknowledgements, and what is refused. */
class Conformance_3_3_PublishTest extends BrokerTestBase {

  /** A PUBLISH body: topic bytes as given (hex), then packet id for QoS &gt; 0, then payload "hi". */
  private static byte[] rawPublish(int firstByte, String topicHex, int packetId) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] topic = RawClient.hex(topicHex);
    body.write(topic.length >> 8);
    body.write(topic.length & 0xFF);
    body.writeBytes(topic);
    if ((firstByte & 0x06) != 0) {
      body.write(packetId >> 8);
      body.write(packetId & 0xFF);
    }
    body.writeBytes("hi".getBytes(StandardCharsets.UTF_8));
    return withFixedHeader(firstByte, body.toByteArray());
  }

  @Test
  @DisplayName("MQTT-3.3.4-1: a QoS 0 PUBLISH gets no response")
  void qos0PublishGetsNoResponse() {
    RawClient c = connect("c");
    c.sendHex("30 05 00 01 74 68 69"); // topic "t", payload "hi"
    c.ping(); // the PINGRESP is the next packet: nothing was sent for the PUBLISH
  }

  @Test
  @DisplayName("MQTT-3.3.4-1 / MQTT-4.3.2-2: a QoS 1 PUBLISH gets a PUBACK with its packet id")
  void qos1PublishGetsPuback() {
    RawClient c = connect("c");
    c.sendHex("32 07 00 01 74 12 34 68 69"); // topic "t", id 0x1234
    c.expectHex("40 02 12 34");
  }

  @Test
  @DisplayName("MQTT-3.3.4-1 / MQTT-4.3.3-2: a QoS 2 PUBLISH gets PUBREC, its PUBREL gets PUBCOMP")
  void qos2PublishGetsPubrecThenPubcomp() {
    RawClient c = connect("c");
    c.sendHex("34 07 00 01 74 ab cd 68 69");
    c.expectHex("50 02 ab cd");
    c.sendHex("62 02 ab cd");
    c.expectHex("70 02 ab cd");
  }

  @Test
  @DisplayName("MQTT-3.3.2-3: a subscriber receives the topic name and payload unchanged")
  void subscriberReceivesTopicAndPayloadUnchanged() {
    RawClient sub = subscriber("sub", "a/+/c", 0);
    RawClient pub = connect("pub");
    pub.send(publish("a/\u00e9t\u00e9/c", 0, 0, "payload \u2713"));
    sub.expect(publish("a/\u00e9t\u00e9/c", 0, 0, "payload \u2713"));
  }

  @Test
  @DisplayName("MQTT-3.3.2-3: a zero-length payload is delivered")
  void emptyPayloadIsDelivered() {
    RawClient sub = subscriber("sub", "t", 0);
    RawClient pub = connect("pub");
    pub.sendHex("30 03 00 01 74");
    sub.expectHex("30 03 00 01 74");
  }

  @Test
  @DisplayName("MQTT-3.3.1-3: the DUP flag of an incoming PUBLISH is not propagated to subscribers")
  void dupFlagIsNotPropagated() {
    RawClient sub = subscriber("sub", "t", 1);
    RawClient pub = connect("pub");
    pub.send(publish("t", 1, false, true, 5, "again"));
    pub.expect(Packets.pubAck(5));
    Publish p = sub.expect(Publish.class);
    assertThat(p.dup()).as("DUP of the delivery").isFalse();
  }

  @ParameterizedTest(name = "topic \"{0}\"")
  @ValueSource(strings = {"a/+", "a/#", "+", "#", "a/b+", "a#"})
  @DisplayName("MQTT-3.3.2-2 / MQTT-4.7.1-1: a wildcard in a PUBLISH topic name closes the connection")
  void wildcardInTopicNameClosesTheConnection(String topic) {
    witness();
    RawClient sub = subscriber("sub", "#", 0);
    RawClient c = connect("c");
    c.send(publish(topic, 0, 0, "x"));
    c.expectClosed();
    sub.ping(); // nothing was delivered before the PINGRESP
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"36", "37", "3e", "3f"})
  @DisplayName("MQTT-3.3.1-4: a PUBLISH with QoS 3 closes the connection")
  void qos3ClosesTheConnection(String firstByte) {
    witness();
    RawClient c = connect("c");
    c.sendBytes(rawPublish(Integer.parseInt(firstByte, 16), "74", 1));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "topic bytes {0}")
  @CsvSource({
      "'61 00 62', U+0000 (MQTT-4.7.3-2 / MQTT-1.5.3-2)",
      "'00', U+0000 alone (MQTT-4.7.3-2)",
      "'61 ed a0 80', an encoded surrogate (MQTT-1.5.3-1)",
      "'c3 28', ill-formed UTF-8 (MQTT-1.5.3-1)",
      "'c0 af', an overlong encoding (MQTT-1.5.3-1)",
      "'', an empty topic name (MQTT-4.7.3-1)",
  })
  @DisplayName("MQTT-4.7.3-1/2, MQTT-1.5.3-1/2: an invalid topic name closes the connection")
  void invalidTopicNameClosesTheConnection(String topicHex, String why) {
    witness();
    RawClient sub = subscriber("sub", "#", 0);
    RawClient c = connect("c");
    c.sendBytes(rawPublish(0x30, topicHex, 0));
    c.expectClosed();
    sub.ping();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {1, 2})
  @DisplayName("MQTT-2.3.1-1: a QoS 1 or 2 PUBLISH with packet id 0 closes the connection")
  void packetIdZeroClosesTheConnection(int qos) {
    witness();
    RawClient c = connect("c");
    c.sendBytes(rawPublish(0x30 | qos << 1, "74", 0));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-2.2.3 / MQTT-3.3.2-1: a PUBLISH whose topic length runs past the packet closes the connection")
  void topicLengthPastThePacketClosesTheConnection() {
    witness();
    RawClient c = connect("c");
    c.sendHex("30 04 00 09 74 74");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.3.1-2: a QoS 0 PUBLISH with DUP set closes the connection")
  void qos0WithDupClosesTheConnection() {
    RawClient c = connect("c");
    c.sendBytes(rawPublish(0x38, "74", 0));
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.3.5-1: a PUBLISH with no matching subscription is acknowledged all the same")
  void publishWithoutSubscribersIsAcknowledged() {
    RawClient c = connect("c");
    c.send(publish("nobody/listens", 1, 9, "x"));
    c.expect(Packets.pubAck(9));
    c.send(publish("nobody/listens", 2, 10, "x"));
    c.expect(Packets.pubRec(10));
  }

  @Test
  @DisplayName("MQTT-3.3.2-3: a publisher subscribed to its own topic receives its message")
  void publisherReceivesItsOwnMessage() {
    RawClient c = subscriber("c", "self", 0);
    c.send(publish("self", 0, 0, "echo"));
    c.expect(publish("self", 0, 0, "echo"));
  }
}
