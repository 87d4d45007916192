package io.tern.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * PUBLISH. {@code packetId} is 0 for QoS 0. The payload array is shared, never copied, between
 * every subscriber a message goes to: it must not be modified once the record is built.
 */
public record Publish(
    String topic, int qos, boolean retain, boolean dup, int packetId, byte[] payload, MqttProperties properties)
    implements MqttPacket {

  public Publish {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(properties, "properties");
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos " + qos);
    }
  }

  /** A QoS 0 publish without properties. */
  public Publish(String topic, byte[] payload) {
    this(topic, 0, false, false, 0, payload, MqttProperties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBLISH;
  }

  /** This message as sent to one receiver: its own QoS, retain flag, DUP flag and packet id. */
  public Publish withDelivery(int qos, boolean retain, boolean dup, int packetId) {
    if (qos == this.qos && retain == this.retain && dup == this.dup && packetId == this.packetId) {
      return this;
    }
    return new Publish(topic, qos, retain, dup, packetId, payload, properties);
  }

  public Publish withProperties(MqttProperties props) {
    return props == properties ? this : new Publish(topic, qos, retain, dup, packetId, payload, props);
  }

  public Publish withTopic(String newTopic) {
    return newTopic.equals(topic) ? this : new Publish(newTopic, qos, retain, dup, packetId, payload, properties);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Publish p
        && topic.equals(p.topic) && qos == p.qos && retain == p.retain && dup == p.dup
        && packetId == p.packetId && Arrays.equals(payload, p.payload) && properties.equals(p.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, qos, retain, dup, packetId, Arrays.hashCode(payload), properties);
  }

  @Override
  public String toString() {
    return "Publish[topic=" + topic + ", qos=" + qos + ", retain=" + retain + ", dup=" + dup
        + ", packetId=" + packetId + ", payload=" + payload.length + " bytes, properties=" + properties + "]";
  }
}
