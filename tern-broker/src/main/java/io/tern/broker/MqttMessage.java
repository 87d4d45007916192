package io.tern.broker;

import io.tern.codec.MqttProperties;
import io.tern.codec.Publish;
import io.tern.codec.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An application message as hooks, rules and events see it: topic, payload, QoS, retain flag and
 * MQTT 5 properties. Immutable: the payload is handed out read-only or as a copy, never as a
 * Netty buffer, and the {@code with...} methods return a new message (what a hook returns to
 * rewrite one).
 *
 * <pre>{@code
 * MqttMessage m = MqttMessage.of("sensors/1/temp", "21.5".getBytes(UTF_8));
 * MqttMessage redirected = m.withTopic("archive/" + m.topic()).withQos(1);
 * }</pre>
 */
public final class MqttMessage {
  private final Publish publish;

  private MqttMessage(Publish publish) {
    this.publish = publish;
  }

  /** A QoS 0, non-retained message without properties. The payload is copied. */
  public static MqttMessage of(String topic, byte[] payload) {
    return of(topic, payload, 0, false);
  }

  /** A message without properties. The payload is copied. */
  public static MqttMessage of(String topic, byte[] payload, int qos, boolean retain) {
    checkTopic(topic);
    return new MqttMessage(new Publish(topic, qos, retain, false, 0, payload.clone(), MqttProperties.EMPTY));
  }

  /** Wraps a received PUBLISH (its payload array is shared, never modified). For the engine. */
  public static MqttMessage wrap(Publish publish) {
    return new MqttMessage(publish);
  }

  /** The PUBLISH this message stands for (packet id 0, DUP off). For the engine. */
  public Publish toPublish() {
    return publish;
  }

  public String topic() {
    return publish.topic();
  }

  /** The payload, read-only, without a copy. */
  public ByteBuffer payload() {
    return ByteBuffer.wrap(publish.payload()).asReadOnlyBuffer();
  }

  /** A copy of the payload. */
  public byte[] payloadBytes() {
    return publish.payload().clone();
  }

  /** The payload decoded as UTF-8. */
  public String payloadAsString() {
    return new String(publish.payload(), StandardCharsets.UTF_8);
  }

  public int payloadSize() {
    return publish.payload().length;
  }

  public int qos() {
    return publish.qos();
  }

  public boolean retain() {
    return publish.retain();
  }

  /** The MQTT 5 properties (immutable; empty for MQTT 3 messages). */
  public MqttProperties properties() {
    return publish.properties();
  }

  /** @throws IllegalArgumentException for a topic that is not a valid topic name */
  public MqttMessage withTopic(String topic) {
    checkTopic(topic);
    return new MqttMessage(publish.withTopic(topic));
  }

  /** The payload is copied. */
  public MqttMessage withPayload(byte[] payload) {
    Publish p = publish;
    return new MqttMessage(new Publish(p.topic(), p.qos(), p.retain(), false, 0, payload.clone(), p.properties()));
  }

  public MqttMessage withPayload(String utf8) {
    Publish p = publish;
    return new MqttMessage(new Publish(p.topic(), p.qos(), p.retain(), false, 0,
        utf8.getBytes(StandardCharsets.UTF_8), p.properties()));
  }

  public MqttMessage withQos(int qos) {
    return new MqttMessage(publish.withDelivery(qos, publish.retain(), false, 0));
  }

  public MqttMessage withRetain(boolean retain) {
    return new MqttMessage(publish.withDelivery(publish.qos(), retain, false, 0));
  }

  public MqttMessage withProperties(MqttProperties properties) {
    return new MqttMessage(publish.withProperties(Objects.requireNonNull(properties)));
  }

  private static void checkTopic(String topic) {
    if (!Topics.isValidName(topic)) {
      throw new IllegalArgumentException("invalid topic name: '" + topic + "'");
    }
  }

  @Override
  public String toString() {
    return "MqttMessage[topic=" + topic() + ", qos=" + qos() + ", retain=" + retain() + ", payload="
        + payloadSize() + " bytes]";
  }
}
