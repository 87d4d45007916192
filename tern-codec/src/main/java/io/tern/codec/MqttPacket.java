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
}
