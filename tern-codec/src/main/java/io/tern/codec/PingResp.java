package io.tern.codec;

/** PINGRESP: no fields; use {@link #INSTANCE}. */
public record PingResp() implements MqttPacket {
  public static final PingResp INSTANCE = new PingResp();

  @Override
  public PacketType type() {
    return PacketType.PINGRESP;
  }
}
