package io.tern.codec;

import java.util.Objects;

/** DISCONNECT. Reason code and properties are MQTT 5.0 only; a v3 DISCONNECT is just the header. */
public record Disconnect(int reasonCode, MqttProperties properties) implements MqttPacket {
  /** A normal disconnection without properties. */
  public static final Disconnect NORMAL = new Disconnect(ReasonCodes.NORMAL_DISCONNECTION, MqttProperties.EMPTY);

  public Disconnect {
    Objects.requireNonNull(properties, "properties");
  }

  public Disconnect(int reasonCode) {
    this(reasonCode, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.DISCONNECT;
  }
}
