package io.tern.broker.conformance;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MQTT 3.1.1 chapter 2 MQTT Control Packet format: packet types, fixed header flags and the
 * Remaining Length, after a successful CONNECT.
 */
class Conformance_2_ControlPacketFormatTest extends BrokerTestBase {

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource({
      "'00 00', reserved packet type 0",
      "'f0 00', reserved packet type 15",
      "'20 02 00 00', CONNACK (server to client only)",
      "'90 03 00 01 00', SUBACK (server to client only)",
      "'b0 02 00 01', UNSUBACK (server to client only)",
      "'d0 00', PINGRESP (server to client only)",
  })
  @DisplayName("MQTT-2.2.1 / MQTT-4.8.0-1: a reserved or server-only packet type closes the connection")
  void reservedOrServerOnlyPacketTypeClosesTheConnection(String bytes, String what) {
    witness();
    RawClient c = connect("c");
    c.sendHex(bytes);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource({
      "'41 02 00 01', PUBACK flags 0001",
      "'58 02 00 01', PUBREC flags 1000",
      "'64 02 00 01', PUBREL flags 0100",
      "'72 02 00 01', PUBCOMP flags 0010",
      "'c2 00', PINGREQ flags 0010",
      "'e1 00', DISCONNECT flags 0001",
  })
  @DisplayName("MQTT-2.2.2-2: invalid fixed header flags close the connection")
  void invalidFixedHeaderFlagsCloseTheConnection(String bytes, String what) {
    witness();
    RawClient c = connect("c");
    c.sendHex(bytes);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-2.2.3: a Remaining Length of more than four bytes closes the connection")
  void remainingLengthOfFiveBytesClosesTheConnection() {
    witness();
    RawClient c = connect("c");
    c.sendHex("30 ff ff ff ff 01");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-2.2.3: a Remaining Length split over several TCP segments is read correctly")
  void packetSplitIntoSingleBytesIsDecoded() {
    RawClient c = connect("c");
    for (String b : "32 07 00 01 74 12 34 68 69".split(" ")) {
      c.sendHex(b);
    }
    c.expectHex("40 02 12 34");
  }

  @Test
  @DisplayName("MQTT-2.2.3: several packets in one TCP segment are all handled, in order")
  void severalPacketsInOneSegmentAreHandledInOrder() {
    RawClient c = connect("c");
    c.sendHex("32 07 00 01 74 00 01 68 69 c0 00 32 07 00 01 74 00 02 68 69");
    c.expectHex("40 02 00 01 d0 00 40 02 00 02");
  }

  @Test
  @DisplayName("MQTT-2.2.3: a multi-byte Remaining Length (a 200-byte PUBLISH) is decoded")
  void multiByteRemainingLength() {
    RawClient sub = subscriber("sub", "t", 0);
    RawClient pub = connect("pub");
    byte[] body = new byte[200];
    body[1] = 1;
    body[2] = 't';
    pub.sendBytes(Packets.withFixedHeader(0x30, body));
    sub.expectHex("30 c8 01 00 01 74");
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
      "'c0 01 00', PINGREQ with a body",
      "'e0 01 00', DISCONNECT with a body",
      "'40 03 00 01 00', PUBACK with a byte too many",
      "'40 01 00', PUBACK without its packet id",
  })
  @DisplayName("MQTT-4.8.0-1: a packet whose length does not fit its type closes the connection")
  void packetWithWrongLengthClosesTheConnection(String bytes, String what) {
    witness();
    RawClient c = connect("c");
    c.sendHex(bytes);
    c.expectClosed();
    assertBrokerServesOthers();
  }
}
