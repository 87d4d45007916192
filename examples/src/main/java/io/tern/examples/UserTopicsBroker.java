package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.auth.StaticAuth;
import io.tern.broker.router.Controller;
import io.tern.broker.router.Pipe;
import io.tern.broker.router.RouteContext;
import io.tern.broker.router.RouteDecision;
import io.tern.broker.router.Router;

/**
 * A user-scoped topic space with the topic router:
 *
 * <ul>
 *   <li>{@code user/{name}/...}: each user publishes and subscribes in their own space only;
 *   <li>{@code admin/...}: read-only for everyone, written only by the user {@code admin};
 *   <li>{@code public/...}: open to every signed-in user;
 *   <li>anything else is refused (the catch-all).
 * </ul>
 *
 * Users (password {@code secret}): alice, bob, admin.
 */
public final class UserTopicsBroker {
  private UserTopicsBroker() {}

  /** Only the user the scope is named after. */
  static final Pipe OWNER_ONLY = ctx -> ctx.param("username").equals(ctx.username())
      ? RouteDecision.CONTINUE : RouteDecision.refuse();

  /** Every route below requires a signed-in user. */
  static final Pipe SIGNED_IN = ctx -> ctx.username() != null ? RouteDecision.CONTINUE : RouteDecision.refuse();

  /** Read-only topics: anyone may subscribe (at most QoS 1); only the admin publishes. */
  static final Controller ADMIN_TOPICS = new Controller() {
    @Override
    public RouteDecision subscribe(RouteContext ctx) {
      return RouteDecision.grant(1);
    }

    @Override
    public RouteDecision publish(RouteContext ctx) {
      return "admin".equals(ctx.username()) ? RouteDecision.allow() : RouteDecision.refuse();
    }
  };

  public static Router router() {
    return Router.create(r -> r
        .pipeline("signedIn", SIGNED_IN)
        .scope("user/:username/", s -> s
            .pipeThrough("signedIn")
            .pipe(OWNER_ONLY)
            .resource("*rest", ctx -> RouteDecision.allow()))
        .scope("", s -> s
            .pipeThrough("signedIn")
            .route("admin/*rest", ADMIN_TOPICS)
            .resource("public/*rest", ctx -> RouteDecision.allow()))
        .catchAll(ctx -> RouteDecision.refuse()));
  }

  public static Broker start(int port) {
    StaticAuth users = StaticAuth.builder()
        .user("alice", "secret").user("bob", "secret").user("admin", "secret")
        .build();
    return Broker.builder()
        .listener(Listener.tcp("127.0.0.1", port))
        .authenticator(users) // who may connect; the router decides what they may do
        .hook(router())
        .build()
        .start();
  }

  public static void main(String[] args) {
    Broker broker = start(args.length > 0 ? Integer.parseInt(args[0]) : 1883);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
    System.out.println("Listening on port " + broker.port());
  }
}
