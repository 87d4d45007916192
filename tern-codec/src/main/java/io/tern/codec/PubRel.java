package io.tern.codec;

import java.util.Objects;

/** PUBREL. {@code reasonCode} and {@code properties} exist on the wire in MQTT 5.0 only. */
public record PubRel(int packetId, int reasonCode, MqttProperties properties) implements MqttPacket {
  public PubRel {
    Objects.requireNonNull(properties, "properties");
  }

  public PubRel(int packetId) {
    this(packetId, ReasonCodes.SUCCESS, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBREL;
  }
}
