package io.tern.codec;

/** PINGREQ: no fields; use {@link #INSTANCE}. */
public record PingReq() implements MqttPacket {
  public static final PingReq INSTANCE = new PingReq();

  @Override
  public PacketType type() {
    return PacketType.PINGREQ;
  }
}
