package io.tern.broker.router;

/**
 * One step of a route's pipeline: checks or transforms a request before its controller sees it.
 * Runs on an event loop: answer from memory.
 *
 * <pre>{@code
 * Pipe ownerOnly = ctx -> ctx.param("username").equals(ctx.username()) ? RouteDecision.CONTINUE
 *                                                                      : RouteDecision.refuse();
 * }</pre>
 */
@FunctionalInterface
public interface Pipe {
  RouteDecision apply(RouteContext ctx);
}
