package io.tern.codec;

import java.util.List;
import java.util.Objects;

/** SUBACK: one reason code (v3: return code 0, 1, 2 or 0x80) per filter of the SUBSCRIBE, in order. */
public record SubAck(int packetId, List<Integer> reasonCodes, MqttProperties properties) implements MqttPacket {
  public SubAck {
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBACK;
  }
}
