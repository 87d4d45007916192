package io.tern.broker.router;

import java.util.function.Consumer;

/**
 * Defines routes: the router's top level, or a scope. Routes are tried in the order they are
 * defined, the catch-all last; the first whose pattern matches the topic (and that handles the
 * action) wins. Pipes of a scope (and of the scopes around it) run, in order, before the
 * controller of every route in it.
 */
public interface Routes {
  /** Names a pipeline, a list of pipes that scopes can run with {@link #pipeThrough}. */
  Routes pipeline(String name, Pipe... pipes);

  /** The routes of this scope run these named pipelines first (in order; names may be defined later). */
  Routes pipeThrough(String... pipelineNames);

  /** The routes of this scope run these pipes first (after any earlier pipes and pipelines of the scope). */
  Routes pipe(Pipe... pipes);

  /** Routes under a prefix ({@code "user/:username/"}); the prefix may bind parameters. */
  Routes scope(String prefix, Consumer<Routes> body);

  /** A route whose controller decides both actions (see {@link Controller}). */
  Routes route(String pattern, Controller controller);

  /** A route for PUBLISH only: {@code handler} decides. */
  Routes publish(String pattern, Pipe handler);

  /** A route for SUBSCRIBE only: {@code handler} decides. */
  Routes subscribe(String pattern, Pipe handler);

  /** A resource: one handler for PUBLISH and SUBSCRIBE. */
  Routes resource(String pattern, Pipe handler);

  /**
   * The route taken when no other matches, for both actions, with this scope's pipes: declared on
   * the router, any topic; declared in a scope, the topics under the scope's prefix. One per
   * router. Without one on the router, a topic or filter no route matches (such as {@code #}) is
   * left to the next hook.
   */
  Routes catchAll(Controller controller);

  /** A catch-all resource. */
  default Routes catchAll(Pipe handler) {
    return catchAll(Controller.of(handler));
  }
}
