package io.tern.codec;

import java.util.Objects;

/**
 * One topic filter of a SUBSCRIBE with its options. {@code noLocal}, {@code retainAsPublished} and
 * {@code retainHandling} (0 send retained, 1 only on a new subscription, 2 never) are MQTT 5.0 only.
 */
public record Subscription(String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling) {
  public Subscription {
    Objects.requireNonNull(filter, "filter");
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos " + qos);
    }
    if (retainHandling < 0 || retainHandling > 2) {
      throw new IllegalArgumentException("retainHandling " + retainHandling);
    }
  }

  public Subscription(String filter, int qos) {
    this(filter, qos, false, false, 0);
  }
}
