package io.tern.codec;

import static io.tern.codec.PacketType.AUTH;
import static io.tern.codec.PacketType.CONNACK;
import static io.tern.codec.PacketType.CONNECT;
import static io.tern.codec.PacketType.DISCONNECT;
import static io.tern.codec.PacketType.PUBACK;
import static io.tern.codec.PacketType.PUBCOMP;
import static io.tern.codec.PacketType.PUBLISH;
import static io.tern.codec.PacketType.PUBREC;
import static io.tern.codec.PacketType.PUBREL;
import static io.tern.codec.PacketType.SUBACK;
import static io.tern.codec.PacketType.SUBSCRIBE;
import static io.tern.codec.PacketType.UNSUBACK;
import static io.tern.codec.PacketType.UNSUBSCRIBE;

import java.util.EnumSet;
import java.util.Set;

/**
 * The MQTT 5.0 properties (spec section 2.2.2.2, table 2-4): identifier, wire type and the packets
 * that may carry each. {@code willProperty} marks those allowed in a CONNECT's Will Properties.
 *
 * <p>Values are held as {@link Integer} for {@link Type#BYTE}, {@link Type#TWO_BYTE_INT} and
 * {@link Type#VARIABLE_BYTE_INT}, {@link Long} for {@link Type#FOUR_BYTE_INT}, {@link String} for
 * {@link Type#UTF8_STRING} and {@code byte[]} for {@link Type#BINARY}. User properties are the
 * only {@link Type#UTF8_PAIR} and are kept as a list of {@link UserProperty}.
 */
public enum Property {
  PAYLOAD_FORMAT_INDICATOR(0x01, Type.BYTE, true, PUBLISH),
  MESSAGE_EXPIRY_INTERVAL(0x02, Type.FOUR_BYTE_INT, true, PUBLISH),
  CONTENT_TYPE(0x03, Type.UTF8_STRING, true, PUBLISH),
  RESPONSE_TOPIC(0x08, Type.UTF8_STRING, true, PUBLISH),
  CORRELATION_DATA(0x09, Type.BINARY, true, PUBLISH),
  SUBSCRIPTION_IDENTIFIER(0x0B, Type.VARIABLE_BYTE_INT, false, PUBLISH, SUBSCRIBE),
  SESSION_EXPIRY_INTERVAL(0x11, Type.FOUR_BYTE_INT, false, CONNECT, CONNACK, DISCONNECT),
  ASSIGNED_CLIENT_IDENTIFIER(0x12, Type.UTF8_STRING, false, CONNACK),
  SERVER_KEEP_ALIVE(0x13, Type.TWO_BYTE_INT, false, CONNACK),
  AUTHENTICATION_METHOD(0x15, Type.UTF8_STRING, false, CONNECT, CONNACK, AUTH),
  AUTHENTICATION_DATA(0x16, Type.BINARY, false, CONNECT, CONNACK, AUTH),
  REQUEST_PROBLEM_INFORMATION(0x17, Type.BYTE, false, CONNECT),
  WILL_DELAY_INTERVAL(0x18, Type.FOUR_BYTE_INT, true),
  REQUEST_RESPONSE_INFORMATION(0x19, Type.BYTE, false, CONNECT),
  RESPONSE_INFORMATION(0x1A, Type.UTF8_STRING, false, CONNACK),
  SERVER_REFERENCE(0x1C, Type.UTF8_STRING, false, CONNACK, DISCONNECT),
  REASON_STRING(0x1F, Type.UTF8_STRING, false,
      CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH),
  RECEIVE_MAXIMUM(0x21, Type.TWO_BYTE_INT, false, CONNECT, CONNACK),
  TOPIC_ALIAS_MAXIMUM(0x22, Type.TWO_BYTE_INT, false, CONNECT, CONNACK),
  TOPIC_ALIAS(0x23, Type.TWO_BYTE_INT, false, PUBLISH),
  MAXIMUM_QOS(0x24, Type.BYTE, false, CONNACK),
  RETAIN_AVAILABLE(0x25, Type.BYTE, false, CONNACK),
  USER_PROPERTY(0x26, Type.UTF8_PAIR, true,
      CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE,
      UNSUBACK, DISCONNECT, AUTH),
  MAXIMUM_PACKET_SIZE(0x27, Type.FOUR_BYTE_INT, false, CONNECT, CONNACK),
  WILDCARD_SUBSCRIPTION_AVAILABLE(0x28, Type.BYTE, false, CONNACK),
  SUBSCRIPTION_IDENTIFIER_AVAILABLE(0x29, Type.BYTE, false, CONNACK),
  SHARED_SUBSCRIPTION_AVAILABLE(0x2A, Type.BYTE, false, CONNACK);

  /** Wire data types of property values (spec section 1.5). */
  public enum Type {
    BYTE,
    TWO_BYTE_INT,
    FOUR_BYTE_INT,
    VARIABLE_BYTE_INT,
    UTF8_STRING,
    BINARY,
    UTF8_PAIR
  }

  /** Largest property identifier, for tables indexed by identifier. */
  public static final int MAX_ID = 0x2A;

  private static final Property[] BY_ID = new Property[MAX_ID + 1];

  static {
    for (Property p : values()) {
      BY_ID[p.id] = p;
    }
  }

  private final int id;
  private final Type type;
  private final boolean willProperty;
  private final Set<PacketType> packets;

  Property(int id, Type type, boolean willProperty, PacketType... packets) {
    this.id = id;
    this.type = type;
    this.willProperty = willProperty;
    this.packets = packets.length == 0 ? EnumSet.noneOf(PacketType.class) : EnumSet.of(packets[0], packets);
  }

  public int id() {
    return id;
  }

  public Type type() {
    return type;
  }

  /** True when the property may appear in the Will Properties of a CONNECT. */
  public boolean isWillProperty() {
    return willProperty;
  }

  /** True when the property may appear in the given packet's properties. */
  public boolean allowedIn(PacketType packet) {
    return packets.contains(packet);
  }

  /** True when a property may appear more than once in one packet's properties. */
  public boolean repeatable(PacketType packet) {
    return this == USER_PROPERTY || (this == SUBSCRIPTION_IDENTIFIER && packet == PUBLISH);
  }

  /** The property with this identifier, or {@code null} if there is none. */
  public static Property of(int id) {
    return id >= 0 && id <= MAX_ID ? BY_ID[id] : null;
  }
}
