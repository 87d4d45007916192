package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Acks with Success and no properties decode to shared values; any other ack to its own packet. */
class SharedAcksTest {
  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void successAcksAreSharedAndEqualToWhatWasSent(MqttVersion version) {
    MqttPacket[] sent = {new PubAck(7), new PubRec(7), new PubRel(7), new PubComp(7), new PubAck(65535)};
    for (MqttPacket p : sent) {
      MqttPacket first = decode(p, version);
      MqttPacket second = decode(p, version);
      assertThat(first).isEqualTo(p);
      assertThat(second).isSameAs(first);
    }
    // Same id, other types: other values.
    assertThat(decode(new PubAck(7), version)).isNotEqualTo(decode(new PubComp(7), version));
  }

  @ParameterizedTest
  @EnumSource(value = MqttVersion.class, names = "V5")
  void acksWithAReasonCodeOrPropertiesAreTheirOwn(MqttVersion version) {
    PubAck coded = new PubAck(7, ReasonCodes.NO_MATCHING_SUBSCRIBERS, MqttProperties.EMPTY);
    PubAck withProps = new PubAck(7, ReasonCodes.SUCCESS, MqttProperties.builder().reasonString("why").build());
    assertThat(decode(coded, version)).isEqualTo(coded).isNotSameAs(decode(coded, version));
    assertThat(decode(withProps, version)).isEqualTo(withProps);
    assertThat(decode(new PubAck(7), version)).isEqualTo(new PubAck(7));
  }

  private static MqttPacket decode(MqttPacket p, MqttVersion version) {
    ByteBuf b = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, p, version);
    try {
      return MqttDecoder.decode(b, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
    } finally {
      b.release();
    }
  }
}
