package io.tern.broker;

import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.EventListener;
import io.tern.broker.hook.Hook;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.Registration;
import io.tern.broker.internal.BrokerCore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.tern.broker.internal.ManagementImpl;
import io.tern.broker.management.BrokerManagement;
import io.tern.broker.store.MessageStore;
import io.tern.codec.MqttProperties;
import io.tern.codec.Publish;
import io.tern.codec.Topics;
import java.util.Map;
import java.util.Objects;

/**
 * An MQTT broker, embeddable in a few lines and as many times per JVM as you like.
 *
 * <pre>{@code
 * Broker broker = Broker.builder()
 *     .listener(Listener.tcp("127.0.0.1", 0))   // 0: any free port
 *     .build()
 *     .start();
 * int port = broker.port();
 * broker.publish("device/1/cmd", "on".getBytes(UTF_8), 1, false);
 * broker.stop();
 * }</pre>
 *
 * <p>Thread-safe: {@link #publish} may be called from any thread.
 */
public final class Broker implements AutoCloseable {
  private final BrokerConfig config;
  private final BrokerCore core;
  private final BrokerManagement management;
  private volatile boolean started;
  /** Stopped and not started again: {@link #publish} and {@link #subscribe} refuse. */
  private volatile boolean stopped;
  private final List<Plugin> plugins;

  private Broker(Builder b) {
    this.config = b.config.build();
    this.core = new BrokerCore(config, b.store);
    this.management = new ManagementImpl(core);
    core.hooks().timeout(b.hookTimeout);
    for (Hook h : b.hooks) {
      core.hooks().add(h);
    }
    for (EventListener l : b.listeners) {
      core.events().add(l);
    }
    for (Builder.PendingRule r : b.rules) {
      core.addRule(r.filter(), r.qos(), r.handler());
    }
    this.plugins = List.copyOf(b.plugins);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the plugins, reads the store back (when there is one), then binds every listener.
   *
   * <p>If a plugin cannot start, the store cannot be read or a listener cannot be bound, nothing
   * stays bound, the plugins that had started are stopped, and the failure is thrown: unchecked as
   * it was, or an {@link IllegalStateException} with a checked one (such as Netty's bind error, an
   * {@code IOException}) as its cause and its message.
   *
   * @throws IllegalStateException if it is running already, or for a checked failure as above
   */
  public synchronized Broker start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    core.events().reopen();
    stopped = false;
    int pluginsStarted = 0;
    try {
      for (Plugin p : plugins) {
        p.start(this); // before the listeners: the plugins' hooks see the first client
        pluginsStarted++;
      }
      core.transport().start();
    } catch (Throwable e) { // Netty's bind throws checked exceptions undeclared; a plugin may throw an Error
      stopPlugins(pluginsStarted);
      core.events().close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      if (e instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
    core.startRules();
    core.startHeapGuard();
    started = true;
    core.events().emitNow(new BrokerEvent.Started(System.currentTimeMillis()));
    return this;
  }

  private void stopPlugins() {
    stopPlugins(plugins.size());
  }

  private void stopPlugins(int started) {
    for (int i = started - 1; i >= 0; i--) {
      try {
        plugins.get(i).stop();
      } catch (Throwable e) {
        io.tern.broker.internal.UserCode.rethrowFatal(e);
        org.slf4j.LoggerFactory.getLogger(Broker.class).warn("Plugin {} failed to stop", plugins.get(i), e);
      }
    }
  }

  /**
   * Stops the broker: stops accepting, closes every connection (v5 clients get DISCONNECT 0x8B),
   * stops its threads (the rules' too: the rules stay, and run again after a new {@link #start()}),
   * then the plugins. Afterwards {@link #publish} and {@link #subscribe} throw until it is started
   * again. Idempotent.
   */
  public synchronized void stop() {
    if (!started) {
      return;
    }
    started = false;
    try {
      core.events().emitNow(new BrokerEvent.Stopping(System.currentTimeMillis()));
    } finally { // even past a failing JVM's error from a listener: a stop left half-way could not be redone
      core.transport().stop();
      core.stopRules();
      core.stopHeapGuard();
      stopPlugins();
      core.events().close();
      stopped = true; // the Stopping listeners and the plugins' stop() may still publish
    }
  }

  @Override
  public void close() {
    stop();
  }

  public boolean isRunning() {
    return started;
  }

  public BrokerConfig config() {
    return config;
  }

  /** The bound port of the first listener (the real one when configured as 0). */
  public int port() {
    return core.transport().port(config.listeners().get(0).name());
  }

  /** The bound port of the named listener. */
  public int port(String listenerName) {
    return core.transport().port(listenerName);
  }

  /** Bound ports by listener name. */
  public Map<String, Integer> ports() {
    return core.transport().ports();
  }

  /**
   * Publishes a message from inside the process, as if a client had sent it: retained if asked,
   * delivered to every matching subscription at {@code min(qos, granted QoS)}.
   *
   * @throws IllegalArgumentException for an invalid topic name or QoS
   * @throws IllegalStateException after {@link #stop()} (until it is started again)
   */
  public void publish(String topic, byte[] payload, int qos, boolean retain) {
    requireRunning();
    Objects.requireNonNull(payload, "payload");
    MqttMessage.checkTopic(topic);
    core.publish(new Publish(topic, qos, retain, false, 0, payload.clone(), MqttProperties.EMPTY));
  }

  /**
   * Publishes a message from inside the process (see {@link #publish(String, byte[], int, boolean)}).
   *
   * @throws IllegalArgumentException for a property that a PUBLISH may not carry (see {@link
   *     MqttMessage#checkProperties}: only a message built with {@link MqttMessage#wrap} can have one)
   * @throws IllegalStateException after {@link #stop()} (until it is started again)
   */
  public void publish(MqttMessage message) {
    requireRunning();
    MqttMessage.checkProperties(message.properties());
    core.publish(message.toPublish());
  }

  /**
   * Publishes a message from inside the process on behalf of client {@code clientId}, as a plugin
   * that holds a client's message back does ({@link io.tern.broker.plugins.DelayedPublish}): that
   * client's subscriptions with No Local do not get it, and a retained one is held to {@code
   * max_retained_messages} and {@code max_retained_bytes} (over them: published with RETAIN 0 and
   * not kept, with a log line), as a client's will is; the other publish methods are exempt.
   *
   * @throws IllegalArgumentException for a property that a PUBLISH may not carry (as {@link #publish(MqttMessage)})
   * @throws IllegalStateException after {@link #stop()} (until it is started again)
   */
  public void publish(MqttMessage message, String clientId) {
    requireRunning();
    MqttMessage.checkProperties(message.properties());
    core.publish(message.toPublish(), Objects.requireNonNull(clientId, "clientId"));
  }

  /** Before the first start (retained messages to begin with, say) publishing is allowed; after a stop, not. */
  private void requireRunning() {
    if (stopped) {
      throw new IllegalStateException("the broker is stopped");
    }
  }

  /**
   * Publishes a message with MQTT 5 properties (Message Expiry Interval, Content Type, Response
   * Topic, Correlation Data, User Properties, Payload Format Indicator); MQTT 3 subscribers get it
   * without them.
   *
   * @throws IllegalArgumentException for an invalid topic name or QoS, or a property that a
   *     PUBLISH may not carry (see {@link MqttMessage#checkProperties})
   * @throws IllegalStateException after {@link #stop()} (until it is started again)
   */
  public void publish(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties) {
    requireRunning();
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(properties, "properties");
    MqttMessage.checkTopic(topic);
    MqttMessage.checkProperties(properties);
    core.publish(new Publish(topic, qos, retain, false, 0, payload.clone(), properties));
  }

  /**
   * The management view: clients, sessions, subscriptions and retained messages, and the
   * operator's actions on them. Any thread.
   */
  public BrokerManagement management() {
    return management;
  }

  /** A QoS 0, non-retained publish. */
  public void publish(String topic, byte[] payload) {
    publish(topic, payload, 0, false);
  }

  /**
   * Adds a hook to the running broker (or before start): it joins, at the end, the chain of every
   * hook point whose interface it implements (see {@link Hook}). Any thread.
   *
   * @return the handle that removes it
   * @throws IllegalArgumentException if it implements no hook point interface
   */
  public Registration addHook(Hook hook) {
    return core.hooks().add(Objects.requireNonNull(hook, "hook"));
  }

  /**
   * What to do when the broker can no longer serve part of its clients: an event loop's thread
   * ended while it runs (an Error escaped it, such as an OutOfMemoryError thrown again while the
   * first was handled), leaving its connections, and the new ones handed to it, unanswered. The
   * broker logs it at ERROR either way; {@code handler} gets the same text, once, on the thread
   * that saw the loop end. An application embedding the broker may restart it; the standalone
   * server exits (code 3) for its supervisor to restart it. Set before {@link #start}.
   */
  public void onFatal(java.util.function.Consumer<String> handler) {
    core.transport().onFatal(Objects.requireNonNull(handler, "handler"));
  }

  /**
   * Listens to the broker's {@link BrokerEvent}s: clients connected and disconnected (with the
   * reason), subscriptions, sessions, dropped messages, client errors. See {@link EventListener}
   * for the threading. Any thread.
   */
  public Registration onEvent(EventListener listener) {
    return core.events().add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Adds a rule: every message published to a topic matching {@code filter} goes to {@code handler},
   * in-process, at {@code min(message QoS, qos)}; see {@link Rule}. Any thread, running or not.
   *
   * <pre>{@code
   * Rule r = broker.rule("sensors/+/temperature", 0, m -> db.insert(m.topic(), m.payloadAsString()));
   * ...
   * r.remove();
   * }</pre>
   *
   * @throws IllegalArgumentException for an invalid filter (or a {@code $share/} one) or QoS
   */
  public Rule rule(String filter, int qos, RuleHandler handler) {
    return core.addRule(filter, qos, Objects.requireNonNull(handler, "handler"));
  }

  /** A QoS 0 rule (see {@link #rule(String, int, RuleHandler)}). */
  public Rule rule(String filter, RuleHandler handler) {
    return rule(filter, 0, handler);
  }

  /**
   * Subscribes the session of a client to {@code filter} at {@code qos} from inside the process, as
   * if the client had subscribed (no SUBACK is sent; retained messages are). The subscription is made
   * shortly after this returns, on the session's thread. No hooks run for it.
   *
   * @return false when no session of this client id exists
   * @throws IllegalArgumentException for an invalid filter or QoS
   * @throws IllegalStateException after {@link #stop()} (until it is started again)
   */
  public boolean subscribe(String clientId, String filter, int qos) {
    requireRunning();
    if (!Topics.isValidFilter(filter) || qos < 0 || qos > 2) {
      throw new IllegalArgumentException("invalid subscription: '" + filter + "' QoS " + qos);
    }
    return core.subscribe(clientId, filter, qos);
  }

  /** Hook invocations that threw, failed their stage, answered null or did not answer in time, since start. */
  public long hookFailures() {
    return core.hooks().failures();
  }

  /** Events not delivered because the listeners fell 65,536 events behind. */
  public long eventsDropped() {
    return core.events().dropped();
  }

  /** The space the store takes, in bytes; 0 without a store. */
  public long storeSizeBytes() {
    return core.storeSizeBytes();
  }

  /** Counters since start. */
  public Stats stats() {
    return new Stats(core.stats().connectionsCurrent(), core.stats().connectionsTotal(), core.sessionCount(),
        core.subscriptionCount(), core.retainedCount(), core.stats().messagesReceived(),
        core.stats().messagesSent(), core.stats().messagesDropped(), core.stats().protocolErrors(),
        core.stats().messagesExpired(), core.stats().messagesTooLarge());
  }

  /** Counters of the security limits and the auth SPIs since start. */
  public SecurityStats securityStats() {
    io.tern.broker.internal.BrokerStats s = core.stats();
    return new SecurityStats(s.authFailures(), s.subscriptionsDenied(), s.publishesDenied(), s.deliveriesDenied(),
        s.connectionsRefusedLimit(), s.connectionsRefusedRate(), s.topicLimitRefusals(),
        s.subscriptionLimitRefusals(), s.tlsHandshakeFailures());
  }

  /** The memory bounds' state and counters since start: queued bytes per session, back-pressure. */
  public MemoryStats memoryStats() {
    io.tern.broker.internal.BrokerStats s = core.stats();
    return new MemoryStats(core.bufferedOutboundBytes(), core.overHighWaterMark(), s.highWaterMarkCrossings(),
        s.publisherPauses(), s.queuedBytesDrops(), s.stalledSessionDrops(), core.bufferedInboundBytes(),
        s.inboundBufferRefusals(), core.heapUsedAfterGc(), core.overMaxHeapUsage(), s.connectionsRefusedMemory(),
        s.slowSubscriberPauses());
  }

  /**
   * A snapshot of the memory bounds.
   *
   * @param bufferedOutboundBytes bytes held for clients now: queued messages (payload and topic) and
   *     unwritten network buffers of sockets that do not keep up
   * @param overHighWaterMark whether publishers that feed sessions falling behind are paused now
   * @param highWaterMarkCrossings times {@code bufferedOutboundBytes} went over {@code outboundHighWaterMark}
   * @param publisherPauses publishers paused by it (each counted once until the total is below the low mark)
   * @param queuedBytesDrops messages dropped over a session's {@code maxQueuedBytes} (also in
   *     {@link Stats#messagesDropped()})
   * @param stalledSessionDrops messages dropped while over {@code outboundHighWaterMark} for sessions
   *     whose client took nothing for {@code outboundStallTimeout} or was away, instead of pausing
   *     their publishers (also in {@link Stats#messagesDropped()})
   * @param bufferedInboundBytes bytes reserved now for packets clients have begun to send and not yet
   *     finished (packets of 4 KiB or more), against {@code inboundBufferLimit}
   * @param inboundBufferRefusals packets refused (and their connections closed) because
   *     {@code inboundBufferLimit} had no room for them
   * @param heapUsedAfterGc the Java heap in use after the last garbage collection, in bytes; -1
   *     before the first one (or with {@code maxHeapUsage} 0, which does not watch it)
   * @param overMaxHeapUsage whether new connections are refused now, the heap being over
   *     {@code maxHeapUsage}
   * @param connectionsRefusedMemory CONNECTs refused (Server busy) while it was
   * @param slowSubscriberPauses publisher reads paused because a connected subscriber of their QoS 1/2
   *     messages had half of {@code maxQueuedMessages} queued ({@code slowSubscriber} {@code WAIT})
   */
  public record MemoryStats(
      long bufferedOutboundBytes, boolean overHighWaterMark, long highWaterMarkCrossings, long publisherPauses,
      long queuedBytesDrops, long stalledSessionDrops, long bufferedInboundBytes, long inboundBufferRefusals,
      long heapUsedAfterGc, boolean overMaxHeapUsage, long connectionsRefusedMemory, long slowSubscriberPauses) {}

  /**
   * A snapshot of the security counters.
   *
   * @param authFailures CONNECTs the authenticator refused
   * @param subscriptionsDenied topic filters the authorizer refused
   * @param publishesDenied PUBLISHes the authorizer refused
   * @param deliveriesDenied messages not delivered to a subscriber that may not receive them
   * @param connectionsRefusedLimit connections closed over {@code maxConnections} (total or per listener)
   * @param connectionsRefusedRate connections closed over {@code maxConnectionRatePerAddress}
   * @param topicLimitRefusals topics or filters over {@code maxTopicLength} / {@code maxTopicLevels}
   * @param subscriptionLimitRefusals subscriptions over {@code maxSubscriptionsPerClient}
   * @param tlsHandshakeFailures failed TLS handshakes
   */
  public record SecurityStats(
      long authFailures, long subscriptionsDenied, long publishesDenied, long deliveriesDenied,
      long connectionsRefusedLimit, long connectionsRefusedRate, long topicLimitRefusals,
      long subscriptionLimitRefusals, long tlsHandshakeFailures) {}

  /**
   * A snapshot of the broker's counters.
   *
   * @param messagesExpired messages not sent because their Message Expiry Interval passed first
   * @param messagesTooLarge messages not sent to a client because they exceed its Maximum Packet
   *     Size (also counted in {@code messagesDropped})
   */
  public record Stats(
      long connections, long connectionsTotal, int sessions, int subscriptions, int retainedMessages,
      long messagesReceived, long messagesSent, long messagesDropped, long protocolErrors, long messagesExpired,
      long messagesTooLarge) {}

  /** Builds a {@link Broker}. */
  public static final class Builder {
    private BrokerConfig.Builder config = BrokerConfig.builder();
    private MessageStore store;
    private final List<Hook> hooks = new ArrayList<>();
    private final List<EventListener> listeners = new ArrayList<>();
    private final List<PendingRule> rules = new ArrayList<>();
    private final List<Plugin> plugins = new ArrayList<>();
    private Duration hookTimeout = Duration.ofSeconds(10);

    private record PendingRule(String filter, int qos, RuleHandler handler) {}

    private Builder() {}

    /** Starts from a complete configuration (replaces what was set before). */
    public Builder config(BrokerConfig c) {
      this.config = c.toBuilder();
      return this;
    }

    public Builder listener(Listener listener) {
      config.listener(listener);
      return this;
    }

    /** Who may connect (default: everyone). */
    public Builder authenticator(io.tern.broker.auth.Authenticator a) {
      config.authenticator(a);
      return this;
    }

    /**
     * Registers an MQTT 5 enhanced authentication method (AUTH packets, v5 section 4.12) under its
     * Authentication Method name, e.g. {@code enhancedAuthenticator(ScramSha256Authenticator.METHOD,
     * new ScramSha256Authenticator(users::get))}.
     */
    public Builder enhancedAuthenticator(String method, io.tern.broker.auth.EnhancedAuthenticator a) {
      config.enhancedAuthenticator(method, a);
      return this;
    }

    /** What connected clients may do (default: everything). */
    public Builder authorizer(io.tern.broker.auth.Authorizer a) {
      config.authorizer(a);
      return this;
    }

    /** Changes settings of the configuration being built. */
    public Builder configure(java.util.function.Consumer<BrokerConfig.Builder> change) {
      change.accept(config);
      return this;
    }

    /**
     * Where persistent sessions, their queued and in-flight messages and retained messages are kept
     * (see {@link MessageStore}); without one, they live in memory only and end with the broker: at
     * {@link Broker#stop()} (event {@code SessionEnded} with cause {@code BROKER_STOPPED}), so that a
     * client connecting after a new {@link Broker#start()} gets Session Present 0.
     * The broker does not close the store: close it after {@link Broker#stop()}.
     */
    public Builder store(MessageStore messageStore) {
      this.store = messageStore;
      return this;
    }

    /**
     * Adds a hook (see {@link Hook}); hooks run in the order they are added. For example a
     * {@link io.tern.broker.router.Router}.
     */
    public Builder hook(Hook hook) {
      hooks.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    /** Listens to the broker's events (see {@link Broker#onEvent}). */
    public Builder onEvent(EventListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Adds a rule (see {@link Broker#rule(String, int, RuleHandler)}). */
    public Builder rule(String filter, int qos, RuleHandler handler) {
      rules.add(new PendingRule(filter, qos, Objects.requireNonNull(handler, "handler")));
      return this;
    }

    /** Adds a plugin, started with the broker (before its listeners) and stopped after them. */
    public Builder plugin(Plugin plugin) {
      plugins.add(Objects.requireNonNull(plugin, "plugin"));
      return this;
    }

    /** Adds plugins, in order (see {@link #plugin(Plugin)}). */
    public Builder plugins(List<? extends Plugin> list) {
      list.forEach(this::plugin);
      return this;
    }

    /**
     * How long an asynchronous hook answer may take before its fallback applies (default 10 s).
     */
    public Builder hookTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("hook timeout must be positive");
      }
      this.hookTimeout = timeout;
      return this;
    }

    public Broker build() {
      return new Broker(this);
    }
  }
}
