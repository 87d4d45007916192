package io.tern.broker;

import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.Authorizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Every setting of a broker, immutable and validated when built: listeners and the limits that
 * bound what one client can make the broker hold.
 *
 * <pre>{@code
 * BrokerConfig config = BrokerConfig.builder()
 *     .listener(Listener.tcp(1883))
 *     .maxPacketSize(256 * 1024)
 *     .maxQueuedMessages(10_000)
 *     .build();
 * }</pre>
 */
public final class BrokerConfig {
  private final List<Listener> listeners;
  private final int maxPacketSize;
  private final int maxInflight;
  private final int maxQueuedMessages;
  private final boolean queueQos0WhenOffline;
  private final DropPolicy dropPolicy;
  private final Duration connectTimeout;
  private final int maxClientIdLength;
  private final boolean allowEmptyClientId;
  private final int maxQos;
  private final int ioThreads;
  private final Authenticator authenticator;
  private final Authorizer authorizer;
  private final boolean disconnectOnDeniedPublish;
  private final int maxConnections;
  private final int maxConnectionRatePerAddress;
  private final int maxTopicLength;
  private final int maxTopicLevels;
  private final int maxSubscriptionsPerClient;

  private BrokerConfig(Builder b) {
    this.listeners = List.copyOf(b.listeners.isEmpty() ? List.of(Listener.tcp(1883)) : b.listeners);
    this.maxPacketSize = b.maxPacketSize;
    this.maxInflight = b.maxInflight;
    this.maxQueuedMessages = b.maxQueuedMessages;
    this.queueQos0WhenOffline = b.queueQos0WhenOffline;
    this.dropPolicy = b.dropPolicy;
    this.connectTimeout = b.connectTimeout;
    this.maxClientIdLength = b.maxClientIdLength;
    this.allowEmptyClientId = b.allowEmptyClientId;
    this.maxQos = b.maxQos;
    this.ioThreads = b.ioThreads;
    this.authenticator = b.authenticator;
    this.authorizer = b.authorizer;
    this.disconnectOnDeniedPublish = b.disconnectOnDeniedPublish;
    this.maxConnections = b.maxConnections;
    this.maxConnectionRatePerAddress = b.maxConnectionRatePerAddress;
    this.maxTopicLength = b.maxTopicLength;
    this.maxTopicLevels = b.maxTopicLevels;
    this.maxSubscriptionsPerClient = b.maxSubscriptionsPerClient;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: one TCP listener on 0.0.0.0:1883. */
  public static BrokerConfig defaults() {
    return builder().build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.listeners.addAll(listeners);
    b.maxPacketSize = maxPacketSize;
    b.maxInflight = maxInflight;
    b.maxQueuedMessages = maxQueuedMessages;
    b.queueQos0WhenOffline = queueQos0WhenOffline;
    b.dropPolicy = dropPolicy;
    b.connectTimeout = connectTimeout;
    b.maxClientIdLength = maxClientIdLength;
    b.allowEmptyClientId = allowEmptyClientId;
    b.maxQos = maxQos;
    b.ioThreads = ioThreads;
    b.authenticator = authenticator;
    b.authorizer = authorizer;
    b.disconnectOnDeniedPublish = disconnectOnDeniedPublish;
    b.maxConnections = maxConnections;
    b.maxConnectionRatePerAddress = maxConnectionRatePerAddress;
    b.maxTopicLength = maxTopicLength;
    b.maxTopicLevels = maxTopicLevels;
    b.maxSubscriptionsPerClient = maxSubscriptionsPerClient;
    return b;
  }

  /** Listeners to bind; one TCP listener on 0.0.0.0:1883 when none was given. */
  public List<Listener> listeners() {
    return listeners;
  }

  /** Largest packet accepted, in bytes, fixed header included; larger ones close the connection. */
  public int maxPacketSize() {
    return maxPacketSize;
  }

  /** Unacknowledged QoS 1/2 messages the broker sends to one client before waiting for acks. */
  public int maxInflight() {
    return maxInflight;
  }

  /** Messages one session may have queued (waiting to be sent) before {@link #dropPolicy()} applies. */
  public int maxQueuedMessages() {
    return maxQueuedMessages;
  }

  /** Whether QoS 0 messages are queued for an offline persistent session (off: they are dropped). */
  public boolean queueQos0WhenOffline() {
    return queueQos0WhenOffline;
  }

  public DropPolicy dropPolicy() {
    return dropPolicy;
  }

  /** How long a new connection may take to send its CONNECT before it is closed. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Longest client identifier accepted (MQTT 3.1 clients are further held to 23 characters). */
  public int maxClientIdLength() {
    return maxClientIdLength;
  }

  /** Whether a client may connect with an empty client id (and Clean Session) to get a generated one. */
  public boolean allowEmptyClientId() {
    return allowEmptyClientId;
  }

  /**
   * Highest QoS the broker supports: subscriptions are granted at most this QoS, and a client that
   * publishes above it is disconnected (MQTT-3.3.5-2; v5 clients are told in CONNACK).
   */
  public int maxQos() {
    return maxQos;
  }

  /** Event loop threads serving connections; 0 (the default) means one per available processor. */
  public int ioThreads() {
    return ioThreads;
  }

  /** Who may connect; {@link Authenticator#ALLOW_ALL} by default. */
  public Authenticator authenticator() {
    return authenticator;
  }

  /** What connected clients may do; {@link Authorizer#ALLOW_ALL} by default (then never called). */
  public Authorizer authorizer() {
    return authorizer;
  }

  /**
   * What happens to an MQTT 3 client whose PUBLISH the authorizer denies: {@code false} (the
   * default) acknowledges and drops it, as MQTT 3 has no way to say no; {@code true} closes the
   * connection. MQTT 5 clients always get {@code 0x87} in the PUBACK/PUBREC.
   */
  public boolean disconnectOnDeniedPublish() {
    return disconnectOnDeniedPublish;
  }

  /** Open connections over all listeners beyond which new ones are closed at once; 0: no limit. */
  public int maxConnections() {
    return maxConnections;
  }

  /** New connections per second accepted from one IP address (burst: as many); 0: no limit. */
  public int maxConnectionRatePerAddress() {
    return maxConnectionRatePerAddress;
  }

  /** Longest topic name or filter accepted, in characters; longer ones are refused. */
  public int maxTopicLength() {
    return maxTopicLength;
  }

  /** Most levels (parts between {@code /}) in a topic name or filter; more are refused; 0: no limit. */
  public int maxTopicLevels() {
    return maxTopicLevels;
  }

  /** Subscriptions one session may hold; further SUBSCRIBEs are refused (0x97 quota exceeded). */
  public int maxSubscriptionsPerClient() {
    return maxSubscriptionsPerClient;
  }

  /** Builds a {@link BrokerConfig}; {@link #build()} checks every value. */
  public static final class Builder {
    private final List<Listener> listeners = new ArrayList<>();
    private int maxPacketSize = 1024 * 1024;
    private int maxInflight = 32;
    private int maxQueuedMessages = 1000;
    private boolean queueQos0WhenOffline = false;
    private DropPolicy dropPolicy = DropPolicy.DROP_NEW;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int maxClientIdLength = 65535;
    private boolean allowEmptyClientId = true;
    private int maxQos = 2;
    private int ioThreads = 0;
    private Authenticator authenticator = Authenticator.ALLOW_ALL;
    private Authorizer authorizer = Authorizer.ALLOW_ALL;
    private boolean disconnectOnDeniedPublish = false;
    private int maxConnections = 0;
    private int maxConnectionRatePerAddress = 0;
    private int maxTopicLength = 65535;
    private int maxTopicLevels = 0;
    private int maxSubscriptionsPerClient = 1000;

    private Builder() {}

    public Builder authenticator(Authenticator a) {
      this.authenticator = Objects.requireNonNull(a);
      return this;
    }

    public Builder authorizer(Authorizer a) {
      this.authorizer = Objects.requireNonNull(a);
      return this;
    }

    public Builder disconnectOnDeniedPublish(boolean disconnect) {
      this.disconnectOnDeniedPublish = disconnect;
      return this;
    }

    public Builder maxConnections(int connections) {
      this.maxConnections = connections;
      return this;
    }

    public Builder maxConnectionRatePerAddress(int perSecond) {
      this.maxConnectionRatePerAddress = perSecond;
      return this;
    }

    public Builder maxTopicLength(int chars) {
      this.maxTopicLength = chars;
      return this;
    }

    public Builder maxTopicLevels(int levels) {
      this.maxTopicLevels = levels;
      return this;
    }

    public Builder maxSubscriptionsPerClient(int subscriptions) {
      this.maxSubscriptionsPerClient = subscriptions;
      return this;
    }

    public Builder listener(Listener listener) {
      listeners.add(Objects.requireNonNull(listener));
      return this;
    }

    /** Replaces the listeners. */
    public Builder listeners(List<Listener> list) {
      listeners.clear();
      listeners.addAll(list);
      return this;
    }

    public Builder maxPacketSize(int bytes) {
      this.maxPacketSize = bytes;
      return this;
    }

    public Builder maxInflight(int messages) {
      this.maxInflight = messages;
      return this;
    }

    public Builder maxQueuedMessages(int messages) {
      this.maxQueuedMessages = messages;
      return this;
    }

    public Builder queueQos0WhenOffline(boolean queue) {
      this.queueQos0WhenOffline = queue;
      return this;
    }

    public Builder dropPolicy(DropPolicy policy) {
      this.dropPolicy = Objects.requireNonNull(policy);
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    public Builder maxClientIdLength(int chars) {
      this.maxClientIdLength = chars;
      return this;
    }

    public Builder allowEmptyClientId(boolean allow) {
      this.allowEmptyClientId = allow;
      return this;
    }

    public Builder maxQos(int qos) {
      this.maxQos = qos;
      return this;
    }

    public Builder ioThreads(int threads) {
      this.ioThreads = threads;
      return this;
    }

    public BrokerConfig build() {
      check(maxPacketSize >= 16 && maxPacketSize <= 268_435_460, "max packet size must be 16..268435460 bytes");
      check(maxInflight >= 1 && maxInflight <= 65535, "max inflight must be 1..65535");
      check(maxQueuedMessages >= 1, "max queued messages must be >= 1");
      check(!connectTimeout.isNegative() && !connectTimeout.isZero(), "connect timeout must be positive");
      check(maxClientIdLength >= 23 && maxClientIdLength <= 65535, "max client id length must be 23..65535");
      check(maxQos >= 0 && maxQos <= 2, "max QoS must be 0, 1 or 2");
      check(ioThreads >= 0, "io threads must be >= 0");
      check(maxConnections >= 0, "max connections must be >= 0 (0: no limit)");
      check(maxConnectionRatePerAddress >= 0, "max connection rate per address must be >= 0 (0: no limit)");
      check(maxTopicLength >= 1 && maxTopicLength <= 65535, "max topic length must be 1..65535");
      check(maxTopicLevels >= 0, "max topic levels must be >= 0 (0: no limit)");
      check(maxSubscriptionsPerClient >= 1, "max subscriptions per client must be >= 1");
      java.util.Set<String> names = new java.util.HashSet<>();
      for (Listener l : listeners) {
        check(names.add(l.name()), "duplicate listener name " + l.name());
      }
      return new BrokerConfig(this);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
