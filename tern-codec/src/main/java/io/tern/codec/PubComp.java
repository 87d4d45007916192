package io.tern.codec;

import java.util.Objects;

/** PUBCOMP. {@code reasonCode} and {@code properties} exist on the wire in MQTT 5.0 only. */
public record PubComp(int packetId, int reasonCode, MqttProperties properties) implements MqttPacket {
  public PubComp {
    Objects.requireNonNull(properties, "properties");
  }

  public PubComp(int packetId) {
    this(packetId, ReasonCodes.SUCCESS, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBCOMP;
  }
}
