package io.tern.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

/** Small helpers over the static codec entry points, for tests. */
final class Codec {
  private Codec() {}

  /** Decodes one packet from exactly these bytes; fails if bytes are left over or missing. */
  static MqttPacket decode(byte[] bytes, MqttVersion version) {
    return decode(bytes, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
  }

  static MqttPacket decode(byte[] bytes, MqttVersion version, int maxPacketSize) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    MqttPacket p = MqttDecoder.decode(buf, version, maxPacketSize);
    if (p == null) {
      throw new AssertionError("incomplete packet: decode returned null for " + bytes.length + " bytes");
    }
    if (buf.isReadable()) {
      throw new AssertionError(buf.readableBytes() + " bytes left after decoding " + p);
    }
    return p;
  }

  /** Encodes one packet into a byte array. */
  static byte[] encode(MqttPacket packet, MqttVersion version) {
    ByteBuf buf = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, packet, version);
    try {
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** Hex for assertion messages. */
  static String hex(byte[] bytes) {
    return ByteBufUtil.hexDump(bytes);
  }
}
