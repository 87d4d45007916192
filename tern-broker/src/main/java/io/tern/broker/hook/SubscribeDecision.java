package io.tern.broker.hook;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link SubscribeHook} answers for one topic filter:
 *
 * <ul>
 *   <li>{@link #CONTINUE}: no objection.
 *   <li>{@link #grant(int)}: allowed at most at this QoS (the lowest grant of the chain applies);
 *       {@link #grant(int, String)} also replaces the filter the session subscribes to.
 *   <li>{@link #refuse(int)}: the SUBACK carries this reason code for the filter (MQTT 3.1.1:
 *       {@code 0x80}); no later hook runs.
 *   <li>{@link #async(CompletionStage)}: the answer comes later; the connection reads nothing more
 *       meanwhile, up to the timeout, then the fallback applies.
 * </ul>
 */
public final class SubscribeDecision {
  enum Kind { CONTINUE, GRANT, REFUSE, ASYNC }

  /** No objection. */
  public static final SubscribeDecision CONTINUE = new SubscribeDecision(Kind.CONTINUE, 2, null, 0, null, null, null);
  private static final SubscribeDecision[] GRANTS = {
      new SubscribeDecision(Kind.GRANT, 0, null, 0, null, null, null),
      new SubscribeDecision(Kind.GRANT, 1, null, 0, null, null, null),
      new SubscribeDecision(Kind.GRANT, 2, null, 0, null, null, null)};
  private static final SubscribeDecision REFUSE_NOT_AUTHORIZED =
      new SubscribeDecision(Kind.REFUSE, -1, null, 0x87, null, null, null);

  private final Kind kind;
  private final int qos;
  private final String filter;
  private final int reasonCode;
  private final CompletionStage<SubscribeDecision> stage;
  private final Duration timeout;
  private final SubscribeDecision fallback;

  private SubscribeDecision(Kind kind, int qos, String filter, int reasonCode, CompletionStage<SubscribeDecision> stage,
      Duration timeout, SubscribeDecision fallback) {
    this.kind = kind;
    this.qos = qos;
    this.filter = filter;
    this.reasonCode = reasonCode;
    this.stage = stage;
    this.timeout = timeout;
    this.fallback = fallback;
  }

  /** Allowed, at most at {@code qos}. */
  public static SubscribeDecision grant(int qos) {
    checkQos(qos);
    return GRANTS[qos];
  }

  /**
   * Allowed at most at {@code qos}, and the session subscribes to {@code filter} instead of what
   * the client sent (a valid topic filter; later hooks see it).
   */
  public static SubscribeDecision grant(int qos, String filter) {
    checkQos(qos);
    if (!io.tern.codec.Topics.isValidFilter(filter)) {
      throw new IllegalArgumentException("invalid topic filter: '" + filter + "'");
    }
    return new SubscribeDecision(Kind.GRANT, qos, filter, 0, null, null, null);
  }

  /** Refused with {@code 0x87 Not authorized}. */
  public static SubscribeDecision refuse() {
    return REFUSE_NOT_AUTHORIZED;
  }

  /** Refused with an MQTT 5 SUBACK reason code (0x80 or above). */
  public static SubscribeDecision refuse(int reasonCode) {
    if (reasonCode < 0x80 || reasonCode > 0xFF) {
      throw new IllegalArgumentException("not an error reason code: " + reasonCode);
    }
    return new SubscribeDecision(Kind.REFUSE, -1, null, reasonCode, null, null, null);
  }

  /** The answer comes later; the broker's hook timeout applies, then {@link #refuse()}. */
  public static SubscribeDecision async(CompletionStage<SubscribeDecision> answer) {
    return async(answer, null, REFUSE_NOT_AUTHORIZED);
  }

  /** The answer comes later, within {@code timeout} (null: the broker's); then, or on failure, {@code fallback}. */
  public static SubscribeDecision async(CompletionStage<SubscribeDecision> answer, Duration timeout,
      SubscribeDecision fallback) {
    if (fallback.kind == Kind.ASYNC) {
      throw new IllegalArgumentException("the fallback must not be async");
    }
    return new SubscribeDecision(Kind.ASYNC, -1, null, 0, Objects.requireNonNull(answer), timeout, fallback);
  }

  private static void checkQos(int qos) {
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("QoS " + qos);
    }
  }

  public boolean isRefuse() {
    return kind == Kind.REFUSE;
  }

  public boolean isAsync() {
    return kind == Kind.ASYNC;
  }

  /** The highest QoS granted (2 for {@link #CONTINUE}), -1 for a refusal. */
  public int qos() {
    return qos;
  }

  /** The replacement filter of a grant, or {@code null}. */
  public String filter() {
    return filter;
  }

  public int reasonCode() {
    return reasonCode;
  }

  public CompletionStage<SubscribeDecision> stage() {
    return stage;
  }

  public Duration timeout() {
    return timeout;
  }

  public SubscribeDecision fallback() {
    return fallback;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case CONTINUE -> "continue";
      case GRANT -> "grant " + qos + (filter == null ? "" : " as " + filter);
      case REFUSE -> "refuse 0x" + Integer.toHexString(reasonCode);
      case ASYNC -> "async";
    };
  }
}
