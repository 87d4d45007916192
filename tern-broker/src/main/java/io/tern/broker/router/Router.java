package io.tern.broker.router;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.broker.hook.SubscribeDecision;
import io.tern.broker.hook.SubscribeHook;
import io.tern.broker.hook.UnsubscribeHook;
import io.tern.codec.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A topic router built on the hooks: routes map topic patterns ({@link RoutePattern}: literal
 * levels, {@code :name} parameters, a trailing {@code *rest} or {@code prefix*rest} glob) to
 * controllers, through pipelines of pipes. As a {@link PublishHook} it decides every PUBLISH, as a
 * {@link SubscribeHook} every topic filter of a SUBSCRIBE (the filter is matched as text: a
 * {@code +} or {@code #} is bound to a parameter like any level). A topic no route matches is left
 * alone (the next hook decides), unless there is a catch-all.
 *
 * <pre>{@code
 * Router router = Router.create(r -> r
 *     .pipeline("signedIn", ctx -> ctx.username() != null ? RouteDecision.CONTINUE : RouteDecision.refuse())
 *     .scope("user/:username/", s -> s
 *         .pipeThrough("signedIn")
 *         .pipe(ctx -> ctx.param("username").equals(ctx.username()) ? RouteDecision.CONTINUE : RouteDecision.refuse())
 *         .resource("*rest", ctx -> RouteDecision.allow()))
 *     .subscribe("admin/*rest", ctx -> RouteDecision.grant(1))      // read-only
 *     .catchAll(ctx -> RouteDecision.refuse()));
 * Broker broker = Broker.builder().hook(router).build().start();
 * }</pre>
 *
 * <p>Matching is compiled: routes are indexed by their first level, so a topic is compared with
 * the few routes that can match it; matching allocates nothing, and a context is made only for a
 * topic that matched. Thread-safe and immutable once created.
 */
public final class Router implements PublishHook, SubscribeHook, UnsubscribeHook {
  private static final int PUBLISH = 1;
  private static final int SUBSCRIBE = 2;
  private static final int[] NONE = new int[0];

  private record Route(RoutePattern pattern, int actions, Pipe[] pipes, Controller controller) {}

  private final Route[] routes;
  /** Routes whose first level is a parameter or a plain glob: candidates for every topic. */
  private final int[] anyFirst;
  /** Routes whose first level is a prefix glob ({@code $*admin}), by the first character of the prefix (ASCII). */
  private final int[][] byFirstChar = new int[128][];
  /** Prefix-glob routes whose prefix starts with a non-ASCII character: candidates for every topic. */
  private final int[] otherPrefixFirst;
  /** Open-addressing table from a first literal level to the routes that start with it. */
  private final String[] firstKeys;
  private final int[][] firstRoutes;
  private final Route catchAll;

  private Router(List<Route> list, Route catchAll) {
    this.routes = list.toArray(new Route[0]);
    this.catchAll = catchAll;
    Map<String, List<Integer>> byFirst = new HashMap<>();
    List<Integer> any = new ArrayList<>();
    List<Integer> otherPrefix = new ArrayList<>();
    Map<Character, List<Integer>> byChar = new HashMap<>();
    for (int i = 0; i < routes.length; i++) {
      String first = routes[i].pattern.firstLiteral();
      String prefix = routes[i].pattern.firstGlobPrefix();
      if (first != null) {
        byFirst.computeIfAbsent(first, k -> new ArrayList<>()).add(i);
      } else if (prefix != null && prefix.charAt(0) < 128) {
        byChar.computeIfAbsent(prefix.charAt(0), k -> new ArrayList<>()).add(i);
      } else if (prefix != null) {
        otherPrefix.add(i);
      } else {
        any.add(i);
      }
    }
    this.anyFirst = any.stream().mapToInt(Integer::intValue).toArray();
    this.otherPrefixFirst = otherPrefix.stream().mapToInt(Integer::intValue).toArray();
    byChar.forEach((ch, ids) -> byFirstChar[ch] = ids.stream().mapToInt(Integer::intValue).toArray());
    int size = Integer.highestOneBit(Math.max(4, byFirst.size() * 4 - 1)) << 1;
    firstKeys = new String[size];
    firstRoutes = new int[size][];
    for (Map.Entry<String, List<Integer>> e : byFirst.entrySet()) {
      int slot = hash(e.getKey(), 0, e.getKey().length()) & (size - 1);
      while (firstKeys[slot] != null) {
        slot = (slot + 1) & (size - 1);
      }
      firstKeys[slot] = e.getKey();
      firstRoutes[slot] = e.getValue().stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** Builds a router from its definition. @throws IllegalArgumentException for a bad pattern or an unknown pipeline */
  public static Router create(Consumer<Routes> definition) {
    Definition root = new Definition(null, "");
    definition.accept(root);
    List<Route> list = new ArrayList<>();
    Route[] catchAll = new Route[1];
    root.compile(root, new ArrayList<>(), list, catchAll);
    return new Router(list, catchAll[0]);
  }

  /** The number of routes (without the catch-all). */
  public int size() {
    return routes.length;
  }

  private static int hash(String s, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + s.charAt(i);
    }
    return h ^ (h >>> 16);
  }

  /** The first route matching the topic and the action, the catch-all, or null. */
  private Route find(String topic, int action) {
    int end = topic.indexOf('/');
    if (end < 0) {
      end = topic.length();
    }
    int[] literal = null;
    int mask = firstKeys.length - 1;
    int slot = hash(topic, 0, end) & mask;
    String key;
    while ((key = firstKeys[slot]) != null) {
      if (key.length() == end && topic.startsWith(key)) {
        literal = firstRoutes[slot];
        break;
      }
      slot = (slot + 1) & mask;
    }
    char c0 = topic.isEmpty() ? 0 : topic.charAt(0);
    int[] prefixed = c0 < 128 ? byFirstChar[c0] : otherPrefixFirst;
    // Merge the (at most three) candidate lists in definition order: the first match wins.
    int[] none = NONE;
    int[] l1 = literal == null ? none : literal;
    int[] l2 = anyFirst;
    int[] l3 = prefixed == null ? none : prefixed;
    int a = 0;
    int b = 0;
    int c = 0;
    while (a < l1.length || b < l2.length || c < l3.length) {
      int va = a < l1.length ? l1[a] : Integer.MAX_VALUE;
      int vb = b < l2.length ? l2[b] : Integer.MAX_VALUE;
      int vc = c < l3.length ? l3[c] : Integer.MAX_VALUE;
      int i;
      if (va <= vb && va <= vc) {
        i = va;
        a++;
      } else if (vb <= vc) {
        i = vb;
        b++;
      } else {
        i = vc;
        c++;
      }
      Route r = routes[i];
      if ((r.actions & action) != 0 && r.pattern.match(topic, null)) {
        return r;
      }
    }
    return catchAll != null && catchAll.pattern.match(topic, null) ? catchAll : null;
  }

  /**
   * Runs the pipes, then the controller. Returns the decision; the context the request ends with
   * (changed by {@link RouteDecision#next}) is the decision's {@code context} for NEXT, else the one given.
   */
  private static RouteDecision run(Route r, RouteContext ctx, int action) {
    Pipe[] pipes = r.pipes;
    RouteContext current = ctx;
    int pipeGrant = 2; // the lowest QoS a pipe granted: a cap on the subscription (it was ignored)
    for (int i = 0; i < pipes.length; i++) {
      RouteDecision d = pipes[i].apply(current);
      if (d == RouteDecision.CONTINUE) {
        continue;
      }
      if (d == null) {
        throw new NullPointerException("a pipe of route " + r.pattern + " answered null");
      }
      if (d.kind == RouteDecision.Kind.NEXT) {
        current = d.context;
      } else if (d.kind == RouteDecision.Kind.GRANT) {
        pipeGrant = Math.min(pipeGrant, d.code);
      } else {
        return d;
      }
    }
    RouteDecision d = action == PUBLISH ? r.controller.publish(current) : r.controller.subscribe(current);
    if (d == null) {
      throw new NullPointerException("the controller of route " + r.pattern + " answered null");
    }
    if (pipeGrant < 2 && action != PUBLISH) {
      if (d.kind == RouteDecision.Kind.CONTINUE || d.kind == RouteDecision.Kind.NEXT) {
        return RouteDecision.grant(pipeGrant, d.kind == RouteDecision.Kind.NEXT ? d.context
            : current != ctx ? current : null);
      }
      if (d.kind == RouteDecision.Kind.GRANT) {
        return RouteDecision.grant(Math.min(pipeGrant, d.code), d.context != null ? d.context
            : current != ctx ? current : null);
      }
    }
    if (current != ctx) { // a pipe changed the request and the controller allowed it
      if (d.kind == RouteDecision.Kind.CONTINUE) {
        return RouteDecision.next(current);
      }
      if (d.kind == RouteDecision.Kind.GRANT && d.context == null) {
        return RouteDecision.grant(d.code, current);
      }
    }
    return d;
  }

  @Override
  public PublishDecision onPublish(ClientInfo client, MqttMessage message) {
    String topic = message.topic();
    Route r = find(topic, PUBLISH);
    if (r == null) {
      return PublishDecision.CONTINUE;
    }
    RouteDecision d = run(r, new RouteContext(client, Action.PUBLISH, topic, message.qos(), message, r.pattern, topic,
        null, null), PUBLISH);
    return switch (d.kind) {
      case CONTINUE -> PublishDecision.CONTINUE;
      case NEXT, GRANT -> d.context == null || d.context.message() == message ? PublishDecision.CONTINUE : PublishDecision.rewrite(d.context.message());
      case REFUSE -> PublishDecision.refuse(d.code);
      case DISCONNECT -> PublishDecision.disconnect(d.code);
      case HANDLED -> PublishDecision.handled();
    };
  }

  /**
   * A shared subscription {@code $share/{group}/{filter}} is routed as its filter (the route sees
   * {@code filter}, {@link RouteContext#shareName()} the group), and a filter the route rewrites
   * stays in the same group.
   */
  @Override
  public SubscribeDecision onSubscribe(ClientInfo client, String filter, int qos) {
    String shareName = Topics.shareNameOf(filter);
    String routed = shareName == null ? filter : Topics.topicFilterOf(filter);
    Route r = find(routed, SUBSCRIBE);
    if (r == null) {
      return SubscribeDecision.CONTINUE;
    }
    RouteDecision d = run(r, new RouteContext(client, Action.SUBSCRIBE, routed, qos, null, r.pattern, routed, null,
        shareName), SUBSCRIBE);
    return switch (d.kind) {
      case CONTINUE, HANDLED -> SubscribeDecision.CONTINUE;
      case NEXT -> d.context.topic().equals(routed) ? SubscribeDecision.CONTINUE
          : SubscribeDecision.grant(qos, shared(shareName, d.context.topic()));
      case GRANT -> d.context == null || d.context.topic().equals(routed) ? SubscribeDecision.grant(d.code)
          : SubscribeDecision.grant(d.code, shared(shareName, d.context.topic()));
      case REFUSE, DISCONNECT -> SubscribeDecision.refuse(d.code); // a SUBSCRIBE is refused, not disconnected
    };
  }

  private static String shared(String shareName, String filter) {
    return shareName == null ? filter : Topics.SHARE_PREFIX + shareName + "/" + filter;
  }

  /**
   * The counterpart of a subscription the routes rewrote: the filter's subscribe route runs again
   * (pipes and controller, as for a SUBSCRIBE), and the filter it rewrites to is the one removed.
   * When the route refuses, or rewrites nothing, the client's own filter is removed.
   */
  @Override
  public String onUnsubscribe(ClientInfo client, String filter) {
    SubscribeDecision d = onSubscribe(client, filter, 0);
    return d.filter() != null ? d.filter() : filter;
  }

  @Override
  public String name() {
    return "router (" + routes.length + " routes" + (catchAll != null ? " and a catch-all" : "") + ")";
  }

  /** The definition of the router or of one scope, compiled into routes when the definition is complete. */
  private static final class Definition implements Routes {
    private final Definition parent;
    private final String prefix;
    private final Map<String, Pipe[]> pipelines; // shared by every scope of a router
    /** In order: Pipe, String (a pipeline name), Definition (a nested scope) or a RouteSpec. */
    private final List<Object> items = new ArrayList<>();
    private Controller catchAll;

    private record RouteSpec(String pattern, int actions, Controller controller) {}

    Definition(Definition parent, String prefix) {
      this.parent = parent;
      this.prefix = prefix;
      this.pipelines = parent == null ? new HashMap<>() : parent.pipelines;
    }

    @Override
    public Routes pipeline(String name, Pipe... pipes) {
      if (pipelines.putIfAbsent(name, pipes.clone()) != null) {
        throw new IllegalArgumentException("pipeline '" + name + "' defined twice");
      }
      return this;
    }

    @Override
    public Routes pipeThrough(String... names) {
      items.addAll(List.of(names));
      return this;
    }

    @Override
    public Routes pipe(Pipe... pipes) {
      items.addAll(List.of(pipes));
      return this;
    }

    @Override
    public Routes scope(String scopePrefix, Consumer<Routes> body) {
      Definition d = new Definition(this, RoutePattern.join(prefix, scopePrefix));
      body.accept(d);
      items.add(d);
      return this;
    }

    @Override
    public Routes route(String pattern, Controller controller) {
      return add(pattern, PUBLISH | SUBSCRIBE, controller);
    }

    @Override
    public Routes publish(String pattern, Pipe handler) {
      return add(pattern, PUBLISH, Controller.of(handler));
    }

    @Override
    public Routes subscribe(String pattern, Pipe handler) {
      return add(pattern, SUBSCRIBE, Controller.of(handler));
    }

    @Override
    public Routes resource(String pattern, Pipe handler) {
      return add(pattern, PUBLISH | SUBSCRIBE, Controller.of(handler));
    }

    private Routes add(String pattern, int actions, Controller controller) {
      RoutePattern.compile(RoutePattern.join(prefix, pattern)); // fail early on a bad pattern
      items.add(new RouteSpec(pattern, actions, java.util.Objects.requireNonNull(controller)));
      return this;
    }

    @Override
    public Routes catchAll(Controller controller) {
      Definition root = this;
      while (root.parent != null) {
        root = root.parent;
      }
      if (root.catchAllOwner != null) {
        throw new IllegalStateException("a router has one catch-all");
      }
      root.catchAllOwner = this;
      this.catchAll = java.util.Objects.requireNonNull(controller);
      return this;
    }

    private Definition catchAllOwner;

    /** Adds this scope's routes, with the pipes of the enclosing scopes ({@code outer}) and its own. */
    void compile(Definition root, List<Pipe> outer, List<Route> out, Route[] catchAllOut) {
      List<Pipe> pipes = new ArrayList<>(outer);
      for (Object o : items) {
        if (o instanceof Pipe p) {
          pipes.add(p);
        } else if (o instanceof String name) {
          Pipe[] line = pipelines.get(name);
          if (line == null) {
            throw new IllegalArgumentException("unknown pipeline '" + name + "'");
          }
          pipes.addAll(List.of(line));
        }
      }
      Pipe[] mine = pipes.toArray(new Pipe[0]);
      for (Object o : items) {
        if (o instanceof RouteSpec s) {
          out.add(new Route(RoutePattern.compile(RoutePattern.join(prefix, s.pattern)), s.actions, mine, s.controller));
        } else if (o instanceof Definition d) {
          d.compile(root, pipes, out, catchAllOut);
        }
      }
      if (catchAll != null) {
        catchAllOut[0] = new Route(RoutePattern.compile(prefix.isEmpty() ? "*rest" : RoutePattern.join(prefix, "*rest")),
            PUBLISH | SUBSCRIBE, mine, catchAll);
      }
    }
  }
}
