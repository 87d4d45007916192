package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link MqttEncoder#encodePublish} writes exactly what encoding the per-receiver packet writes. */
class EncodePublishTest {
  private static final MqttProperties PROPS = MqttProperties.builder()
      .messageExpiryInterval(30)
      .set(Property.CONTENT_TYPE, "text/plain")
      .userProperty("k", "v")
      .build();

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void matchesTheCanonicalEncodingForEveryQosAndFlag(MqttVersion version) {
    byte[][] payloads = {new byte[0], "hé".getBytes(StandardCharsets.UTF_8), new byte[20_000]};
    for (byte[] payload : payloads) {
      // The stored message: its own flags and id must not leak into what a receiver gets.
      Publish message = new Publish("a/ü/c", 2, true, true, 77, payload, version.isV5() ? PROPS : MqttProperties.EMPTY);
      for (int qos = 0; qos <= 2; qos++) {
        for (boolean retain : new boolean[] {false, true}) {
          for (boolean dup : new boolean[] {false, true}) {
            int packetId = qos == 0 ? 0 : 4242;
            boolean wireDup = dup && qos > 0;
            ByteBuf expected = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT,
                message.withDelivery(qos, retain, wireDup, packetId), version);
            ByteBuf actual = Unpooled.buffer(1);
            actual.writeByte(0xEE); // encodes at the writer index, after what is already there
            MqttEncoder.encodePublish(message, qos, retain, dup, packetId, version, actual);
            actual.skipBytes(1);
            assertThat(ByteBufUtil.hexDump(actual)).as("qos %d retain %s dup %s", qos, retain, dup)
                .isEqualTo(ByteBufUtil.hexDump(expected));
            expected.release();
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void refusesAQos1DeliveryWithoutPacketId(MqttVersion version) {
    Publish message = new Publish("t", "x".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> MqttEncoder.encodePublish(message, 1, false, false, 0, version, Unpooled.buffer()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
