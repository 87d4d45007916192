package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The decoder counts the bytes it is given (what the broker reports as bytes received on plain TCP). */
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
}
