package io.tern.codec;

/** The MQTT protocol versions Tern speaks, with the protocol name and level of their CONNECT packet. */
public enum MqttVersion {
  /** MQTT 3.1 (protocol name {@code MQIsdp}, level 3). */
  V3_1("MQIsdp", 3),
  /** MQTT 3.1.1 (protocol name {@code MQTT}, level 4). */
  V3_1_1("MQTT", 4),
  /** MQTT 5.0 (protocol name {@code MQTT}, level 5). */
  V5("MQTT", 5);

  private final String protocolName;
  private final int level;

  MqttVersion(String protocolName, int level) {
    this.protocolName = protocolName;
    this.level = level;
  }

  public String protocolName() {
    return protocolName;
  }

  public int level() {
    return level;
  }

  /** True for MQTT 5.0, the only version with properties and reason codes on every ack. */
  public boolean isV5() {
    return this == V5;
  }

  private static final MqttVersion[] ALL = values(); // values() copies the array at every call

  /**
   * The version that a CONNECT's protocol name and level stand for, or {@code null} when the pair is
   * not one Tern supports.
   */
  public static MqttVersion of(String protocolName, int level) {
    for (MqttVersion v : ALL) {
      if (v.level == level && v.protocolName.equals(protocolName)) {
        return v;
      }
    }
    return null;
  }
}
