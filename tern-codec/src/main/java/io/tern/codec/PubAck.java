package io.tern.codec;

import java.util.Objects;

/** PUBACK. {@code reasonCode} and {@code properties} exist on the wire in MQTT 5.0 only. */
public record PubAck(int packetId, int reasonCode, MqttProperties properties) implements MqttPacket {
  public PubAck {
    Objects.requireNonNull(properties, "properties");
  }

  public PubAck(int packetId) {
    this(packetId, ReasonCodes.SUCCESS, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBACK;
  }
}
