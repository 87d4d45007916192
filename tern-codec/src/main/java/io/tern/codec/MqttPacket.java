package io.tern.codec;

/**
 * An MQTT control packet, immutable. One type per packet kind, shared by all protocol versions: the
 * fields that a version does not have are left at their neutral value ({@link MqttProperties#EMPTY},
 * reason code 0) and the encoder leaves them out.
 */
public sealed interface MqttPacket
    permits Connect, ConnAck, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe, SubAck,
        Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect, Auth {

  PacketType type();

  /**
   * A PUBACK, PUBREC, PUBREL or PUBCOMP: the four acknowledgements of the PUBLISH flow have the same
   * fields.
   *
   * @throws IllegalArgumentException for any other type
   */
  static MqttPacket ack(PacketType type, int packetId, int reasonCode, MqttProperties properties) {
    return switch (type) {
      case PUBACK -> new PubAck(packetId, reasonCode, properties);
      case PUBREC -> new PubRec(packetId, reasonCode, properties);
      case PUBREL -> new PubRel(packetId, reasonCode, properties);
      case PUBCOMP -> new PubComp(packetId, reasonCode, properties);
      default -> throw new IllegalArgumentException(type + " is not an acknowledgement of the PUBLISH flow");
    };
  }
}
