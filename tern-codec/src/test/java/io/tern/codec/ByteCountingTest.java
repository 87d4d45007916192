package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The decoder and encoder count the bytes through them (what the broker reports as bytes received and sent). */
class ByteCountingTest {
  @Test
  void theDecoderCountsEveryByteGivenItEvenOfAnIncompletePacket() {
    AtomicLong total = new AtomicLong();
    MqttDecoder decoder = new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE).countBytes(total::addAndGet);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    byte[] ping = {(byte) 0xC0, 0x00};
    byte[] publish = {0x30, 0x05, 0x00, 0x01, 'a', 'x', 'y'};
    ch.writeInbound(Unpooled.wrappedBuffer(ping));
    ch.writeInbound(Unpooled.wrappedBuffer(publish, 0, 3)); // half a PUBLISH
    assertThat(decoder.bytesRead()).isEqualTo(5);
    ch.writeInbound(Unpooled.wrappedBuffer(publish, 3, 4));
    assertThat(decoder.bytesRead()).isEqualTo(9);
    assertThat(total).hasValue(9);
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Test
  void theEncoderCountsPacketsItEncodesAndBuffersPassedThrough() {
    AtomicLong total = new AtomicLong();
    MqttEncoder encoder = new MqttEncoder(MqttVersion.V3_1_1).countBytes(total::addAndGet);
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    ch.writeOutbound(PingResp.INSTANCE); // 2 bytes
    ByteBuf preEncoded = Unpooled.wrappedBuffer(new byte[] {0x30, 0x03, 0x00, 0x01, 'a'});
    ch.writeOutbound(preEncoded);
    assertThat(encoder.bytesWritten()).isEqualTo(7);
    assertThat(total).hasValue(7);
    ch.finishAndReleaseAll();
  }

  @Test
  void withoutACounterOnlyTheConnectionsOwnTotalCounts() {
    MqttEncoder encoder = new MqttEncoder(MqttVersion.V5);
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    ch.writeOutbound(PingResp.INSTANCE);
    assertThat(encoder.bytesWritten()).isEqualTo(2);
    ch.finishAndReleaseAll();
  }
}
