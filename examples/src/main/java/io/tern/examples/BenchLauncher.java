package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.hook.DeliverDecision;
import io.tern.broker.hook.DeliverHook;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.broker.router.RouteDecision;
import io.tern.broker.router.Router;

/**
 * The broker of the hooks-and-router benchmark (bench/compare.sh, brokers {@code tern_plain} and
 * {@code tern_hooked}): the same embedded broker, without or with 5 no-op hooks (each a publish and
 * a deliver hook, so each runs for every message and every delivery) and a router of 50 routes, one
 * of which matches every benchmark topic ({@code bench/:publisher/*run}, through a pipe and a
 * controller), so the router matches, binds and runs a pipeline for every message.
 *
 * <p>Usage: {@code java -Dtern.log.level=WARN -jar examples/target/tern-examples.jar PORT
 * [--hooks] [--max-inflight N] [--max-queued N]}
 */
public final class BenchLauncher {
  private BenchLauncher() {}

  /** A hook that lets everything pass: the cost of the chain itself. */
  static final class NoOpHook implements PublishHook, DeliverHook {
    @Override
    public PublishDecision onPublish(ClientInfo client, MqttMessage message) {
      return PublishDecision.CONTINUE;
    }

    @Override
    public DeliverDecision onDeliver(ClientInfo subscriber, MqttMessage message) {
      return DeliverDecision.CONTINUE;
    }
  }

  /** 50 routes: 49 that the benchmark's topics do not match, and one that matches all of them. */
  static Router fiftyRoutes() {
    return Router.create(r -> {
      r.pipeline("signedIn", ctx -> ctx.clientId() != null ? RouteDecision.CONTINUE : RouteDecision.refuse());
      r.scope("user/:username/", s -> {
        s.pipeThrough("signedIn");
        s.pipe(ctx -> ctx.param("username").equals(ctx.username()) ? RouteDecision.CONTINUE : RouteDecision.refuse());
        for (String leaf : new String[] {"location", "status", "inbox/*rest", "outbox/*rest", "settings/:key",
            "devices/:device/state", "devices/:device/cmd", "friends/:friend", "photos/*rest", "profile"}) {
          s.resource(leaf, ctx -> RouteDecision.allow());
        }
      });
      for (int i = 0; i < 20; i++) {
        r.publish("device/type" + i + "/:id/telemetry", ctx -> RouteDecision.allow());
      }
      for (int i = 0; i < 10; i++) {
        r.subscribe("admin/area" + i + "/*rest", ctx -> RouteDecision.grant(1));
      }
      for (int i = 0; i < 9; i++) {
        r.resource("$*sys" + i, ctx -> RouteDecision.refuse());
      }
      r.scope("bench/", s -> s
          .pipeThrough("signedIn")
          .resource(":publisher/*run", ctx -> RouteDecision.allow()));
    });
  }

  public static Broker start(int port, boolean hooks, int maxInflight, int maxQueued) {
    Broker.Builder b = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", port))
        .configure(c -> c.maxInflight(maxInflight).maxQueuedMessages(maxQueued));
    if (hooks) {
      for (int i = 0; i < 5; i++) {
        b.hook(new NoOpHook());
      }
      Router router = fiftyRoutes();
      if (router.size() != 50) {
        throw new IllegalStateException("expected 50 routes, got " + router.size());
      }
      b.hook(router);
    }
    return b.build().start();
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    boolean hooks = false;
    int inflight = 1000;
    int queued = 1_000_000;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--hooks" -> hooks = true;
        case "--max-inflight" -> inflight = Integer.parseInt(args[++i]);
        case "--max-queued" -> queued = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Broker broker = start(port, hooks, inflight, queued);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
    System.out.println("Listening on 127.0.0.1:" + broker.port() + (hooks ? " with 5 hooks and 50 routes" : ""));
  }

}
