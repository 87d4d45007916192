package io.tern.broker;

import io.tern.codec.MqttProperties;
import io.tern.codec.PacketType;
import io.tern.codec.Property;
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

  /**
   * Wraps a received PUBLISH (its payload array is shared, never modified). For the engine: it
   * checks nothing, the engine checks the properties of what a hook hands back.
   */
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

  /**
   * @throws IllegalArgumentException for a property the broker may not send in a PUBLISH (one MQTT 5
   *     does not allow there, a Topic Alias or Subscription Identifier, an invalid string: see
   *     {@link #checkProperties})
   */
  public MqttMessage withProperties(MqttProperties properties) {
    checkProperties(Objects.requireNonNull(properties));
    return new MqttMessage(publish.withProperties(properties));
  }

  /**
   * Refuses a topic that a client could not send: empty, with a wildcard, or not an MQTT UTF-8
   * Encoded String (U+0000, a lone surrogate, over 65,535 bytes). Routed anyway, a subscriber
   * would drop its connection on it (mosquitto_sub does), for good if it were retained.
   */
  static void checkTopic(String topic) {
    if (!Topics.isSendableName(topic)) {
      throw new IllegalArgumentException("invalid topic name (empty, with + or #, with U+0000 or a lone"
          + " surrogate, or over 65,535 bytes): '" + abbreviated(topic) + "'");
    }
  }

  /**
   * Refuses properties the broker may not send in a PUBLISH. A v5 subscriber treats any of them as
   * a protocol error and drops its connection (HiveMQ and Paho do), on every reconnect when the
   * message is retained:
   *
   * <ul>
   *   <li>one MQTT 5 does not allow in a PUBLISH (2.2.2.2: Session Expiry Interval, Reason String,
   *       Receive Maximum, Maximum Packet Size, ...);
   *   <li>Topic Alias and Subscription Identifier: the broker sets those per subscriber, from what
   *       that subscriber allows and subscribed with (MQTT-3.3.2-10, MQTT-3.3.4-3);
   *   <li>string properties (Content Type, Response Topic, User Properties) that are not MQTT UTF-8
   *       Encoded Strings, and a Response Topic that is not a topic name (MQTT-3.3.2-14).
   * </ul>
   *
   * <p>{@link #withProperties} and {@code Broker.publish} check this; the engine checks with it
   * what a hook hands back, which {@link #wrap} may have built without a check.
   *
   * @throws IllegalArgumentException naming the first property refused
   */
  public static void checkProperties(MqttProperties properties) {
    if (properties.isEmpty()) {
      return;
    }
    for (Property p : Property.values()) {
      // User Properties and Subscription Identifiers are lists, not slots: has() never sees them.
      if (properties.has(p) && (!p.allowedIn(PacketType.PUBLISH) || p == Property.TOPIC_ALIAS)) {
        throw new IllegalArgumentException(p + (p == Property.TOPIC_ALIAS
            ? " is set by the broker for each subscriber, not by a publisher"
            : " may not be carried by a PUBLISH (MQTT 5 2.2.2.2)"));
      }
    }
    if (!properties.subscriptionIdentifiers().isEmpty()) {
      throw new IllegalArgumentException("SUBSCRIPTION_IDENTIFIER is set by the broker for each subscriber, not by a"
          + " publisher");
    }
    for (Property p : Property.values()) {
      if (p.type() == Property.Type.UTF8_STRING && properties.has(p)
          && !Topics.isWellFormedString(properties.getString(p))) {
        throw new IllegalArgumentException(p + " is not a valid MQTT string (U+0000, a lone surrogate or over 65,535 bytes)");
      }
    }
    String response = properties.getString(Property.RESPONSE_TOPIC);
    if (response != null && !Topics.isValidName(response)) {
      throw new IllegalArgumentException("Response Topic may not be empty or hold wildcards"); // MQTT-3.3.2-14
    }
    for (io.tern.codec.UserProperty u : properties.userProperties()) {
      if (!Topics.isWellFormedString(u.name()) || !Topics.isWellFormedString(u.value())) {
        throw new IllegalArgumentException("a User Property is not a valid MQTT string pair (U+0000, a lone surrogate"
            + " or over 65,535 bytes): '" + abbreviated(u.name()) + "'");
      }
    }
  }

  private static String abbreviated(String s) {
    String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return t.replace("\0", "\\u0000");
  }

  @Override
  public String toString() {
    return "MqttMessage[topic=" + topic() + ", qos=" + qos() + ", retain=" + retain() + ", payload="
        + payloadSize() + " bytes]";
  }
}
