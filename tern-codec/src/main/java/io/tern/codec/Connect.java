package io.tern.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * CONNECT. {@code cleanStart} is MQTT 3.x's Clean Session flag. {@code username}, {@code password}
 * and {@code will} are {@code null} when their flag is not set. The password array is owned by this
 * record and must not be modified; {@link #toString()} never shows it.
 */
public record Connect(
    MqttVersion version,
    String clientId,
    boolean cleanStart,
    int keepAlive,
    String username,
    byte[] password,
    Will will,
    MqttProperties properties)
    implements MqttPacket {

  public Connect {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(properties, "properties");
    if (keepAlive < 0 || keepAlive > 0xFFFF) {
      throw new IllegalArgumentException("keepAlive " + keepAlive);
    }
  }

  @Override
  public PacketType type() {
    return PacketType.CONNECT;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Connect c
        && version == c.version && clientId.equals(c.clientId) && cleanStart == c.cleanStart
        && keepAlive == c.keepAlive && Objects.equals(username, c.username)
        && Arrays.equals(password, c.password) && Objects.equals(will, c.will)
        && properties.equals(c.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, clientId, cleanStart, keepAlive, username, Arrays.hashCode(password), will, properties);
  }

  @Override
  public String toString() {
    return "Connect[version=" + version + ", clientId=" + clientId + ", cleanStart=" + cleanStart
        + ", keepAlive=" + keepAlive + ", username=" + username + ", password=" + (password == null ? "none" : "***")
        + ", will=" + will + ", properties=" + properties + "]";
  }
}
