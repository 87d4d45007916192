package io.tern.codec;

import java.util.Objects;

/** PUBREC. {@code reasonCode} and {@code properties} exist on the wire in MQTT 5.0 only. */
public record PubRec(int packetId, int reasonCode, MqttProperties properties) implements MqttPacket {
  public PubRec {
    Objects.requireNonNull(properties, "properties");
  }

  public PubRec(int packetId) {
    this(packetId, ReasonCodes.SUCCESS, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBREC;
  }
}
