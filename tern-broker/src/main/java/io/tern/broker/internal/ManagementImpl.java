package io.tern.broker.internal;

import io.netty.channel.EventLoop;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.management.BrokerManagement;
import io.tern.broker.management.ClientSnapshot;
import io.tern.broker.management.LatencySnapshot;
import io.tern.broker.management.RetainedMessage;
import io.tern.broker.management.SessionSnapshot;
import io.tern.broker.management.SubscriptionSnapshot;
import io.tern.broker.management.TrafficStats;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.Topics;
import io.tern.codec.UserProperty;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * {@link BrokerManagement} over the broker's internals. Every read of a session's state runs on the
 * session's event loop (one task per loop for a list); callers wait at most {@link
 * BrokerManagement#TIMEOUT_SECONDS}.
 */
public final class ManagementImpl implements BrokerManagement {
  private final BrokerCore core;

  public ManagementImpl(BrokerCore core) {
    this.core = core;
  }

  // ------------------------------------------------------------------ reads

  @Override
  public List<ClientSnapshot> clients() {
    return onLoops(core.registry().all(), this::client);
  }

  @Override
  public Optional<ClientSnapshot> client(String clientId) {
    return onLoop(clientId, this::client);
  }

  @Override
  public List<SessionSnapshot> sessions() {
    return onLoops(core.registry().all(), s -> session(s, false));
  }

  @Override
  public Optional<SessionSnapshot> session(String clientId) {
    return onLoop(clientId, s -> session(s, true));
  }

  @Override
  public boolean hasSession(String clientId) {
    Session s = clientId == null ? null : core.registry().get(clientId);
    return s != null && !s.terminated;
  }

  @Override
  public List<SubscriptionSnapshot> subscriptions() {
    List<List<SubscriptionSnapshot>> all = onLoops(core.registry().all(), ManagementImpl::subscriptions);
    List<SubscriptionSnapshot> out = new ArrayList<>();
    all.forEach(out::addAll);
    return out;
  }

  @Override
  public Optional<List<SubscriptionSnapshot>> subscriptions(String clientId) {
    return onLoop(clientId, ManagementImpl::subscriptions);
  }

  private ClientSnapshot client(Session s) {
    MqttConnection c = s.connection();
    ClientInfo info = s.clientInfo;
    String username = info == null ? null : info.username();
    if (c == null) {
      return new ClientSnapshot(s.clientId, false, username, null, null, null, 0, false, s.lifecycle.expiryInterval(), null,
          instant(s.lifecycle.disconnectedAtMillis()), s.inflightCount(), s.queuedCount(), s.droppedCount(), 0, 0,
          s.subscriptions().size(), core.isTraced(s.clientId));
    }
    return new ClientSnapshot(s.clientId, true, c.username(), c.remoteAddressText(), c.listenerName(),
        c.protocolVersion(), c.keepAlive(), c.cleanStart(), s.lifecycle.expiryInterval(), instant(c.connectedAtMillis()), null,
        s.inflightCount(), s.queuedCount(), s.droppedCount(), c.bytesIn(), c.bytesOut(), s.subscriptions().size(),
        c.traced());
  }

  private static SessionSnapshot session(Session s, boolean detailed) {
    boolean online = s.connection() != null;
    long expiry = s.lifecycle.expiryInterval();
    Instant expiresAt = online || expiry == Session.NEVER_EXPIRES || s.lifecycle.disconnectedAtMillis() == 0 ? null
        : Instant.ofEpochMilli(s.lifecycle.disconnectedAtMillis() + expiry * 1000);
    return new SessionSnapshot(s.clientId, online, s.subscriptions().size(), expiry, expiresAt, s.queuedCount(),
        s.queuedBytes(), s.inflightCount(), s.droppedCount());
  }

  private static List<SubscriptionSnapshot> subscriptions(Session s) {
    List<Subscriber> subs = s.subscriptions().values();
    List<SubscriptionSnapshot> out = new ArrayList<>(subs.size());
    for (Subscriber sub : subs) {
      out.add(new SubscriptionSnapshot(s.clientId, sub.filter(), sub.topicFilter(), sub.shareName(), sub.qos(),
          sub.noLocal(), sub.retainAsPublished(), sub.retainHandling(), sub.subscriptionId()));
    }
    return out;
  }

  private static Instant instant(long millis) {
    return millis == 0 ? null : Instant.ofEpochMilli(millis);
  }

  // ------------------------------------------------------------------ actions

  @Override
  public boolean disconnect(String clientId) {
    return onLoop(clientId, s -> {
      MqttConnection c = s.connection();
      if (c == null) {
        return false;
      }
      c.adminDisconnect();
      return true;
    }).orElse(false);
  }

  @Override
  public boolean deleteSession(String clientId) {
    return onLoop(clientId, s -> {
      MqttConnection c = s.connection();
      if (c == null) {
        s.lifecycle.terminate();
      } else {
        // The session ends with its connection: as if the client had set its expiry to 0.
        s.lifecycle.setExpiryInterval(0);
        c.adminDisconnect();
      }
      return true;
    }).orElse(false);
  }

  @Override
  public boolean subscribe(String clientId, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling) {
    checkFilter(filter);
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
    }
    if (retainHandling < 0 || retainHandling > 2) {
      throw new IllegalArgumentException("retain handling must be 0, 1 or 2, got " + retainHandling);
    }
    int granted = Math.min(qos, core.config().maxQos());
    return onLoop(clientId, s -> {
      Subscriber sub = Subscriber.of(s, filter, granted, noLocal, retainAsPublished, retainHandling, 0);
      core.subscribeInRetainedOrder(() -> {
        boolean isNew = s.subscribing().subscribe(sub);
        core.persistence().commit();
        if (!sub.shared() && (retainHandling == 0 || (retainHandling == 1 && isNew))) {
          core.sendRetained(s, sub);
        }
      });
      return true;
    }).orElse(false);
  }

  private static void checkFilter(String filter) {
    if (filter == null || !Topics.isValidFilter(filter)
        || (Topics.isShared(filter) && Topics.shareNameOf(filter) == null)) {
      throw new IllegalArgumentException("invalid topic filter: '" + filter + "'");
    }
  }

  @Override
  public Unsubscribed unsubscribe(String clientId, String filter) {
    return onLoop(clientId, s -> {
      boolean removed = s.subscriptions().unsubscribe(filter);
      core.persistence().commit();
      return removed ? Unsubscribed.DONE : Unsubscribed.NO_SUCH_SUBSCRIPTION;
    }).orElse(Unsubscribed.NO_SUCH_SESSION);
  }

  @Override
  public boolean trace(String clientId, boolean on) {
    if (on) {
      synchronized (core.traced) { // the count and the add as one: turning off needs no lock
        if (!core.traced.contains(clientId) && core.traced.size() >= MAX_TRACED) {
          return false;
        }
        core.traced.add(clientId);
      }
    } else {
      core.traced.remove(clientId);
    }
    Session s = core.registry().get(clientId);
    if (s != null) {
      try {
        s.runOnLoop(() -> {
          MqttConnection c = s.connection();
          if (c != null) {
            c.setTraced(on);
          }
        });
      } catch (RejectedExecutionException e) {
        // stopped: nothing to trace
      }
    }
    return true;
  }

  @Override
  public Set<String> traced() {
    return Set.copyOf(core.traced);
  }

  // ------------------------------------------------------------------ retained

  @Override
  public List<RetainedMessage> retained(String filter) {
    checkRetainedFilter(filter);
    List<RetainedMessage> out = new ArrayList<>();
    long now = System.nanoTime();
    Instant wallNow = Instant.now();
    core.retained().match(filter, m -> {
      if (!m.expired(now)) {
        out.add(retained(m, now, wallNow, Integer.MAX_VALUE));
      }
    });
    return out;
  }

  @Override
  public List<String> retainedTopics(String filter) {
    checkRetainedFilter(filter);
    List<String> out = new ArrayList<>();
    long now = System.nanoTime();
    core.retained().match(filter, m -> {
      if (!m.expired(now)) {
        out.add(m.publish().topic());
      }
    });
    return out;
  }

  private static void checkRetainedFilter(String filter) {
    checkFilter(filter);
    if (Topics.isShared(filter)) {
      throw new IllegalArgumentException("a shared subscription filter does not select retained messages");
    }
  }

  @Override
  public Optional<RetainedMessage> retainedMessage(String topic) {
    return retainedMessage(topic, Integer.MAX_VALUE);
  }

  @Override
  public Optional<RetainedMessage> retainedMessage(String topic, int maxPayloadBytes) {
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxPayloadBytes must be 0 or more, got " + maxPayloadBytes);
    }
    if (topic == null || !Topics.isSendableName(topic)) {
      return Optional.empty();
    }
    long now = System.nanoTime();
    Message m = core.retained().get(topic);
    return m == null || m.expired(now) ? Optional.empty()
        : Optional.of(retained(m, now, Instant.now(), maxPayloadBytes));
  }

  @Override
  public boolean deleteRetained(String topic) {
    if (topic == null || !Topics.isSendableName(topic)) {
      return false;
    }
    // An empty retained payload clears the topic (MQTT-3.3.1-10); it is not routed to anyone.
    Message clear = new Message(new Publish(topic, 0, true, false, 0, new byte[0], MqttProperties.EMPTY), null,
        System.nanoTime());
    Message previous = core.retained().put(clear);
    if (previous != null && core.persistence().enabled()) {
      core.persistence().retained(clear, previous);
      core.persistence().commit();
      core.persistence().release(); // an application's thread keeps no batch
    }
    return previous != null;
  }

  private static RetainedMessage retained(Message m, long nowNanos, Instant wallNow, int maxPayloadBytes) {
    Publish p = m.publish();
    MqttProperties props = p.properties();
    Map<String, String> user = new LinkedHashMap<>();
    for (UserProperty u : props.userProperties()) {
      user.put(u.name(), u.value());
    }
    // To the millisecond: the wall clock and the monotonic one are read apart, and finer digits
    // changed from one read to the next.
    Instant received = wallNow.minusNanos(Math.max(0, nowNanos - m.receivedAtNanos()))
        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    // What is left of it, as a new subscriber would be given it (MQTT-3.3.2-6).
    Long remaining = m.expires() ? Long.valueOf(m.remainingSeconds(nowNanos)) : null;
    byte[] payload = p.payload();
    byte[] copy = payload.length <= maxPayloadBytes ? payload.clone() : Arrays.copyOf(payload, maxPayloadBytes);
    return new RetainedMessage(p.topic(), p.qos(), copy, payload.length, received, remaining,
        props.getString(Property.CONTENT_TYPE), Map.copyOf(user));
  }

  // ------------------------------------------------------------------ counters

  @Override
  public TrafficStats traffic() {
    BrokerStats s = core.stats();
    long inflight = 0;
    long queued = 0;
    for (Session session : core.registry().all()) {
      inflight += session.inflightAnyThread();
      queued += session.queuedCount();
    }
    return new TrafficStats(s.bytesReceived(), s.bytesSent(), s.byQos(BrokerStats.RECEIVED),
        s.byQos(BrokerStats.SENT), s.byQos(BrokerStats.RECEIVED_BYTES), s.byQos(BrokerStats.SENT_BYTES),
        // messagesDropped counts every drop, those over a client's Maximum Packet Size included
        s.messagesDropped() - s.messagesTooLarge(), s.messagesExpired(), s.messagesTooLarge(), s.deliveriesDenied(),
        inflight, queued);
  }

  @Override
  public LatencySnapshot deliveryLatency() {
    return core.stats().deliveryLatency.snapshot();
  }

  // ------------------------------------------------------------------ running on the loops

  /** Runs {@code f} on the loop of this client's session; empty when there is none. */
  private <T> Optional<T> onLoop(String clientId, Function<Session, T> f) {
    Session s = clientId == null ? null : core.registry().get(clientId);
    if (s == null || s.terminated) {
      return Optional.empty();
    }
    CompletableFuture<Optional<T>> result = new CompletableFuture<>();
    try {
      s.runOnLoop(() -> {
        try {
          result.complete(s.terminated ? Optional.empty() : Optional.ofNullable(f.apply(s)));
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      return Optional.empty(); // the broker is stopped
    }
    return await(result);
  }

  /**
   * Applies {@code f} to every session on its own loop: one task per loop; a session that moved to
   * another loop meanwhile is read there afterwards.
   */
  private <T> List<T> onLoops(Collection<Session> sessions, Function<Session, T> f) {
    Map<EventLoop, List<Session>> byLoop = new HashMap<>();
    for (Session s : sessions) {
      byLoop.computeIfAbsent(s.loop, k -> new ArrayList<>()).add(s);
    }
    List<CompletableFuture<LoopResult<T>>> tasks = new ArrayList<>();
    for (Map.Entry<EventLoop, List<Session>> e : byLoop.entrySet()) {
      CompletableFuture<LoopResult<T>> task = new CompletableFuture<>();
      try {
        e.getKey().execute(() -> {
          LoopResult<T> r = new LoopResult<>();
          try {
            for (Session s : e.getValue()) {
              if (s.terminated) {
                continue;
              }
              if (s.loop.inEventLoop()) {
                r.values.add(f.apply(s));
              } else {
                r.moved.add(s);
              }
            }
            task.complete(r);
          } catch (Throwable t) {
            task.completeExceptionally(t);
          }
        });
      } catch (RejectedExecutionException ex) {
        continue; // the broker is stopped
      }
      tasks.add(task);
    }
    List<T> out = new ArrayList<>(sessions.size());
    for (CompletableFuture<LoopResult<T>> task : tasks) {
      LoopResult<T> r = await(task);
      out.addAll(r.values);
      for (Session s : r.moved) {
        onLoop(s.clientId, f).ifPresent(out::add);
      }
    }
    return out;
  }

  private static final class LoopResult<T> {
    final List<T> values = new ArrayList<>();
    final List<Session> moved = new ArrayList<>(0);
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new ManagementTimeoutException("an event loop did not answer within " + TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ManagementTimeoutException("interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
