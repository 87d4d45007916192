package io.tern.broker.hook;

import io.tern.broker.MqttMessage;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link PublishHook} (or a {@link WillHook}) answers. {@link #CONTINUE} is a shared
 * constant: a hook that lets a message pass allocates nothing.
 *
 * <ul>
 *   <li>{@link #CONTINUE}: no objection, the next hook sees the message.
 *   <li>{@link #rewrite(MqttMessage)}: the next hooks, and routing, see this message instead
 *       (topic, payload, QoS, retain flag, properties).
 *   <li>{@link #refuse(int)}: not routed; a QoS 1/2 PUBLISH is acknowledged with the reason code
 *       (MQTT 5; MQTT 3 clients get their usual ack); no later hook runs.
 *   <li>{@link #handled()}: acknowledged as a success but not routed: the hook took care of it.
 *   <li>{@link #disconnect(int)}: not routed, and the connection is closed (MQTT 5: DISCONNECT with
 *       the reason code first).
 *   <li>{@link #async(CompletionStage)}: the answer comes later. The connection reads nothing more
 *       meanwhile (order is kept), up to the hook's timeout, then the fallback applies.
 * </ul>
 */
public final class PublishDecision {
  enum Kind { CONTINUE, REWRITE, REFUSE, HANDLED, DISCONNECT, ASYNC }

  /** No objection: on to the next hook, then routing. */
  public static final PublishDecision CONTINUE = new PublishDecision(Kind.CONTINUE, null, 0, null, null, null);
  private static final PublishDecision HANDLED = new PublishDecision(Kind.HANDLED, null, 0, null, null, null);
  private static final PublishDecision REFUSE_NOT_AUTHORIZED =
      new PublishDecision(Kind.REFUSE, null, 0x87, null, null, null);

  private final Kind kind;
  private final MqttMessage message;
  private final int reasonCode;
  private final CompletionStage<PublishDecision> stage;
  private final Duration timeout;
  private final PublishDecision fallback;

  private PublishDecision(Kind kind, MqttMessage message, int reasonCode, CompletionStage<PublishDecision> stage,
      Duration timeout, PublishDecision fallback) {
    this.kind = kind;
    this.message = message;
    this.reasonCode = reasonCode;
    this.stage = stage;
    this.timeout = timeout;
    this.fallback = fallback;
  }

  /** Route {@code replacement} instead (the next hooks see it). */
  public static PublishDecision rewrite(MqttMessage replacement) {
    return new PublishDecision(Kind.REWRITE, Objects.requireNonNull(replacement), 0, null, null, null);
  }

  /** Not routed; acknowledged with {@code 0x87 Not authorized} (MQTT 5). */
  public static PublishDecision refuse() {
    return REFUSE_NOT_AUTHORIZED;
  }

  /** Not routed; acknowledged with this MQTT 5 reason code (0x80 or above). */
  public static PublishDecision refuse(int reasonCode) {
    checkError(reasonCode);
    return new PublishDecision(Kind.REFUSE, null, reasonCode, null, null, null);
  }

  /** Acknowledged as a success, not routed: the hook has dealt with the message. */
  public static PublishDecision handled() {
    return HANDLED;
  }

  /** Not routed; the connection is closed, MQTT 5 clients first get DISCONNECT with this reason code. */
  public static PublishDecision disconnect(int reasonCode) {
    checkError(reasonCode);
    return new PublishDecision(Kind.DISCONNECT, null, reasonCode, null, null, null);
  }

  /** The answer comes later; the broker's hook timeout applies, then {@link #refuse()}. */
  public static PublishDecision async(CompletionStage<PublishDecision> answer) {
    return async(answer, null, REFUSE_NOT_AUTHORIZED);
  }

  /**
   * The answer comes later, within {@code timeout} (null: the broker's hook timeout); then, or if
   * the stage fails, {@code fallback} applies (it must not be async itself).
   */
  public static PublishDecision async(CompletionStage<PublishDecision> answer, Duration timeout,
      PublishDecision fallback) {
    if (fallback.kind == Kind.ASYNC) {
      throw new IllegalArgumentException("the fallback must not be async");
    }
    return new PublishDecision(Kind.ASYNC, null, 0, Objects.requireNonNull(answer), timeout, fallback);
  }

  private static void checkError(int reasonCode) {
    if (reasonCode < 0x80 || reasonCode > 0xFF) {
      throw new IllegalArgumentException("not an error reason code: " + reasonCode);
    }
  }

  public boolean isContinue() {
    return kind == Kind.CONTINUE;
  }

  public boolean isRewrite() {
    return kind == Kind.REWRITE;
  }

  public boolean isRefuse() {
    return kind == Kind.REFUSE;
  }

  public boolean isHandled() {
    return kind == Kind.HANDLED;
  }

  public boolean isDisconnect() {
    return kind == Kind.DISCONNECT;
  }

  public boolean isAsync() {
    return kind == Kind.ASYNC;
  }

  /** The replacement of a rewrite, else {@code null}. */
  public MqttMessage message() {
    return message;
  }

  /** The reason code of a refusal or disconnect, else 0. */
  public int reasonCode() {
    return reasonCode;
  }

  /** The pending answer of an async decision, else {@code null}. */
  public CompletionStage<PublishDecision> stage() {
    return stage;
  }

  /** The timeout of an async decision ({@code null}: the broker's). */
  public Duration timeout() {
    return timeout;
  }

  /** What applies when an async decision times out or fails. */
  public PublishDecision fallback() {
    return fallback;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case CONTINUE -> "continue";
      case REWRITE -> "rewrite " + message;
      case REFUSE -> "refuse 0x" + Integer.toHexString(reasonCode);
      case HANDLED -> "handled";
      case DISCONNECT -> "disconnect 0x" + Integer.toHexString(reasonCode);
      case ASYNC -> "async";
    };
  }
}
