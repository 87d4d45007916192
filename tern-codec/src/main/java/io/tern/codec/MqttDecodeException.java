package io.tern.codec;

/**
 * A packet that breaks the protocol: the typed error of the decoder.
 *
 * <p>It carries the MQTT 5.0 reason code the receiver should report ({@link
 * ReasonCodes#MALFORMED_PACKET}, {@link ReasonCodes#PROTOCOL_ERROR}, {@link
 * ReasonCodes#PACKET_TOO_LARGE}, {@link ReasonCodes#UNSUPPORTED_PROTOCOL_VERSION}, ...), the type
 * of the packet when it was known, and for a CONNECT the protocol version once it was read, so a
 * server can pick the right CONNACK or DISCONNECT. No stack trace is captured: a peer can make the
 * decoder raise this at will, and it must stay cheap.
 */
public final class MqttDecodeException extends RuntimeException {
  private final int reasonCode;
  private final PacketType packetType;
  private final MqttVersion version;

  public MqttDecodeException(int reasonCode, PacketType packetType, MqttVersion version, String message) {
    super(message, null, false, false);
    this.reasonCode = reasonCode;
    this.packetType = packetType;
    this.version = version;
  }

  public MqttDecodeException(int reasonCode, String message) {
    this(reasonCode, null, null, message);
  }

  public static MqttDecodeException malformed(String message) {
    return new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, message);
  }

  public static MqttDecodeException protocolError(String message) {
    return new MqttDecodeException(ReasonCodes.PROTOCOL_ERROR, message);
  }

  /** The MQTT 5.0 reason code for this error (0x81 Malformed Packet, 0x82 Protocol Error, ...). */
  public int reasonCode() {
    return reasonCode;
  }

  /** The type of the offending packet, or {@code null} when the fixed header itself was bad. */
  public PacketType packetType() {
    return packetType;
  }

  /** The protocol version the packet was decoded as, or {@code null} when not yet known. */
  public MqttVersion version() {
    return version;
  }

  /** A copy that names the packet type and version, for errors raised deep in a field reader. */
  MqttDecodeException in(PacketType type, MqttVersion v) {
    if (packetType != null && version != null) {
      return this;
    }
    return new MqttDecodeException(
        reasonCode, packetType != null ? packetType : type, version != null ? version : v, getMessage());
  }

  @Override
  public String toString() {
    return "MqttDecodeException[" + ReasonCodes.describe(reasonCode)
        + (packetType != null ? ", " + packetType : "") + "]: " + getMessage();
  }
}
