package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MqttEncoder}: what it writes for each version, and the packets it refuses to write. */
class MqttEncoderTest {
  private static final MqttProperties EMPTY = MqttProperties.EMPTY;
  private static final String LONG = "x".repeat(70_000);

  // ------------------------------------------------------------------------------ refusals

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(MqttVersion.class)
  void aPublishHeaderFollowedByItsPayloadIsThePublish(MqttVersion version) {
    Publish p = new Publish("a/b", 1, false, false, 0, new byte[200_000],
        MqttProperties.builder().set(Property.CONTENT_TYPE, "x").build());
    ByteBuf whole = Unpooled.buffer();
    MqttEncoder.encodePublish(p, 1, true, true, 7, version, whole);
    ByteBuf parts = Unpooled.buffer();
    MqttEncoder.encodePublishHeader(p, 1, true, true, 7, version, parts);
    assertThat(parts.readableBytes()).isEqualTo(whole.readableBytes() - 200_000);
    parts.writeBytes(p.payload());
    assertThat(ByteBufUtil.equals(parts, whole)).isTrue();
  }

  @Test
  void qos1PublishWithPacketIdZeroIsRefused() {
    assertRefused(new Publish("a", 1, false, false, 0, new byte[0], EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Publish("a", 2, false, false, 0, new byte[0], EMPTY), MqttVersion.V5);
  }

  @Test
  void packetIdOutsideOneTo65535IsRefused() {
    assertRefused(new Publish("a", 1, false, false, 70_000, new byte[0], EMPTY), MqttVersion.V3_1_1);
    assertRefused(new PubAck(-1), MqttVersion.V5);
    assertRefused(new PubRel(65_536), MqttVersion.V3_1_1);
    assertRefused(new PubComp(0), MqttVersion.V3_1_1);
    assertRefused(new Subscribe(0, List.of(new Subscription("a", 0)), EMPTY), MqttVersion.V3_1_1);
    assertRefused(new UnsubAck(70_000, List.of(), EMPTY), MqttVersion.V3_1_1);
  }

  @Test
  void stringOf70000BytesIsRefused() {
    assertRefused(new Publish(LONG, TestPackets.b("x")), MqttVersion.V3_1_1);
    assertRefused(new Connect(MqttVersion.V3_1_1, LONG, true, 0, null, null, null, EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Connect(MqttVersion.V5, "c", true, 0, null, null, null,
        MqttProperties.builder().userProperty("k", LONG).build()), MqttVersion.V5);
    assertRefused(new Subscribe(1, List.of(new Subscription(LONG, 0)), EMPTY), MqttVersion.V5);
    // 35,000 two-byte characters are 70,000 bytes: the limit is on bytes, not chars.
    assertRefused(new Publish("ü".repeat(35_000), new byte[0]), MqttVersion.V3_1_1);
  }

  @Test
  void binaryOver65535BytesIsRefused() {
    byte[] big = new byte[65_536];
    assertRefused(new Connect(MqttVersion.V3_1_1, "c", true, 0, "u", big, null, EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Connect(MqttVersion.V3_1_1, "c", true, 0, null, null, new Will("t", big, 0, false, EMPTY), EMPTY),
        MqttVersion.V3_1_1);
    assertRefused(new Auth(0, MqttProperties.builder().set(Property.AUTHENTICATION_DATA, big).build()), MqttVersion.V5);
  }

  @Test
  void emptyListsThatThePeerMustRefuseAreRefused() {
    assertRefused(new Subscribe(1, List.of(), EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Unsubscribe(1, List.of(), EMPTY), MqttVersion.V5);
    assertRefused(new SubAck(1, List.of(), EMPTY), MqttVersion.V3_1);
    assertRefused(new UnsubAck(1, List.of(), EMPTY), MqttVersion.V5);
    assertThat(Codec.encode(new UnsubAck(1, List.of(), EMPTY), MqttVersion.V3_1_1)).hasSize(4); // none in 3.x
  }

  @Test
  void qos0PublishWithDupIsRefused() {
    assertRefused(new Publish("a", 0, false, true, 0, new byte[0], EMPTY), MqttVersion.V3_1_1); // MQTT-3.3.1-2
  }

  @Test
  void authIsRefusedBeforeMqtt5() {
    assertRefused(new Auth(0, EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Auth(0, EMPTY), MqttVersion.V3_1);
  }

  @Test
  void passwordWithoutUserNameIsRefusedBeforeMqtt5() {
    assertRefused(new Connect(MqttVersion.V3_1_1, "c", true, 0, null, new byte[1], null, EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Connect(MqttVersion.V3_1, "c", true, 0, null, new byte[1], null, EMPTY), MqttVersion.V3_1);
  }

  @Test
  void propertyValueOutOfItsWireRangeIsRefused() {
    assertRefused(props(Property.PAYLOAD_FORMAT_INDICATOR, 256));
    assertRefused(props(Property.PAYLOAD_FORMAT_INDICATOR, 2)); // a 0/1 flag, as the decoder requires
    assertRefused(new ConnAck(false, 0, MqttProperties.builder().set(Property.MAXIMUM_QOS, 2).build()), MqttVersion.V5);
    assertRefused(new ConnAck(false, 0, MqttProperties.builder().receiveMaximum(0).build()), MqttVersion.V5);
    assertRefused(new ConnAck(false, 0, MqttProperties.builder().maximumPacketSize(0).build()), MqttVersion.V5);
    assertRefused(props(Property.TOPIC_ALIAS, 65_536));
    assertRefused(props(Property.TOPIC_ALIAS, -1));
    assertRefused(props(Property.TOPIC_ALIAS, 0)); // MQTT-3.3.2-8
    assertRefused(props(Property.MESSAGE_EXPIRY_INTERVAL, 4_294_967_296L));
    assertRefused(props(Property.MESSAGE_EXPIRY_INTERVAL, -1L));
    assertRefused(new Publish("a", 0, false, false, 0, new byte[0],
        MqttProperties.builder().subscriptionIdentifier(268_435_456).build()), MqttVersion.V5);
    assertRefused(new Publish("a", 0, false, false, 0, new byte[0],
        MqttProperties.builder().subscriptionIdentifier(0).build()), MqttVersion.V5);
  }

  @Test
  void reasonCodeOutsideAByteIsRefused() {
    assertRefused(new ConnAck(false, 256), MqttVersion.V3_1_1);
    assertRefused(new PubAck(1, -1, EMPTY), MqttVersion.V5);
    assertRefused(new SubAck(1, List.of(0, 300), EMPTY), MqttVersion.V3_1_1);
    assertRefused(new Disconnect(0x1FF), MqttVersion.V5);
  }

  @Test
  void refusalLeavesTheOutputBufferUntouched() {
    ByteBuf out = Unpooled.buffer();
    assertThatThrownBy(() -> MqttEncoder.encode(new Publish("a", 1, false, false, 0, new byte[0], EMPTY),
        MqttVersion.V3_1_1, out)).isInstanceOf(IllegalArgumentException.class);
    assertThat(out.writerIndex()).isZero();
  }

  // ------------------------------------------------------------------------------ versions

  @Test
  void mqtt3LeavesOutReasonCodesAndProperties() {
    MqttProperties reason = MqttProperties.builder().reasonString("no").build();
    assertThat(hex(new PubAck(7, ReasonCodes.NO_MATCHING_SUBSCRIBERS, reason), MqttVersion.V3_1_1)).isEqualTo("40020007");
    assertThat(hex(new UnsubAck(7, List.of(0, 0x11), reason), MqttVersion.V3_1_1)).isEqualTo("b0020007");
    assertThat(hex(new Disconnect(ReasonCodes.SERVER_SHUTTING_DOWN, reason), MqttVersion.V3_1)).isEqualTo("e000");
    assertThat(hex(new ConnAck(true, 0, reason), MqttVersion.V3_1_1)).isEqualTo("20020100");
    assertThat(hex(new Publish("a", 0, false, false, 0, new byte[0], reason), MqttVersion.V3_1_1)).isEqualTo("3003000161");
  }

  @Test
  void mqtt3SubscribeCarriesOnlyTheQos() {
    Subscribe s = new Subscribe(1, List.of(new Subscription("a", 1, true, true, 2)), EMPTY);
    assertThat(hex(s, MqttVersion.V3_1_1)).isEqualTo("8206" + "0001" + "000161" + "01");
    assertThat(hex(s, MqttVersion.V5)).isEqualTo("8207" + "0001" + "00" + "000161" + "2d");
  }

  @Test
  void mqtt5AcksUseTheirShortestForm() {
    assertThat(hex(new PubAck(1), MqttVersion.V5)).isEqualTo("40020001");
    assertThat(hex(new PubRec(1, 0x80, EMPTY), MqttVersion.V5)).isEqualTo("5003000180");
    assertThat(hex(Disconnect.NORMAL, MqttVersion.V5)).isEqualTo("e000");
    assertThat(hex(new Disconnect(0x8E), MqttVersion.V5)).isEqualTo("e0018e");
    assertThat(hex(new Auth(0, EMPTY), MqttVersion.V5)).isEqualTo("f000");
  }

  @Test
  void connectIsWrittenInItsOwnVersionWhateverTheHandlerSays() {
    Connect c = new Connect(MqttVersion.V3_1, "c", true, 0, null, null, null, EMPTY);
    assertThat(Codec.encode(c, MqttVersion.V5)).isEqualTo(Codec.encode(c, MqttVersion.V3_1));
  }

  // ------------------------------------------------------------------------------ handler

  @Test
  void handlerWritesPacketsInItsVersionAndCanSwitch() {
    MqttEncoder encoder = new MqttEncoder(MqttVersion.V3_1_1);
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    PubAck ack = new PubAck(1, ReasonCodes.NO_MATCHING_SUBSCRIBERS, EMPTY);
    ch.writeOutbound(ack);
    assertThat(readHex(ch)).isEqualTo("40020001");
    encoder.setVersion(MqttVersion.V5);
    assertThat(encoder.version()).isEqualTo(MqttVersion.V5);
    ch.writeOutbound(ack);
    assertThat(readHex(ch)).isEqualTo("4003000110");
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void handlerWritesEveryCanonicalCatalogueRow() {
    for (TestPackets.Row row : TestPackets.VALID) {
      if (!row.canonical()) {
        continue;
      }
      EmbeddedChannel ch = new EmbeddedChannel(new MqttEncoder(row.packetVersion()));
      ch.writeOutbound(row.packet());
      ByteBuf buf = ch.readOutbound();
      assertThat(ByteBufUtil.getBytes(buf)).as(row.name()).isEqualTo(row.bytes());
      buf.release();
      ch.finishAndReleaseAll();
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private static Publish props(Property p, Object value) {
    return new Publish("a", 0, false, false, 0, new byte[0], MqttProperties.builder().set(p, value).build());
  }

  private static void assertRefused(Publish p) {
    assertRefused(p, MqttVersion.V5);
  }

  private static void assertRefused(MqttPacket p, MqttVersion v) {
    assertThatThrownBy(() -> MqttEncoder.encodedSize(p, v)).as("encodedSize(%s)", p)
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, p, v)).as("encode(%s)", p)
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String hex(MqttPacket p, MqttVersion v) {
    return Codec.hex(Codec.encode(p, v));
  }

  private static String readHex(EmbeddedChannel ch) {
    ByteBuf buf = ch.readOutbound();
    try {
      return ByteBufUtil.hexDump(buf);
    } finally {
      buf.release();
    }
  }
}
