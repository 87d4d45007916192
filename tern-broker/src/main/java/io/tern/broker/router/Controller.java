package io.tern.broker.router;

/**
 * The end of a route: decides a PUBLISH ({@link #publish}) and a SUBSCRIBE ({@link #subscribe}) on
 * the topics it matched. An action a controller does not override is refused: a controller with
 * only {@code subscribe} makes its topics read-only.
 *
 * <pre>{@code
 * Controller readOnly = new Controller() {
 *   public RouteDecision subscribe(RouteContext ctx) { return RouteDecision.grant(1); }
 * };
 * }</pre>
 */
public interface Controller {
  default RouteDecision publish(RouteContext ctx) {
    return RouteDecision.refuse();
  }

  default RouteDecision subscribe(RouteContext ctx) {
    return RouteDecision.refuse();
  }

  /** One handler for both actions (a resource). */
  static Controller of(Pipe handler) {
    return new Controller() {
      @Override
      public RouteDecision publish(RouteContext ctx) {
        return handler.apply(ctx);
      }

      @Override
      public RouteDecision subscribe(RouteContext ctx) {
        return handler.apply(ctx);
      }
    };
  }
}
