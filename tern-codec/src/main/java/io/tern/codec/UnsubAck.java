package io.tern.codec;

import java.util.List;
import java.util.Objects;

/** UNSUBACK. MQTT 3.x has no reason codes: the list is empty there. */
public record UnsubAck(int packetId, List<Integer> reasonCodes, MqttProperties properties) implements MqttPacket {
  public UnsubAck {
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.UNSUBACK;
  }
}
