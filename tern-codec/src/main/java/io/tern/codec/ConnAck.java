package io.tern.codec;

import java.util.Objects;

/**
 * CONNACK. {@code reasonCode} is the byte on the wire: an MQTT 5.0 reason code, or for MQTT 3.x a
 * return code 0x00-0x05 (see {@link ReasonCodes#toV3ConnAck(int)}).
 */
public record ConnAck(boolean sessionPresent, int reasonCode, MqttProperties properties) implements MqttPacket {
  public ConnAck {
    Objects.requireNonNull(properties, "properties");
  }

  public ConnAck(boolean sessionPresent, int reasonCode) {
    this(sessionPresent, reasonCode, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.CONNACK;
  }
}
