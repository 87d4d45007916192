package io.tern.broker.router;

import java.util.Objects;

/**
 * What a {@link Pipe} or a {@link Controller} answers.
 *
 * <ul>
 *   <li>{@link #CONTINUE} (alias {@link #allow()}): a pipe lets the request on to the next pipe; a
 *       controller allows it as it is.
 *   <li>{@link #next(RouteContext)}: the same, with a transformed context (another message, topic or
 *       filter).
 *   <li>{@link #grant(int)}: a controller allows a subscription at most at this QoS.
 *   <li>{@link #refuse()} / {@link #refuse(int)}: halt; PUBACK/PUBREC or SUBACK carry the reason code.
 *   <li>{@link #disconnect()}: halt and close the client's connection.
 *   <li>{@link #handled()}: halt; a PUBLISH is acknowledged as a success but not routed (the
 *       controller consumed it); for a SUBSCRIBE, the same as allow.
 * </ul>
 */
public final class RouteDecision {
  enum Kind { CONTINUE, NEXT, GRANT, REFUSE, DISCONNECT, HANDLED }

  public static final RouteDecision CONTINUE = new RouteDecision(Kind.CONTINUE, null, 0);
  private static final RouteDecision HANDLED = new RouteDecision(Kind.HANDLED, null, 0);
  private static final RouteDecision REFUSE = new RouteDecision(Kind.REFUSE, null, 0x87);
  private static final RouteDecision DISCONNECT = new RouteDecision(Kind.DISCONNECT, null, 0x87);

  final Kind kind;
  final RouteContext context;
  final int code;

  private RouteDecision(Kind kind, RouteContext context, int code) {
    this.kind = kind;
    this.context = context;
    this.code = code;
  }

  /** Same as {@link #CONTINUE}. */
  public static RouteDecision allow() {
    return CONTINUE;
  }

  /** Go on with a transformed context. */
  public static RouteDecision next(RouteContext transformed) {
    return new RouteDecision(Kind.NEXT, Objects.requireNonNull(transformed), 0);
  }

  /** Allow a subscription at most at {@code qos}. */
  public static RouteDecision grant(int qos) {
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("QoS " + qos);
    }
    return new RouteDecision(Kind.GRANT, null, qos);
  }

  /** A grant that also carries the context the pipes changed (for the router). */
  static RouteDecision grant(int qos, RouteContext changed) {
    return new RouteDecision(Kind.GRANT, changed, qos);
  }

  /** Halt with {@code 0x87 Not authorized}. */
  public static RouteDecision refuse() {
    return REFUSE;
  }

  /** Halt with this MQTT 5 reason code (0x80 or above). */
  public static RouteDecision refuse(int reasonCode) {
    if (reasonCode < 0x80 || reasonCode > 0xFF) {
      throw new IllegalArgumentException("not an error reason code: " + reasonCode);
    }
    return new RouteDecision(Kind.REFUSE, null, reasonCode);
  }

  /** Halt and close the connection ({@code 0x87 Not authorized} for MQTT 5 clients). */
  public static RouteDecision disconnect() {
    return DISCONNECT;
  }

  /** Halt: acknowledged, not routed. */
  public static RouteDecision handled() {
    return HANDLED;
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + (code != 0 ? " 0x" + Integer.toHexString(code) : "");
  }
}
