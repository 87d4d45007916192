package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connAck;
import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.rawConnect;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tern.codec.ConnAck;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1.1 section 3.1 CONNECT (and the MQTT 3.1 CONNECT), answered with raw bytes. */
class Conformance_3_1_ConnectTest extends BrokerTestBase {
  /** CONNECT "MQTT" level 4, Clean Session, Keep Alive 60, client id "c". */
  private static final String CONNECT_C = "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63";
  private static final String CONNACK_ACCEPTED = "20 02 00 00";

  @Test
  @DisplayName("MQTT-3.1.0-1 / MQTT-3.2.0-1: a valid CONNECT is answered with CONNACK 0x00")
  void validConnectIsAccepted() {
    RawClient c = open("c");
    c.sendHex(CONNECT_C);
    c.expectHex(CONNACK_ACCEPTED);
    c.ping();
  }

  @ParameterizedTest(name = "first packet {0}")
  @CsvSource({
      "PINGREQ, c0 00",
      "PUBLISH, 30 05 00 01 61 68 69",
      "SUBSCRIBE, 82 06 00 01 00 01 61 00",
      "DISCONNECT, e0 00",
  })
  @DisplayName("MQTT-3.1.0-1: a first packet other than CONNECT closes the connection without a response")
  void firstPacketOtherThanConnectIsClosedWithoutResponse(String type, String bytes) {
    witness();
    RawClient c = open("c");
    c.sendHex(bytes);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.0-2: a second CONNECT is a protocol violation and closes the connection")
  void secondConnectClosesTheConnection() {
    witness();
    RawClient c = open("c");
    c.sendHex(CONNECT_C);
    c.expectHex(CONNACK_ACCEPTED);
    c.sendHex(CONNECT_C);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "protocol name \"{0}\"")
  @ValueSource(strings = {"MQTX", "mqtt", "MQIsdpX", "HTTP"})
  @DisplayName("MQTT-3.1.2-1 / MQTT-3.1.4-1: an unknown protocol name is closed without CONNACK")
  void unknownProtocolNameIsClosedWithoutConnack(String protocolName) {
    witness();
    RawClient c = open("c");
    c.sendBytes(rawConnect(protocolName, 4, 0x02, "c"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "{0} level {1}")
  @CsvSource({"MQTT, 3", "MQTT, 6", "MQTT, 0", "MQTT, 255", "MQIsdp, 4"})
  @DisplayName("MQTT-3.1.2-2: an unsupported protocol level gets CONNACK 0x01, then the connection is closed")
  void unsupportedProtocolLevelGetsConnack01ThenClose(String protocolName, int level) {
    RawClient c = open("c");
    c.sendBytes(rawConnect(protocolName, level, 0x02, "c"));
    c.expectHex("20 02 00 01");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.1.2-3: the reserved CONNECT flag set closes the connection without CONNACK")
  void reservedFlagClosesTheConnection() {
    witness();
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x03, "c"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "flags 0x{0}")
  @CsvSource({
      "0a, Will QoS 1 without Will Flag (MQTT-3.1.2-13)",
      "12, Will QoS 2 without Will Flag (MQTT-3.1.2-13)",
      "22, Will Retain without Will Flag (MQTT-3.1.2-15)",
      "1e, Will QoS 3 (MQTT-3.1.2-14)",
  })
  @DisplayName("MQTT-3.1.2-13/14/15: invalid will flags close the connection without CONNACK")
  void invalidWillFlagsCloseTheConnection(String flagsHex, String why) {
    witness();
    int flags = Integer.parseInt(flagsHex, 16);
    RawClient c = open("c");
    boolean willFlag = (flags & 0x04) != 0;
    c.sendBytes(willFlag ? rawConnect("MQTT", 4, flags, "c", "will/t", "bye") : rawConnect("MQTT", 4, flags, "c"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.2-22: a password without a user name closes the connection without CONNACK")
  void passwordWithoutUserNameClosesTheConnection() {
    witness();
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x42, "c", "secret"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.2-19/21: user name and password are accepted (no authentication configured)")
  void userNameAndPasswordAreAccepted() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0xC2, "c", "user", "secret"));
    c.expectHex(CONNACK_ACCEPTED);
  }

  @ParameterizedTest(name = "will topic \"{0}\"")
  @ValueSource(strings = {"will/+", "will/#", ""})
  @DisplayName("MQTT-3.1.3-10 / MQTT-4.7.3-1: a will topic that is not a valid topic name closes the connection")
  void invalidWillTopicClosesTheConnection(String willTopic) {
    witness();
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x06, "c", willTopic, "bye"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-1.5.3-1 / MQTT-3.1.4-1: a client id that is not well-formed UTF-8 closes the connection")
  void clientIdWithInvalidUtf8ClosesTheConnection() {
    witness();
    RawClient c = open("c");
    // client id: 2 bytes c3 28 (an invalid 2-byte sequence)
    c.sendHex("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 c3 28");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-1.5.3-2: a client id containing U+0000 closes the connection")
  void clientIdWithNulClosesTheConnection() {
    witness();
    RawClient c = open("c");
    c.sendHex("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 61 00 62");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.3-6/7: an empty client id with Clean Session 1 is accepted (3.1.1)")
  void emptyClientIdWithCleanSessionIsAccepted() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x02, ""));
    c.expectHex(CONNACK_ACCEPTED);
    c.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.3-7: two clients with empty client ids get distinct sessions")
  void twoEmptyClientIdsDoNotTakeEachOtherOver() {
    RawClient a = connect(connectPacket(""), false);
    RawClient b = connect(connectPacket(""), false);
    a.ping();
    b.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.3-8: an empty client id with Clean Session 0 gets CONNACK 0x02, then close")
  void emptyClientIdWithoutCleanSessionIsRejected() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x00, ""));
    c.expectHex("20 02 00 02");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT 3.1: a CONNECT with protocol name MQIsdp, level 3 is accepted")
  void mqtt31ConnectIsAccepted() {
    RawClient c = open("c", MqttVersion.V3_1);
    c.sendBytes(rawConnect("MQIsdp", 3, 0x02, "client-3.1"));
    c.expectHex(CONNACK_ACCEPTED);
    c.ping();
  }

  @Test
  @DisplayName("MQTT 3.1: a client id of 23 characters is accepted")
  void mqtt31ClientIdOf23CharactersIsAccepted() {
    RawClient c = open("c", MqttVersion.V3_1);
    c.sendBytes(rawConnect("MQIsdp", 3, 0x02, "a".repeat(23)));
    c.expectHex(CONNACK_ACCEPTED);
  }

  @Test
  @DisplayName("MQTT 3.1: a client id of 24 characters gets CONNACK 0x02 (identifier rejected), then close")
  void mqtt31ClientIdOf24CharactersIsRejected() {
    RawClient c = open("c", MqttVersion.V3_1);
    c.sendBytes(rawConnect("MQIsdp", 3, 0x02, "a".repeat(24)));
    c.expectHex("20 02 00 02");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT 3.1: an empty client id gets CONNACK 0x02 (3.1 requires 1 to 23 characters), then close")
  void mqtt31EmptyClientIdIsRejected() {
    RawClient c = open("c", MqttVersion.V3_1);
    c.sendBytes(rawConnect("MQIsdp", 3, 0x02, ""));
    c.expectHex("20 02 00 02");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT 3.1.1: a client id longer than 23 characters is accepted")
  void mqtt311LongClientIdIsAccepted() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x02, "a".repeat(100)));
    c.expectHex(CONNACK_ACCEPTED);
  }

  @Test
  @DisplayName("MQTT-3.1.4-2: a second connection with the same client id closes the first; the second works")
  void sameClientIdTakesTheConnectionOver() {
    RawClient first = connect("twin");
    RawClient second = open("twin (second)");
    second.send(connectPacket("twin").build());
    second.expect(connAck(false, 0));
    first.expectClosed();
    second.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.4-2: takeover works across protocol versions (3.1 replaced by 3.1.1)")
  void takeoverAcrossVersions() {
    RawClient first = connect(connectPacket("twin").version(MqttVersion.V3_1), false);
    RawClient second = connect(connectPacket("twin"), false);
    first.expectClosed();
    second.ping();
  }

  @Test
  @DisplayName("A connection that sends no CONNECT within the connect timeout is closed; others are served")
  void noConnectWithinTimeoutIsClosed() {
    configure(b -> b.connectTimeout(Duration.ofMillis(500)));
    RawClient silent = open("silent");
    long start = System.nanoTime();
    RawClient other = connect("other");
    silent.expectClosed(Duration.ofSeconds(3));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(elapsedMs).as("time until the silent connection was closed").isBetween(400L, 2500L);
    other.ping();
  }

  @Test
  @DisplayName("A connection that sends half a CONNECT is closed at the connect timeout")
  void partialConnectIsClosedAtTheConnectTimeout() {
    configure(b -> b.connectTimeout(Duration.ofMillis(500)));
    witness();
    RawClient c = open("partial");
    c.sendHex("10 0d 00 04 4d 51");
    c.expectClosed(Duration.ofSeconds(3));
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.2.0-1: the CONNACK is the first packet the server sends")
  void connackIsTheFirstPacket() {
    RawClient c = open("c");
    c.sendHex(CONNECT_C);
    c.sendHex("c0 00"); // a PINGREQ right behind the CONNECT, in the same segment or not
    assertThat(c.expectPacket()).isInstanceOf(ConnAck.class);
    c.expectHex("d0 00");
  }

  /** The bytes of the packets, one after the other, for a single write. */
  private static byte[] concat(RawClient c, MqttPacket... packets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (MqttPacket p : packets) {
      ByteBuf buf = MqttEncoder.encode(
          UnpooledByteBufAllocator.DEFAULT, p, c.version());
      out.writeBytes(ByteBufUtil.getBytes(buf));
      buf.release();
    }
    return out.toByteArray();
  }

  @Test
  @DisplayName("3.1.4: packets sent right behind the CONNECT, before its CONNACK, are processed in order")
  void packetsPipelinedBehindConnectAreProcessed() {
    RawClient c = open("c");
    c.sendBytes(concat(c, connectPacket("c").build(), Packets.subscribe(1, "self", 0),
        Packets.publish("self", 0, 0, "echo"), PingReq.INSTANCE));
    c.expect(connAck(false, 0));
    c.expect(Packets.subAck(1, 0));
    // The delivery and the PINGRESP are different flows: MQTT orders neither before the other.
    assertThat(List.of(c.expectPacket(), c.expectPacket()))
        .containsExactlyInAnyOrder(Packets.publish("self", 0, 0, "echo"), PingResp.INSTANCE);
  }

  @Test
  @DisplayName("3.1.4: packets pipelined behind a CONNECT that resumes a session are processed in order")
  void packetsPipelinedBehindResumingConnectAreProcessed() {
    RawClient first = connect(connectPacket("c").cleanSession(false), false);
    first.send(Packets.subscribe(1, "self", 1));
    first.expect(Packets.subAck(1, 1));
    first.send(Disconnect.NORMAL);
    first.expectClosed();
    RawClient c = open("c again");
    c.sendBytes(concat(c, connectPacket("c").cleanSession(false).build(),
        Packets.publish("self", 0, 0, "echo"), PingReq.INSTANCE));
    c.expect(connAck(true, 0));
    assertThat(List.of(c.expectPacket(), c.expectPacket()))
        .containsExactlyInAnyOrder(Packets.publish("self", 0, 0, "echo"), PingResp.INSTANCE);
  }

  @Test
  @DisplayName("MQTT-3.1.4-5: data sent after a refused CONNECT is not processed")
  void dataAfterRefusedConnectIsNotProcessed() {
    witness();
    RawClient c = open("c");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(rawConnect("MQTT", 4, 0x00, "")); // empty id without Clean Session: refused
    out.writeBytes(RawClient.hex("30 0a 00 07 77 69 74 6e 65 73 73 21")); // PUBLISH "witness" "!"
    c.sendBytes(out.toByteArray());
    c.expectHex("20 02 00 02");
    c.expectClosed();
    assertBrokerServesOthers(); // the witness's next message is the check, not "!"
  }
}
