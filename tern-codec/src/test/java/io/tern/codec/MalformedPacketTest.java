package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tern.codec.TestPackets.Row;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One test per malformation rule. The bytes live in {@link TestPackets} (rows named
 * {@code "<rule>: <detail>"}); each test checks that every row of its rule raises {@link
 * MqttDecodeException} with the row's reason code, and what else the rule promises.
 */
class MalformedPacketTest {

  @Test
  void reservedFixedHeaderFlagBitsAreMalformedForEveryPacketTypeThatHasThem() {
    List<Row> rows = rejectAll("fixed header flags");
    Set<PacketType> types = EnumSet.noneOf(PacketType.class);
    for (Row r : rows) {
      types.add(PacketType.of((r.bytes()[0] & 0xFF) >> 4));
    }
    // PUBLISH has no reserved flag bits; its QoS 3 and DUP rules have rows of their own.
    assertThat(types).isEqualTo(EnumSet.complementOf(EnumSet.of(PacketType.PUBLISH)));
  }

  @Test
  void aTlsClientHelloOnAPlainListenerIsNamedAsSuch() {
    // The first bytes of a TLS 1.2/1.3 ClientHello record: handshake (0x16), version 3.1, length.
    byte[] hello = java.util.HexFormat.of().parseHex("16030100c8010000c40303");
    assertThat(decodeError(hello, null).getMessage()).contains("a TLS handshake?", "plain MQTT");
    assertThat(decodeError(java.util.HexFormat.of().parseHex("1600"), MqttVersion.V3_1_1).getMessage()).doesNotContain("TLS");
  }

  @Test
  void reservedPacketTypeZeroAndAuthBeforeMqtt5AreMalformed() {
    for (Row r : rejectAll("reserved packet type")) {
      assertThat(decodeError(r).packetType()).as(r.name()).isNull();
    }
  }

  @Test
  void remainingLengthLongerThanFourBytesIsMalformed() {
    rejectAll("remaining length too long");
  }

  @Test
  void variableByteIntegerNotInItsMinimalFormIsMalformed() {
    rejectAll("non-minimal variable byte integer");
  }

  @Test
  void fieldRunningPastTheEndOfThePacketIsMalformed() {
    rejectAll("field past the end");
  }

  @Test
  void aReasonCodeTheTypeOfPacketMayNotCarryIsMalformed() {
    rejectAll("reason code not allowed");
    // Every code of each table decodes; the rest of the 256 do not.
    int[][] allowed = {
        {0x40, 0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}, // PUBACK
        {0x50, 0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}, // PUBREC
        {0x62, 0x00, 0x92}, // PUBREL
        {0x70, 0x00, 0x92}, // PUBCOMP
        {0xE0, 0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96,
            0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2}, // DISCONNECT
        {0xF0, 0x00, 0x18, 0x19}, // AUTH
    };
    for (int[] table : allowed) {
      Set<Integer> codes = new java.util.HashSet<>();
      for (int i = 1; i < table.length; i++) {
        codes.add(table[i]);
      }
      for (int code = 0; code < 256; code++) {
        byte[] bytes = table[0] >= 0xE0
            ? new byte[] {(byte) table[0], 2, (byte) code, 0}
            : new byte[] {(byte) table[0], 4, 0, 1, (byte) code, 0};
        String what = String.format("%02X with reason code 0x%02X", table[0], code);
        if (codes.contains(code)) {
          assertThat(MqttDecoder.decode(Unpooled.wrappedBuffer(bytes), MqttVersion.V5,
              MqttDecoder.PROTOCOL_MAX_PACKET_SIZE)).as(what).isNotNull();
        } else {
          assertThat(decodeError(bytes, MqttVersion.V5).reasonCode()).as(what).isEqualTo(ReasonCodes.MALFORMED_PACKET);
        }
      }
    }
  }

  @Test
  void remainingLengthBeyondTheDataWaitsForMoreBytes() {
    // 3.1.1 PUBLISH of 12 bytes body, only 5 of them here: not an error, just incomplete.
    ByteBuf buf = Unpooled.wrappedBuffer(TestPackets.hex("30 0C 00 05 'a/b'"));
    assertThat(MqttDecoder.decode(buf, MqttVersion.V3_1_1, 1024)).isNull();
    assertThat(buf.readerIndex()).isZero();
  }

  @Test
  void bytesAfterTheLastFieldAreMalformed() {
    rejectAll("trailing bytes");
  }

  @Test
  void pingReqAndMqtt3DisconnectWithABodyAreMalformed() {
    reject(TestPackets.row("trailing bytes: 3.1.1 PINGREQ with a body"));
    reject(TestPackets.row("trailing bytes: 5.0 PINGREQ with a body"));
    reject(TestPackets.row("trailing bytes: 3.1.1 DISCONNECT with a body"));
    reject(TestPackets.row("trailing bytes: 3.1 DISCONNECT with a body"));
  }

  @Test
  void illFormedUtf8IsMalformed() {
    List<Row> rows = rejectAll("invalid UTF-8");
    assertThat(rows).extracting(Row::name).anyMatch(n -> n.contains("overlong"))
        .anyMatch(n -> n.contains("surrogate U+D800")).anyMatch(n -> n.contains("surrogate U+DFFF"));
  }

  @Test
  void nullCharacterInAStringIsMalformed() {
    rejectAll("U+0000");
  }

  @Test
  void everyEncodedSurrogateIsMalformed() {
    for (int cp = 0xD800; cp <= 0xDFFF; cp++) {
      byte[] bytes = {0x30, 0x05, 0x00, 0x03,
          (byte) (0xE0 | (cp >> 12)), (byte) (0x80 | ((cp >> 6) & 0x3F)), (byte) (0x80 | (cp & 0x3F))};
      MqttDecodeException e = decodeError(bytes, MqttVersion.V3_1_1);
      assertThat(e.reasonCode()).as("U+%04X", cp).isEqualTo(ReasonCodes.MALFORMED_PACKET);
    }
  }

  @Test
  void wildcardInATopicNameOrWillTopicIsAnInvalidTopicName() {
    List<Row> rows = rejectAll("topic name").stream().filter(r -> r.name().contains("'")).toList();
    assertThat(rows).extracting(Row::name).anyMatch(n -> n.contains("will topic")).anyMatch(n -> n.contains("PUBLISH"));
    for (Row r : rows) {
      assertThat(decodeError(r).reasonCode()).isEqualTo(ReasonCodes.TOPIC_NAME_INVALID);
    }
  }

  @Test
  void emptyTopicIsInvalidInMqtt3AndAProtocolErrorWithoutTopicAliasInMqtt5() {
    reject(TestPackets.row("topic name: empty in a 3.1.1 PUBLISH"));
    reject(TestPackets.row("topic name: empty in a 3.1 PUBLISH"));
    reject(TestPackets.row("topic name: empty in a 3.1.1 will topic"));
    reject(TestPackets.row("topic name: empty without Topic Alias in 5.0"));
    reject(TestPackets.row("topic name: empty with other properties in 5.0"));
    assertThat(TestPackets.row("topic name: empty without Topic Alias in 5.0").reasonCode())
        .isEqualTo(ReasonCodes.PROTOCOL_ERROR);
    // ...and with a Topic Alias it is fine:
    assertThat(TestPackets.row("5.0 PUBLISH empty topic with Topic Alias").isValid()).isTrue();
  }

  @Test
  void invalidTopicFiltersAreRefused() {
    List<Row> rows = rejectAll("topic filter");
    assertThat(rows).extracting(Row::name).contains(
        "topic filter: 'a/#/b' in a 3.1.1 SUBSCRIBE",
        "topic filter: 'a+' in a 3.1.1 SUBSCRIBE",
        "topic filter: '#/a' in a 3.1.1 SUBSCRIBE",
        "topic filter: '+a' in a 3.1.1 SUBSCRIBE",
        "topic filter: 'a/b#' in a 3.1.1 SUBSCRIBE",
        "topic filter: '' in a 3.1.1 SUBSCRIBE",
        "topic filter: '$share/' in a 3.1.1 SUBSCRIBE",
        "topic filter: '$share//a' in a 3.1.1 SUBSCRIBE",
        "topic filter: '$share/g' in a 3.1.1 SUBSCRIBE",
        "topic filter: '$share/g+/x' in a 3.1.1 SUBSCRIBE");
  }

  @Test
  void qos3InPublishWillOrSubscribeIsRefused() {
    rejectAll("QoS 3");
  }

  @Test
  void qos0PublishWithDupIsMalformed() {
    rejectAll("DUP on QoS 0");
  }

  @Test
  void packetIdentifierZeroIsAProtocolError() {
    List<Row> rows = rejectAll("packet identifier 0");
    Set<PacketType> types = EnumSet.noneOf(PacketType.class);
    rows.forEach(r -> types.add(PacketType.of((r.bytes()[0] & 0xFF) >> 4)));
    assertThat(types).containsExactlyInAnyOrder(PacketType.PUBLISH, PacketType.PUBACK, PacketType.PUBREC,
        PacketType.PUBREL, PacketType.PUBCOMP, PacketType.SUBSCRIBE, PacketType.SUBACK, PacketType.UNSUBSCRIBE,
        PacketType.UNSUBACK);
  }

  @Test
  void subscribeOrUnsubscribeWithoutTopicFilterIsAProtocolError() {
    rejectAll("no topic filter");
  }

  @Test
  void subscriptionOptionsReservedBitsAreMalformed() {
    rejectAll("subscription options reserved bits");
  }

  @Test
  void retainHandling3IsAProtocolError() {
    rejectAll("retain handling 3");
  }

  @Test
  void noLocalOnASharedSubscriptionIsAProtocolError() {
    rejectAll("no local on a shared subscription");
  }

  @Test
  void propertyIncludedTwiceIsAProtocolError() {
    rejectAll("duplicate property");
  }

  @Test
  void unknownPropertyIdentifierIsMalformed() {
    rejectAll("unknown property");
  }

  @Test
  void propertyInAPacketThatDoesNotAllowItIsMalformed() {
    List<Row> rows = rejectAll("property not allowed");
    assertThat(rows).extracting(Row::name).anyMatch(n -> n.contains("in will properties"));
  }

  @Test
  void propertyValueOutOfRangeIsAProtocolError() {
    for (Row r : rejectAll("property value")) {
      assertThat(r.reasonCode()).as(r.name())
          .isEqualTo(r.name().contains("Topic Alias 0") ? ReasonCodes.TOPIC_ALIAS_INVALID : ReasonCodes.PROTOCOL_ERROR);
    }
  }

  @Test
  void connectFlagsRulesAreEnforced() {
    rejectAll("connect flags");
  }

  @Test
  void passwordWithoutUserNameIsAllowedInMqtt5Only() {
    reject(TestPackets.row("connect flags: password without user name in 3.1.1"));
    reject(TestPackets.row("connect flags: password without user name in 3.1"));
    Row v5 = TestPackets.row("5.0 CONNECT password without user name");
    assertThat(Codec.decode(v5.bytes(), null)).isEqualTo(v5.packet());
  }

  @Test
  void connAckReservedFlagsAreMalformed() {
    rejectAll("connack flags");
  }

  @Test
  void unknownProtocolNameIsAProtocolErrorWithoutVersion() {
    for (Row r : rejectAll("protocol name")) {
      MqttDecodeException e = decodeError(r);
      assertThat(e.reasonCode()).isEqualTo(ReasonCodes.PROTOCOL_ERROR);
      assertThat(e.version()).as(r.name()).isNull();
      assertThat(e.packetType()).isEqualTo(PacketType.CONNECT);
    }
  }

  @Test
  void unsupportedProtocolLevelIsUnsupportedProtocolVersion() {
    for (Row r : rejectAll("protocol level")) {
      MqttDecodeException e = decodeError(r);
      assertThat(e.reasonCode()).isEqualTo(ReasonCodes.UNSUPPORTED_PROTOCOL_VERSION);
      assertThat(e.version()).as(r.name()).isNull();
      assertThat(e.packetType()).isEqualTo(PacketType.CONNECT);
    }
  }

  @Test
  void errorInAConnectNamesTheVersionItAnnounced() {
    MqttDecodeException v5 = decodeError(TestPackets.row("connect flags: reserved flag in 5.0"));
    assertThat(v5.version()).isEqualTo(MqttVersion.V5);
    assertThat(v5.packetType()).isEqualTo(PacketType.CONNECT);
    MqttDecodeException v31 = decodeError(TestPackets.row("connect flags: reserved flag in 3.1"));
    assertThat(v31.version()).isEqualTo(MqttVersion.V3_1);
    MqttDecodeException props = decodeError(TestPackets.row("property value: Receive Maximum 0 in CONNECT"));
    assertThat(props.version()).isEqualTo(MqttVersion.V5);
    assertThat(props.packetType()).isEqualTo(PacketType.CONNECT);
  }

  @Test
  void errorAfterTheFixedHeaderNamesPacketTypeAndVersion() {
    MqttDecodeException e = decodeError(TestPackets.row("unknown property: identifier 0x7F"));
    assertThat(e.packetType()).isEqualTo(PacketType.PUBACK);
    assertThat(e.version()).isEqualTo(MqttVersion.V5);
    assertThat(e.getMessage()).isNotBlank();
    assertThat(e.toString()).contains("0x81 Malformed Packet", "PUBACK");
  }

  @Test
  void decodeExceptionCapturesNoStackTrace() {
    assertThat(decodeError(TestPackets.row("reserved packet type: 0 in 3.1.1")).getStackTrace()).isEmpty();
  }

  // ------------------------------------------------------------------------------------------

  /** Every row of the rule raises its reason code; returns the rows. */
  private static List<Row> rejectAll(String rule) {
    List<Row> rows = TestPackets.errors(rule);
    rows.forEach(MalformedPacketTest::reject);
    return rows;
  }

  private static void reject(Row row) {
    assertThat(row.isValid()).as("%s is an error row", row).isFalse();
    MqttDecodeException e = decodeError(row);
    assertThat(e.reasonCode())
        .as("%s: %s", row.name(), e)
        .isEqualTo(row.reasonCode());
  }

  private static MqttDecodeException decodeError(Row row) {
    return decodeError(row.bytes(), row.version());
  }

  private static MqttDecodeException decodeError(byte[] bytes, MqttVersion version) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    MqttDecodeException e = catchThrowableOfType(MqttDecodeException.class,
        () -> MqttDecoder.decode(buf, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE));
    assertThat(e).as("decoding %s raises MqttDecodeException", Codec.hex(bytes)).isNotNull();
    return e;
  }
}
