package io.tern.broker.internal;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.auth.ConnectRequest;
import io.tern.broker.hook.AcceptHook;
import io.tern.broker.hook.AsyncAcceptHook;
import io.tern.broker.hook.ConnectHook;
import io.tern.broker.hook.DeliverDecision;
import io.tern.broker.hook.DeliverHook;
import io.tern.broker.hook.Hook;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.broker.hook.Registration;
import io.tern.broker.hook.SubscribeDecision;
import io.tern.broker.hook.SubscribeHook;
import io.tern.broker.hook.UnsubscribeHook;
import io.tern.broker.hook.WillHook;
import io.tern.codec.ReasonCodes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ordered hook chains, one per hook point, and the rules of running them: order, isolation of
 * a hook that throws, asynchronous answers with a timeout and a fallback.
 *
 * <p>Concurrency: each chain is a copy-on-write array in a volatile field, read without a lock on
 * every event loop; {@link #add} and removal serialize on this object. A chain with no hook costs
 * its caller one volatile read and a length check: the per-message paths test {@link
 * #hasPublishHooks()} / {@link #hasDeliverHooks()} before building any view.
 */
public final class HookChain {
  private static final Logger log = LoggerFactory.getLogger(HookChain.class);

  /** {@link AcceptHook}s and {@link AsyncAcceptHook}s, in order of registration. */
  private volatile Hook[] accept = new Hook[0];
  private volatile ConnectHook[] connect = new ConnectHook[0];
  private volatile SubscribeHook[] subscribe = new SubscribeHook[0];
  private volatile UnsubscribeHook[] unsubscribe = new UnsubscribeHook[0];
  private volatile PublishHook[] publish = new PublishHook[0];
  private volatile DeliverHook[] deliver = new DeliverHook[0];
  private volatile WillHook[] will = new WillHook[0];
  private final Set<Object> failedOnce = ConcurrentHashMap.newKeySet(); // hooks, and the authorizer
  final LongAdder failures = new LongAdder();
  private volatile Duration timeout = Duration.ofSeconds(10);

  /** How long an async answer may take (default 10 s); then the hook's fallback applies. */
  public void timeout(Duration t) {
    this.timeout = t;
  }

  public long failures() {
    return failures.sum();
  }

  /**
   * Adds a hook to every chain whose interface it implements, at the end. Returns the handle that
   * removes it again.
   */
  public synchronized Registration add(Hook h) {
    boolean any = false;
    if (h instanceof AcceptHook || h instanceof AsyncAcceptHook) {
      accept = append(accept, h, Hook[]::new);
      any = true;
    }
    if (h instanceof ConnectHook x) {
      connect = append(connect, x, ConnectHook[]::new);
      any = true;
    }
    if (h instanceof SubscribeHook x) {
      subscribe = append(subscribe, x, SubscribeHook[]::new);
      any = true;
    }
    if (h instanceof UnsubscribeHook x) {
      unsubscribe = append(unsubscribe, x, UnsubscribeHook[]::new);
      any = true;
    }
    if (h instanceof PublishHook x) {
      publish = append(publish, x, PublishHook[]::new);
      any = true;
    }
    if (h instanceof DeliverHook x) {
      deliver = append(deliver, x, DeliverHook[]::new);
      any = true;
    }
    if (h instanceof WillHook x) {
      will = append(will, x, WillHook[]::new);
      any = true;
    }
    if (!any) {
      throw new IllegalArgumentException(h.name() + " implements no hook point interface");
    }
    return () -> remove(h);
  }

  private synchronized void remove(Hook h) {
    accept = without(accept, h, Hook[]::new);
    connect = without(connect, h, ConnectHook[]::new);
    subscribe = without(subscribe, h, SubscribeHook[]::new);
    unsubscribe = without(unsubscribe, h, UnsubscribeHook[]::new);
    publish = without(publish, h, PublishHook[]::new);
    deliver = without(deliver, h, DeliverHook[]::new);
    will = without(will, h, WillHook[]::new);
  }

  private static <T> T[] append(T[] a, T x, IntFunction<T[]> make) {
    T[] copy = Arrays.copyOf(a, a.length + 1);
    copy[a.length] = x;
    return copy;
  }

  private static <T> T[] without(T[] a, Object x, IntFunction<T[]> make) {
    return Arrays.stream(a).filter(e -> e != x).toArray(make);
  }

  private CompletableFuture<PublishDecision> settle(Hook h, String point, PublishDecision d) {
    return settle(h, point, d.stage(), PublishDecision::isAsync, d.fallback(), d.timeout());
  }

  /**
   * The answer of an asynchronous decision: what its stage completes with; its fallback when the
   * stage fails or answers null or another asynchronous decision (a failure of the hook at {@code
   * point}), or when its own timeout (else the chain's) passes first.
   */
  private <D> CompletableFuture<D> settle(Hook h, String point, CompletionStage<D> stage,
      java.util.function.Predicate<D> isAsync, D fallback, Duration own) {
    CompletableFuture<D> answer = new CompletableFuture<>();
    stage.whenComplete((r, e) -> {
      if (e != null || r == null || isAsync.test(r)) {
        failed(h, point, e != null ? e : new IllegalStateException("null or nested async decision"));
        answer.complete(fallback);
      } else {
        answer.complete(r);
      }
    });
    Duration t = own != null ? own : timeout;
    return answer.completeOnTimeout(fallback, t.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Whether a hook's replacement may be sent on: a message built with {@link MqttMessage#wrap}
   * skipped the checks of {@code withProperties}, and a property a PUBLISH may not carry makes v5
   * subscribers drop their connections (for good when retained). When not, the hook failed, as
   * one that throws. Properties the hook was given, kept as they were, are not checked again.
   */
  private boolean sendable(Hook h, String point, MqttMessage given, MqttMessage replacement) {
    if (replacement.properties() == given.properties()) {
      return true;
    }
    try {
      MqttMessage.checkProperties(replacement.properties());
      return true;
    } catch (IllegalArgumentException e) {
      failed(h, point, e);
      return false;
    }
  }

  private void failed(Hook h, String point, Throwable e) {
    failures.increment();
    if (failedOnce.add(h)) {
      log.warn("Hook {} failed at {} (the operation fails safely; later failures of this hook are logged at debug)",
          h.name(), point, e);
    } else {
      log.debug("Hook {} failed at {}: {}", h.name(), point, e.toString());
    }
  }

  /**
   * The {@link io.tern.broker.auth.Authorizer} threw or answered null: counted and logged as a
   * failing hook (the first time with its stack trace); the caller denies. Any thread.
   */
  void failedAuthorizer(Object authorizer, io.tern.broker.auth.Action action, Throwable e) {
    failedOther(authorizer, "Authorizer " + authorizer.getClass().getName() + " failed at " + action, "denied", e);
  }

  /**
   * Some other user code the broker calls (an authorizer, a rule's handler) failed: counted with
   * the hooks' failures, logged with its stack trace the first time, later at debug. {@code what}
   * says who failed at what, {@code outcome} what the broker did about it. Any thread.
   */
  void failedOther(Object who, String what, String outcome, Throwable e) {
    failures.increment();
    if (failedOnce.add(who)) {
      log.warn("{} ({}; later failures are logged at debug)", what, outcome, e);
    } else {
      log.debug("{} ({}): {}", what, outcome, e.toString());
    }
  }

  // ------------------------------------------------------------------ accept

  private static final CompletableFuture<Boolean> ACCEPTED = CompletableFuture.completedFuture(true);
  private static final CompletableFuture<Boolean> REFUSED = CompletableFuture.completedFuture(false);

  /**
   * Whether every accept hook lets this connection in: complete at once unless an {@link
   * AsyncAcceptHook} answers later. Never completes exceptionally. On the connection's loop.
   */
  CompletableFuture<Boolean> accept(InetSocketAddress remote, String listener) {
    return accept(accept, 0, remote, listener);
  }

  private CompletableFuture<Boolean> accept(Hook[] hooks, int from, InetSocketAddress remote, String listener) {
    for (int i = from; i < hooks.length; i++) {
      Hook h = hooks[i];
      try {
        if (h instanceof AcceptHook a) {
          if (!a.onAccept(remote, listener)) {
            return REFUSED;
          }
          continue;
        }
        AsyncAcceptHook a = (AsyncAcceptHook) h;
        CompletionStage<Boolean> stage = a.onAccept(remote, listener);
        int next = i + 1;
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        stage.whenComplete((r, e) -> {
          if (e != null || r == null) {
            failed(h, "accept", e != null ? e : new NullPointerException("null accept answer"));
            answer.complete(false);
          } else {
            answer.complete(r);
          }
        });
        boolean fallback;
        try {
          fallback = a.timeoutFallback();
        } catch (Throwable e) {
          UserCode.rethrowFatal(e);
          fallback = false;
        }
        return answer.completeOnTimeout(fallback, timeout.toMillis(), TimeUnit.MILLISECONDS)
            .thenCompose(ok -> ok ? accept(hooks, next, remote, listener) : REFUSED);
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "accept", e);
        return REFUSED;
      }
    }
    return ACCEPTED;
  }

  // ------------------------------------------------------------------ connect

  /**
   * The connect hooks, then the broker's authenticator: the first answer that is not {@link
   * AuthResult#pass()} decides. Each step is bounded by the timeout (then that hook's fallback).
   */
  CompletionStage<AuthResult> connect(ConnectRequest request, Authenticator authenticator) {
    return connect(request, authenticator, null);
  }

  /**
   * As {@link #connect(ConnectRequest, Authenticator)}; when {@code gone} completes (the client
   * left before the answer), the step under way is cancelled and no later one starts: a hook
   * that checks its stage (the password file's check does) skips work nobody waits for.
   */
  CompletionStage<AuthResult> connect(ConnectRequest request, Authenticator authenticator, CompletableFuture<?> gone) {
    ConnectHook[] hooks = connect;
    if (hooks.length == 0) {
      return step(authenticator, request, gone);
    }
    return next(hooks, 0, request, authenticator, gone);
  }

  private CompletionStage<AuthResult> next(ConnectHook[] hooks, int i, ConnectRequest request, Authenticator last,
      CompletableFuture<?> gone) {
    if (i == hooks.length) {
      return step(last, request, gone);
    }
    return step(hooks[i], request, gone).thenCompose(r -> r.isPass() && !isDone(gone)
        ? next(hooks, i + 1, request, last, gone) : CompletableFuture.completedFuture(r));
  }

  private static boolean isDone(CompletableFuture<?> gone) {
    return gone != null && gone.isDone();
  }

  private CompletionStage<AuthResult> step(ConnectHook h, ConnectRequest request, CompletableFuture<?> gone) {
    CompletionStage<AuthResult> stage;
    try {
      stage = h.onConnect(request);
    } catch (Throwable e) {
      UserCode.rethrowFatal(e);
      failed(h, "connect", e);
      return CompletableFuture.completedFuture(AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR));
    }
    if (stage == null) {
      failed(h, "connect", new NullPointerException("null CompletionStage<AuthResult>"));
      return CompletableFuture.completedFuture(AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR));
    }
    if (stage instanceof CompletableFuture<AuthResult> f && f.isDone() && !f.isCompletedExceptionally()) {
      AuthResult r = f.join();
      if (r == null) {
        failed(h, "connect", new NullPointerException("null AuthResult"));
        return CompletableFuture.completedFuture(AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR));
      }
      return CompletableFuture.completedFuture(r);
    }
    CompletableFuture<AuthResult> out = new CompletableFuture<>();
    stage.whenComplete((r, e) -> {
      if (e != null || r == null) {
        if (!out.isDone()) { // a stage the broker cancelled (timed out, client gone) did not fail
          failed(h, "connect", e != null ? e : new NullPointerException("null AuthResult"));
        }
        out.complete(AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR));
      } else {
        out.complete(r);
      }
    });
    if (gone != null) {
      gone.whenComplete((v, e) -> {
        if (out.complete(AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR))) {
          cancel(stage);
        }
      });
    }
    AuthResult fallback;
    try {
      fallback = h.timeoutFallback();
    } catch (Throwable e) {
      UserCode.rethrowFatal(e);
      fallback = AuthResult.refuse(ReasonCodes.SERVER_UNAVAILABLE);
    }
    AuthResult fb = fallback;
    Duration t = timeout;
    return out.completeOnTimeout(fb, t.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
      if (r == fb && cancel(stage)) {
        timedOut(h, "Hook " + h.name() + " did not answer CONNECT of " + request.clientId() + " within "
            + t.toMillis() + " ms: " + fb);
      }
    });
  }

  /**
   * Tells a hook's stage that its answer is no longer wanted; false when it had answered already.
   * A stage that is not a {@link CompletableFuture} cannot be told and goes on (true).
   */
  private static boolean cancel(CompletionStage<?> stage) {
    try {
      CompletableFuture<?> f = stage.toCompletableFuture();
      return !f.isDone() && (f.cancel(false) || !f.isDone());
    } catch (UnsupportedOperationException e) {
      return true;
    }
  }

  /**
   * A hook did not answer in time: counted with the failures, the first time of each hook at WARN,
   * later ones at DEBUG (a burst of slow checks is one line, not one per client).
   */
  private void timedOut(Hook h, String line) {
    failures.increment();
    if (failedOnce.add(java.util.List.of(h, "timeout"))) {
      log.warn("{} (later timeouts of this hook are logged at debug)", line);
    } else {
      log.debug(line);
    }
  }

  // ------------------------------------------------------------------ subscribe

  /** The outcome of the subscribe chain for one filter: a granted QoS or a failure code, and the filter. */
  record Sub(int code, String filter, CompletableFuture<Sub> pending) {
    static Sub done(int code, String filter) {
      return new Sub(code, filter, null);
    }
  }

  boolean hasSubscribeHooks() {
    return subscribe.length != 0;
  }

  /** Runs the subscribe hooks for one filter, from hook {@code from}; {@code qos} is the QoS granted so far. */
  Sub subscribe(ClientInfo client, String filter, int qos) {
    return subscribe(subscribe, 0, client, filter, qos);
  }

  private Sub subscribe(SubscribeHook[] hooks, int from, ClientInfo client, String filter, int qos) {
    for (int i = from; i < hooks.length; i++) {
      SubscribeHook h = hooks[i];
      SubscribeDecision d;
      try {
        d = h.onSubscribe(client, filter, qos);
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "subscribe", e);
        return Sub.done(ReasonCodes.UNSPECIFIED_ERROR, filter);
      }
      if (d == null) {
        failed(h, "subscribe", new NullPointerException("null SubscribeDecision"));
        return Sub.done(ReasonCodes.UNSPECIFIED_ERROR, filter);
      }
      if (d.isAsync()) {
        int next = i + 1;
        String f = filter;
        int q = qos;
        CompletableFuture<Sub> pending = settle(h, "subscribe", d.stage(), SubscribeDecision::isAsync,
            d.fallback(), d.timeout())
            .thenCompose(r -> {
              Sub s = apply(r, f, q);
              if (s.code >= 0x80) {
                return CompletableFuture.completedFuture(s);
              }
              Sub rest = subscribe(hooks, next, client, s.filter, s.code);
              return rest.pending != null ? rest.pending : CompletableFuture.completedFuture(rest);
            });
        return new Sub(-1, filter, pending);
      }
      if (d.isRefuse()) {
        return Sub.done(d.reasonCode(), filter);
      }
      qos = Math.min(qos, d.qos());
      if (d.filter() != null) {
        filter = d.filter();
      }
    }
    return Sub.done(qos, filter);
  }

  private static Sub apply(SubscribeDecision d, String filter, int qos) {
    if (d.isRefuse()) {
      return Sub.done(d.reasonCode(), filter);
    }
    return Sub.done(Math.min(qos, d.qos()), d.filter() != null ? d.filter() : filter);
  }

  /** The filter an UNSUBSCRIBE removes, after the unsubscribe hooks. */
  String unsubscribe(ClientInfo client, String filter) {
    for (UnsubscribeHook h : unsubscribe) {
      try {
        String f = h.onUnsubscribe(client, filter);
        if (f != null) {
          filter = f;
        } else {
          failed(h, "unsubscribe", new NullPointerException("null filter"));
        }
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "unsubscribe", e);
      }
    }
    return filter;
  }

  // ------------------------------------------------------------------ publish

  boolean hasPublishHooks() {
    return publish.length != 0;
  }

  /**
   * Runs the publish hooks. Returns {@link PublishDecision#CONTINUE} when the message goes on
   * unchanged, a rewrite with the final message, a refusal / handled / disconnect, or an async
   * decision whose stage completes (never exceptionally) with one of those.
   */
  PublishDecision publish(ClientInfo client, MqttMessage message) {
    return publish(publish, 0, client, message, false);
  }

  private PublishDecision publish(PublishHook[] hooks, int from, ClientInfo client, MqttMessage message,
      boolean rewritten) {
    for (int i = from; i < hooks.length; i++) {
      PublishHook h = hooks[i];
      PublishDecision d;
      try {
        d = h.onPublish(client, message);
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "publish", e);
        return PublishDecision.refuse(ReasonCodes.UNSPECIFIED_ERROR);
      }
      if (d == PublishDecision.CONTINUE) {
        continue;
      }
      if (d == null) {
        failed(h, "publish", new NullPointerException("null PublishDecision"));
        return PublishDecision.refuse(ReasonCodes.UNSPECIFIED_ERROR);
      }
      if (d.isRewrite()) {
        if (!sendable(h, "publish", message, d.message())) {
          return PublishDecision.refuse(ReasonCodes.UNSPECIFIED_ERROR);
        }
        message = d.message();
        rewritten = true;
        continue;
      }
      if (d.isAsync()) {
        return publishAsync(hooks, i, h, d, client, message, rewritten);
      }
      return d;
    }
    return rewritten ? PublishDecision.rewrite(message) : PublishDecision.CONTINUE;
  }

  private PublishDecision publishAsync(PublishHook[] hooks, int i, PublishHook h, PublishDecision d,
      ClientInfo client, MqttMessage message, boolean rewritten) {
    CompletableFuture<PublishDecision> result = settle(h, "publish", d)
        .thenCompose(r -> {
          PublishDecision rest;
          if (r.isContinue()) {
            rest = publish(hooks, i + 1, client, message, rewritten);
          } else if (r.isRewrite() && !sendable(h, "publish", message, r.message())) {
            rest = PublishDecision.refuse(ReasonCodes.UNSPECIFIED_ERROR);
          } else if (r.isRewrite()) {
            rest = publish(hooks, i + 1, client, r.message(), true);
          } else {
            rest = r;
          }
          return rest.isAsync() ? rest.stage() : CompletableFuture.completedFuture(rest);
        });
    return PublishDecision.async(result);
  }

  // ------------------------------------------------------------------ deliver, will

  boolean hasDeliverHooks() {
    return deliver.length != 0;
  }

  /** The message for this subscriber after the deliver hooks, or null to skip it. Any thread. */
  MqttMessage deliver(ClientInfo subscriber, MqttMessage message) {
    for (DeliverHook h : deliver) {
      DeliverDecision d;
      try {
        d = h.onDeliver(subscriber, message);
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "deliver", e);
        return null;
      }
      if (d == DeliverDecision.CONTINUE) {
        continue;
      }
      if (d == null) {
        failed(h, "deliver", new NullPointerException("null DeliverDecision"));
        return null;
      }
      if (d.isSkip() || !sendable(h, "deliver", message, d.message())) {
        return null;
      }
      message = d.message();
    }
    return message;
  }

  /**
   * The will to publish after the will hooks: completes with the message (the same, another) or
   * null (suppressed). Already complete unless a hook answered asynchronously; then within that
   * hook's timeout (else its fallback). Never completes exceptionally.
   */
  CompletableFuture<MqttMessage> will(ClientInfo client, MqttMessage message) {
    return will(will, 0, client, message);
  }

  private CompletableFuture<MqttMessage> will(WillHook[] hooks, int from, ClientInfo client, MqttMessage message) {
    for (int i = from; i < hooks.length; i++) {
      WillHook h = hooks[i];
      PublishDecision d;
      try {
        d = h.onWill(client, message);
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(h, "will", e);
        return CompletableFuture.completedFuture(null);
      }
      if (d == PublishDecision.CONTINUE) {
        continue;
      }
      if (d == null) { // a failure as a throw is (the will is not published), counted and logged
        failed(h, "will", new NullPointerException("null PublishDecision"));
        return CompletableFuture.completedFuture(null);
      }
      if (d.isAsync()) {
        return willAsync(hooks, i, h, d, client, message);
      }
      if (!d.isRewrite() || !sendable(h, "will", message, d.message())) {
        return CompletableFuture.completedFuture(null);
      }
      message = d.message();
    }
    return CompletableFuture.completedFuture(message);
  }

  private CompletableFuture<MqttMessage> willAsync(WillHook[] hooks, int i, WillHook h, PublishDecision d,
      ClientInfo client, MqttMessage message) {
    return settle(h, "will", d).thenCompose(r -> {
      if (r.isContinue()) {
        return will(hooks, i + 1, client, message);
      }
      if (r.isRewrite() && sendable(h, "will", message, r.message())) {
        return will(hooks, i + 1, client, r.message());
      }
      return CompletableFuture.completedFuture(null);
    });
  }

  boolean hasWillHooks() {
    return will.length != 0;
  }
}
