package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Encode, then decode: the same packet, for every packet type in every version. */
class RoundTripTest {

  static Stream<Arguments> packets() {
    List<Arguments> args = new ArrayList<>();
    for (MqttVersion v : MqttVersion.values()) {
      for (MqttPacket p : packets(v)) {
        args.add(Arguments.of(v, p));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("packets")
  void packetSurvivesEncodeAndDecode(MqttVersion version, MqttPacket packet) {
    byte[] bytes = Codec.encode(packet, version);
    assertThat(bytes).hasSize(MqttEncoder.encodedSize(packet, version));
    assertThat(Codec.decode(bytes, version)).isEqualTo(packet);
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void everyPacketTypeOfTheVersionIsCovered(MqttVersion version) {
    Set<PacketType> types = EnumSet.noneOf(PacketType.class);
    packets(version).forEach(p -> types.add(p.type()));
    Set<PacketType> expected = EnumSet.allOf(PacketType.class);
    if (!version.isV5()) {
      expected.remove(PacketType.AUTH);
    }
    assertThat(types).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void largePayloadsNeedRemainingLengthsOfOneToFourBytes(MqttVersion version) {
    Set<Integer> lengthBytes = new TreeSet<>();
    for (MqttPacket p : packets(version)) {
      if (p instanceof Publish) {
        byte[] bytes = Codec.encode(p, version);
        int n = 1;
        while ((bytes[n] & 0x80) != 0) {
          n++;
        }
        lengthBytes.add(n);
      }
    }
    assertThat(lengthBytes).containsExactly(1, 2, 3, 4);
  }

  @Test
  void encodeWritesAtTheWriterIndexOfABufferInUse() {
    Publish p = new Publish("a/b", 1, false, false, 5, TestPackets.b("x"), MqttProperties.EMPTY);
    ByteBuf out = Unpooled.buffer();
    out.writeBytes(new byte[] {9, 9, 9});
    MqttEncoder.encode(p, MqttVersion.V3_1_1, out);
    MqttEncoder.encode(PingReq.INSTANCE, MqttVersion.V3_1_1, out);
    assertThat(ByteBufUtil.hexDump(out)).isEqualTo("090909" + "3208" + "0003612f62" + "0005" + "78" + "c000");
    out.skipBytes(3);
    assertThat(MqttDecoder.decode(out, MqttVersion.V3_1_1, 1024)).isEqualTo(p);
    assertThat(MqttDecoder.decode(out, MqttVersion.V3_1_1, 1024)).isEqualTo(PingReq.INSTANCE);
    assertThat(out.isReadable()).isFalse();
  }

  /** Packets to round-trip in one version: v5-only fields are set only for v5. */
  static List<MqttPacket> packets(MqttVersion v) {
    boolean v5 = v.isV5();
    MqttProperties none = MqttProperties.EMPTY;
    MqttProperties user = v5 ? MqttProperties.builder().userProperty("k", "v").userProperty("k", "v").build() : none;
    MqttProperties reason = v5 ? MqttProperties.builder().reasonString("why").userProperty("a", "b").build() : none;
    List<MqttPacket> list = new ArrayList<>();

    list.add(new Connect(v, "client", true, 60, null, null, null, none));
    list.add(new Connect(v, "", false, 0, "user", new byte[] {0, 1, (byte) 0xFF}, null, none));
    list.add(new Connect(v, "ü€\uD83D\uDE00", true, 65535, "ü", TestPackets.payload(65_535),
        new Will("w/ü", TestPackets.payload(65_535), 2, true, v5
            ? MqttProperties.builder().set(Property.WILL_DELAY_INTERVAL, 4_294_967_295L)
                .set(Property.CORRELATION_DATA, new byte[0]).set(Property.CONTENT_TYPE, "").build()
            : none),
        v5 ? MqttProperties.builder().sessionExpiryInterval(4_294_967_295L).receiveMaximum(65_535)
            .maximumPacketSize(268_435_460).set(Property.TOPIC_ALIAS_MAXIMUM, 0).build() : none));
    if (v5) {
      list.add(new Connect(v, "c", true, 1, null, TestPackets.b("pw"), new Will("t", new byte[0], 0, false, user), user));
    }

    list.add(new ConnAck(false, 0, none));
    list.add(new ConnAck(true, v5 ? ReasonCodes.BANNED : ReasonCodes.V3_NOT_AUTHORIZED,
        v5 ? MqttProperties.builder().set(Property.ASSIGNED_CLIENT_IDENTIFIER, "auto-1")
            .set(Property.SERVER_KEEP_ALIVE, 0).reasonString("r").build() : none));

    list.add(new Publish("a", 0, false, false, 0, new byte[0], none));
    list.add(new Publish("a/b", 1, true, true, 65_535, TestPackets.b("hi"), user));
    list.add(new Publish("/", 2, false, false, 1, new byte[] {0}, v5
        ? MqttProperties.builder().subscriptionIdentifier(1).subscriptionIdentifier(268_435_455)
            .messageExpiryInterval(0).set(Property.PAYLOAD_FORMAT_INDICATOR, 0).build()
        : none));
    if (v5) {
      list.add(new Publish("", 0, false, false, 0, TestPackets.b("aliased"), MqttProperties.builder().topicAlias(65_535).build()));
    }
    // Remaining lengths around the 1/2/3/4-byte edges: 127/128, 16,383/16,384, 2,097,151/2,097,152.
    int overhead = 5 + (v5 ? 1 : 0); // topic "a/b" and, for 5.0, an empty property length
    for (int remaining : new int[] {127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 3_000_000}) {
      list.add(new Publish("a/b", 0, false, false, 0, TestPackets.payload(remaining - overhead), none));
    }

    list.add(new PubAck(1, 0, none));
    list.add(new PubRec(2, 0, none));
    list.add(new PubRel(3, 0, none));
    list.add(new PubComp(65_535, 0, none));
    if (v5) {
      list.add(new PubAck(1, ReasonCodes.NO_MATCHING_SUBSCRIBERS, none));
      list.add(new PubAck(1, 0, reason));
      list.add(new PubRec(2, ReasonCodes.QUOTA_EXCEEDED, reason));
      list.add(new PubRel(3, ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND, none));
      list.add(new PubComp(4, 0, reason));
    }

    list.add(new Subscribe(1, List.of(new Subscription("#", 0)), none));
    list.add(new Subscribe(2, List.of(
        new Subscription("a/+/c", 1, v5, v5, v5 ? 2 : 0),
        new Subscription("$share/group/x/#", 2, false, v5, v5 ? 1 : 0),
        new Subscription("/", 0)), v5 ? MqttProperties.builder().subscriptionIdentifier(99).build() : none));
    list.add(new SubAck(1, List.of(0), none));
    list.add(new SubAck(2, List.of(1, 2, 0x80), reason));
    list.add(new Unsubscribe(3, List.of("a/#"), none));
    list.add(new Unsubscribe(4, List.of("a", "+/+", "$share/g/#"), user));
    list.add(new UnsubAck(3, v5 ? List.of(0) : List.of(), none));
    if (v5) {
      list.add(new UnsubAck(4, List.of(0, 0x11, 0x87), reason));
    }
    list.add(PingReq.INSTANCE);
    list.add(PingResp.INSTANCE);
    list.add(Disconnect.NORMAL);
    if (v5) {
      list.add(new Disconnect(ReasonCodes.DISCONNECT_WITH_WILL_MESSAGE));
      list.add(new Disconnect(ReasonCodes.SERVER_MOVED,
          MqttProperties.builder().set(Property.SERVER_REFERENCE, "elsewhere").sessionExpiryInterval(10).build()));
      list.add(new Disconnect(0, user));
      list.add(new Auth(0, MqttProperties.EMPTY));
      list.add(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, MqttProperties.EMPTY));
      list.add(new Auth(ReasonCodes.RE_AUTHENTICATE, MqttProperties.builder()
          .set(Property.AUTHENTICATION_METHOD, "SCRAM-SHA-256")
          .set(Property.AUTHENTICATION_DATA, TestPackets.payload(65_535)).build()));
      list.add(new Auth(0, user));
    }
    return list;
  }
}
