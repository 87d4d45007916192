package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link MqttEncoder#encodeAck} writes exactly what encoding the ack packet writes. */
class EncodeAckTest {
  private static final PacketType[] ACKS =
      {PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP};

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void matchesTheCanonicalEncodingOfEveryAckType(MqttVersion version) {
    int[] codes = {ReasonCodes.SUCCESS, ReasonCodes.NO_MATCHING_SUBSCRIBERS, ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND,
        ReasonCodes.QUOTA_EXCEEDED};
    for (PacketType type : ACKS) {
      for (int packetId : new int[] {1, 300, 65535}) {
        for (int code : codes) {
          // MQTT 3.x has no reason codes: the packet encodes as Success whatever it holds.
          int sent = version.isV5() ? code : ReasonCodes.SUCCESS;
          ByteBuf expected = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT,
              MqttPacket.ack(type, packetId, sent, MqttProperties.EMPTY), version);
          ByteBuf actual = Unpooled.buffer(1);
          actual.writeByte(0xEE); // appends after what is already in the buffer
          MqttEncoder.encodeAck(type, packetId, sent, version, actual);
          actual.skipBytes(1);
          assertThat(ByteBufUtil.hexDump(actual)).as("%s id %d code %d", type, packetId, sent)
              .isEqualTo(ByteBufUtil.hexDump(expected));
          expected.release();
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void refusesWhatIsNotAnAckOrHasNoValidPacketId(MqttVersion version) {
    ByteBuf out = Unpooled.buffer();
    assertThatThrownBy(() -> MqttEncoder.encodeAck(PacketType.SUBACK, 1, 0, version, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MqttEncoder.encodeAck(PacketType.PUBACK, 0, 0, version, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MqttEncoder.encodeAck(PacketType.PUBACK, 65536, 0, version, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(out.readableBytes()).isZero();
    assertThatThrownBy(() -> MqttPacket.ack(PacketType.SUBACK, 1, 0, MqttProperties.EMPTY))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
