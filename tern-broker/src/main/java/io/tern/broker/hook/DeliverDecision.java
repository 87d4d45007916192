package io.tern.broker.hook;

import io.tern.broker.MqttMessage;
import java.util.Objects;

/**
 * What a {@link DeliverHook} answers for one subscriber: {@link #CONTINUE} (send it), {@link #SKIP}
 * (not to this subscriber) or {@link #rewrite(MqttMessage)} (send this instead, to this subscriber
 * only). The constants allocate nothing.
 */
public final class DeliverDecision {
  /** Send the message (as far as this hook is concerned). */
  public static final DeliverDecision CONTINUE = new DeliverDecision(null, false);
  /** Do not send it to this subscriber. */
  public static final DeliverDecision SKIP = new DeliverDecision(null, true);

  private final MqttMessage message;
  private final boolean skip;

  private DeliverDecision(MqttMessage message, boolean skip) {
    this.message = message;
    this.skip = skip;
  }

  /**
   * Send {@code replacement} to this subscriber instead; it goes at most at the QoS the subscriber
   * was granted, and its retain flag counts as the original's would: kept for a retained message
   * sent because of a new subscription and for a subscription with Retain As Published, else the
   * PUBLISH carries RETAIN 0 (MQTT-3.3.1-9).
   */
  public static DeliverDecision rewrite(MqttMessage replacement) {
    return new DeliverDecision(Objects.requireNonNull(replacement), false);
  }

  public boolean isSkip() {
    return skip;
  }

  /** The replacement, or {@code null}. */
  public MqttMessage message() {
    return message;
  }

  @Override
  public String toString() {
    return skip ? "skip" : message == null ? "continue" : "rewrite " + message;
  }
}
