package io.tern.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * The Will Message of a CONNECT: published by the server when the connection ends without a normal
 * DISCONNECT. The payload array is owned by this record and must not be modified.
 */
public record Will(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties) {
  public Will {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(properties, "properties");
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos " + qos);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Will w
        && topic.equals(w.topic) && Arrays.equals(payload, w.payload) && qos == w.qos
        && retain == w.retain && properties.equals(w.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, Arrays.hashCode(payload), qos, retain, properties);
  }

  @Override
  public String toString() {
    return "Will[topic=" + topic + ", payload=" + payload.length + " bytes, qos=" + qos + ", retain=" + retain
        + ", properties=" + properties + "]";
  }
}
