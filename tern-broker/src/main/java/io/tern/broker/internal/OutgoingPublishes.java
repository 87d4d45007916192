package io.tern.broker.internal;

import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Publish;

/**
 * Turns deliveries into the PUBLISHes one client gets, by what it announced in CONNECT: the
 * remaining Message Expiry Interval, subscription identifiers, topic aliases, its Maximum Packet
 * Size. One per connection, on its event loop. Properties are rebuilt only when something changes:
 * a v3 client, or a v5 message without expiry or identifiers towards a client without aliases,
 * costs no allocation.
 */
final class OutgoingPublishes {
  /** The most a Topic Alias can add to a PUBLISH: the property (3 bytes) and a byte to each of two lengths. */
  static final int ALIAS_GROWTH = 5;
  private final MqttVersion version;
  private final BrokerStats stats;
  /** The client's Maximum Packet Size; nothing larger is sent to it (MQTT-3.1.2-24). */
  private final long maxPacketSize;
  /** Aliases the broker uses towards this client, or null when none (policy or client say so). */
  private final OutboundTopicAliases aliases;

  OutgoingPublishes(MqttVersion version, BrokerStats stats, long maxPacketSize, OutboundTopicAliases aliases) {
    this.version = version;
    this.stats = stats;
    this.maxPacketSize = maxPacketSize;
    this.aliases = aliases;
  }

  /** For an MQTT 3.x client: no properties, no size limit, no aliases. */
  static OutgoingPublishes v3(MqttVersion version, BrokerStats stats) {
    return new OutgoingPublishes(version, stats, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, null);
  }

  long maxPacketSize() {
    return maxPacketSize;
  }

  /**
   * The PUBLISH of a delivery as this client gets it, or null when it must not be sent: expired
   * (MQTT-3.3.2-5; not for a resend, whose delivery has started) or larger than the client's
   * Maximum Packet Size (MQTT-3.1.2-25: dropped as if sent). Both are counted. The PUBLISH returned
   * must be written next: it may use a topic alias assigned here.
   */
  Publish shape(Delivery d, long nowNanos, boolean resend) {
    Message m = d.message();
    Publish message = m.publish();
    if (!resend && m.expired(nowNanos)) {
      stats.messagesExpired.increment();
      return null;
    }
    if (!version.isV5()) {
      return message; // v3: no properties on the wire, no Maximum Packet Size
    }
    MqttProperties.Builder b = null;
    long remaining = m.remainingSeconds(nowNanos);
    if (remaining >= 0 && remaining != message.properties().messageExpiryInterval()) {
      // MQTT-3.3.2-6: the interval less the time the message waited in the broker.
      b = message.properties().toBuilder().messageExpiryInterval(Math.max(1, remaining));
    }
    if (!d.subscriptionIds().isEmpty()) { // MQTT-3.3.4-3
      b = b == null ? message.properties().toBuilder() : b;
      for (int id : d.subscriptionIds()) {
        b.subscriptionIdentifier(id);
      }
    }
    if (b != null) {
      message = message.withProperties(b.build());
    }
    boolean roomForAlias = true;
    if (maxPacketSize < MqttDecoder.PROTOCOL_MAX_PACKET_SIZE) {
      long size = MqttEncoder.encodedSize(message.withDelivery(d.qos(), d.retain(), resend, d.qos() > 0 ? 1 : 0), version);
      if (size > maxPacketSize) {
        stats.messagesTooLarge.increment();
        stats.messagesDropped.increment();
        return null;
      }
      // A Topic Alias adds 3 bytes, and may lengthen the properties' and the packet's length by a
      // byte each: within that of the limit the message goes with its topic name and no alias
      // (MQTT-3.1.2-24), leaving the aliases as they are.
      roomForAlias = size + ALIAS_GROWTH <= maxPacketSize;
    }
    int alias = aliases == null || !roomForAlias ? 0 : aliases.aliasFor(message.topic());
    if (alias != 0) {
      message = new Publish(alias > 0 ? "" : message.topic(), message.qos(), message.retain(), false, 0,
          message.payload(), aliases.withAlias(message.properties(), Math.abs(alias)));
    }
    return message;
  }
}
