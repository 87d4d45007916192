package io.tern.codec;

import java.util.List;
import java.util.Objects;

/** SUBSCRIBE: a non-empty list of filters. */
public record Subscribe(int packetId, List<Subscription> subscriptions, MqttProperties properties) implements MqttPacket {
  public Subscribe {
    subscriptions = List.copyOf(subscriptions);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBSCRIBE;
  }
}
