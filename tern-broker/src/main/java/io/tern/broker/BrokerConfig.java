package io.tern.broker;

import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.EnhancedAuthenticator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private final long maxQueuedBytes;
  private final long outboundHighWaterMark;
  private final long inboundBufferLimit;
  private final long outboundLowWaterMark;
  private final boolean queueQos0WhenOffline;
  private final DropPolicy dropPolicy;
  private final SlowSubscriberPolicy slowSubscriber;
  private final Duration connectTimeout;
  private final Duration outboundStallTimeout;
  private final int maxClientIdLength;
  private final boolean allowEmptyClientId;
  private final boolean webSocketLoopbackOriginsOnly;
  private final int maxQos;
  private final int ioThreads;
  private final int receiveMaximum;
  private final int topicAliasMaximum;
  private final TopicAliasPolicy outboundTopicAliases;
  private final boolean retainAvailable;
  private final boolean wildcardSubscriptionsAvailable;
  private final boolean subscriptionIdentifiersAvailable;
  private final boolean sharedSubscriptionsAvailable;
  private final SharedSubscriptionPolicy sharedSubscriptionPolicy;
  private final int serverKeepAlive;
  private final int maxKeepAlive;
  private final long maxSessionExpiryInterval;
  private final String responseInformation;
  private final Authenticator authenticator;
  private final Authorizer authorizer;
  private final Map<String, EnhancedAuthenticator> enhancedAuthenticators;
  private final boolean disconnectOnDeniedPublish;
  private final int maxConnections;
  private final int maxConnectionRatePerAddress;
  private final int maxTopicLength;
  private final int maxTopicLevels;
  private final int maxSubscriptionsPerClient;
  private final long maxSubscriptionBytesPerClient;
  private final int maxHeapUsage;
  private final int maxRetainedMessages;
  private final long maxRetainedBytes;

  private BrokerConfig(Builder b) {
    this.listeners = List.copyOf(b.listeners.isEmpty() ? List.of(Listener.tcp(1883)) : b.listeners);
    this.maxPacketSize = b.maxPacketSize;
    this.maxInflight = b.maxInflight;
    this.maxQueuedMessages = b.maxQueuedMessages;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.outboundHighWaterMark = b.outboundHighWaterMark;
    this.inboundBufferLimit = b.inboundBufferLimit;
    this.outboundLowWaterMark = b.outboundLowWaterMark;
    this.queueQos0WhenOffline = b.queueQos0WhenOffline;
    this.dropPolicy = b.dropPolicy;
    this.slowSubscriber = b.slowSubscriber;
    this.connectTimeout = b.connectTimeout;
    this.outboundStallTimeout = b.outboundStallTimeout;
    this.maxClientIdLength = b.maxClientIdLength;
    this.allowEmptyClientId = b.allowEmptyClientId;
    this.webSocketLoopbackOriginsOnly = b.webSocketLoopbackOriginsOnly;
    this.maxQos = b.maxQos;
    this.ioThreads = b.ioThreads;
    this.receiveMaximum = b.receiveMaximum;
    this.topicAliasMaximum = b.topicAliasMaximum;
    this.outboundTopicAliases = b.outboundTopicAliases;
    this.retainAvailable = b.retainAvailable;
    this.wildcardSubscriptionsAvailable = b.wildcardSubscriptionsAvailable;
    this.subscriptionIdentifiersAvailable = b.subscriptionIdentifiersAvailable;
    this.sharedSubscriptionsAvailable = b.sharedSubscriptionsAvailable;
    this.sharedSubscriptionPolicy = b.sharedSubscriptionPolicy;
    this.serverKeepAlive = b.serverKeepAlive;
    this.maxKeepAlive = b.maxKeepAlive;
    this.maxSessionExpiryInterval = b.maxSessionExpiryInterval;
    this.responseInformation = b.responseInformation;
    this.authenticator = b.authenticator;
    this.authorizer = b.authorizer;
    this.enhancedAuthenticators = Map.copyOf(b.enhancedAuthenticators);
    this.disconnectOnDeniedPublish = b.disconnectOnDeniedPublish;
    this.maxConnections = b.maxConnections;
    this.maxConnectionRatePerAddress = b.maxConnectionRatePerAddress;
    this.maxTopicLength = b.maxTopicLength;
    this.maxTopicLevels = b.maxTopicLevels;
    this.maxSubscriptionsPerClient = b.maxSubscriptionsPerClient;
    this.maxSubscriptionBytesPerClient = b.maxSubscriptionBytesPerClient;
    this.maxHeapUsage = b.maxHeapUsage;
    this.maxRetainedMessages = b.maxRetainedMessages;
    this.maxRetainedBytes = b.maxRetainedBytes;
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
    b.maxQueuedBytes = maxQueuedBytes;
    b.outboundHighWaterMark = outboundHighWaterMark;
    b.inboundBufferLimit = inboundBufferLimit;
    b.outboundLowWaterMark = outboundLowWaterMark;
    b.queueQos0WhenOffline = queueQos0WhenOffline;
    b.dropPolicy = dropPolicy;
    b.slowSubscriber = slowSubscriber;
    b.connectTimeout = connectTimeout;
    b.outboundStallTimeout = outboundStallTimeout;
    b.maxClientIdLength = maxClientIdLength;
    b.allowEmptyClientId = allowEmptyClientId;
    b.webSocketLoopbackOriginsOnly = webSocketLoopbackOriginsOnly;
    b.maxQos = maxQos;
    b.ioThreads = ioThreads;
    b.receiveMaximum = receiveMaximum;
    b.topicAliasMaximum = topicAliasMaximum;
    b.outboundTopicAliases = outboundTopicAliases;
    b.retainAvailable = retainAvailable;
    b.wildcardSubscriptionsAvailable = wildcardSubscriptionsAvailable;
    b.subscriptionIdentifiersAvailable = subscriptionIdentifiersAvailable;
    b.sharedSubscriptionsAvailable = sharedSubscriptionsAvailable;
    b.sharedSubscriptionPolicy = sharedSubscriptionPolicy;
    b.serverKeepAlive = serverKeepAlive;
    b.maxKeepAlive = maxKeepAlive;
    b.maxSessionExpiryInterval = maxSessionExpiryInterval;
    b.responseInformation = responseInformation;
    b.authenticator = authenticator;
    b.authorizer = authorizer;
    b.enhancedAuthenticators.putAll(enhancedAuthenticators);
    b.disconnectOnDeniedPublish = disconnectOnDeniedPublish;
    b.maxConnections = maxConnections;
    b.maxConnectionRatePerAddress = maxConnectionRatePerAddress;
    b.maxTopicLength = maxTopicLength;
    b.maxTopicLevels = maxTopicLevels;
    b.maxSubscriptionsPerClient = maxSubscriptionsPerClient;
    b.maxSubscriptionBytesPerClient = maxSubscriptionBytesPerClient;
    b.maxHeapUsage = maxHeapUsage;
    b.maxRetainedMessages = maxRetainedMessages;
    b.maxRetainedBytes = maxRetainedBytes;
    return b;
  }

  /** Listeners to bind; one TCP listener on 0.0.0.0:1883 when none was given. */
  public List<Listener> listeners() {
    return listeners;
  }

  /**
   * Largest packet accepted, in bytes, fixed header included; larger ones close the connection. By
   * default the largest the protocol can express ({@link io.tern.codec.MqttDecoder#PROTOCOL_MAX_PACKET_SIZE}):
   * the sum of the packets being received is bounded by {@link #inboundBufferLimit()}.
   */
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

  /**
   * Bytes (payload and topic of each message) one session may have queued before {@link
   * #dropPolicy()} applies; 0 (the default): no limit but {@link #maxQueuedMessages()}. Checked on
   * the session's event loop once its client has been sent what it can take, so a client that
   * keeps up is never cut by it. A message larger than this is never queued.
   */
  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  /**
   * Memory-based back-pressure: when the bytes the broker holds for its clients (queued messages
   * and network buffers not yet written to slow sockets) pass this mark, the broker stops reading
   * from the publishers whose messages go to sessions that are falling behind, until those catch up
   * or the total falls below {@link #outboundLowWaterMark()}. Default: a quarter of the JVM's
   * maximum heap.
   */
  public long outboundHighWaterMark() {
    return outboundHighWaterMark;
  }

  /**
   * The bytes all connections together may hold in packets they have begun to send and not yet
   * finished (each packet of 4 KiB or more counts by the bytes of it that have arrived). A packet
   * whose next bytes would go over it is refused: the connection is closed, an MQTT 5 client told why
   * with DISCONNECT 0x97 (Quota exceeded). Without it, {@link #maxPacketSize()} bounds each
   * connection but nothing bounds their sum: clients that send all but the end of large packets
   * can hold the broker's memory. Default: a quarter of the JVM's maximum heap.
   */
  public long inboundBufferLimit() {
    return inboundBufferLimit;
  }

  /**
   * While the broker is over {@link #outboundHighWaterMark()}: how long a session may hold queued
   * messages without its client taking any before it counts as stalled. A stalled session (and an
   * offline one at once) no longer pauses the publishers that feed it; its queue stops growing and
   * new messages for it are dropped by {@link #dropPolicy()} until its client takes one again or the
   * total is below {@link #outboundLowWaterMark()}. So a client that never reads, or a persistent
   * session whose client is away, cannot hold publishers (and their other subscribers) for good.
   * Default: 5 seconds.
   */
  public Duration outboundStallTimeout() {
    return outboundStallTimeout;
  }

  /** Below this, publishers paused by {@link #outboundHighWaterMark()} are read again. Default: half the high mark. */
  public long outboundLowWaterMark() {
    return outboundLowWaterMark == 0 ? outboundHighWaterMark / 2 : outboundLowWaterMark;
  }

  /** Whether QoS 0 messages are queued for an offline persistent session (off: they are dropped). */
  public boolean queueQos0WhenOffline() {
    return queueQos0WhenOffline;
  }

  public DropPolicy dropPolicy() {
    return dropPolicy;
  }

  /**
   * Whether a connected subscriber that falls behind makes the publishers of its QoS 1 and 2
   * messages wait (the default) or drops at its bound. See {@link SlowSubscriberPolicy}.
   */
  public SlowSubscriberPolicy slowSubscriber() {
    return slowSubscriber;
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

  /** See {@link Builder#webSocketLoopbackOriginsOnly}. */
  public boolean webSocketLoopbackOriginsOnly() {
    return webSocketLoopbackOriginsOnly;
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

  /**
   * Receive Maximum announced to MQTT 5 clients: QoS 1/2 PUBLISHes a client may have sent and not
   * yet seen acknowledged; a client that exceeds it is disconnected with 0x93 (MQTT-3.3.4-8).
   */
  public int receiveMaximum() {
    return receiveMaximum;
  }

  /** Topic Alias Maximum announced to MQTT 5 clients: aliases a client may use towards the broker (0: none). */
  public int topicAliasMaximum() {
    return topicAliasMaximum;
  }

  /** Whether the broker uses topic aliases towards clients that allow them, and which topics keep one. */
  public TopicAliasPolicy outboundTopicAliases() {
    return outboundTopicAliases;
  }

  /** Whether retained messages are supported; when not, a PUBLISH with RETAIN 1 is refused (0x9A). */
  public boolean retainAvailable() {
    return retainAvailable;
  }

  /** Whether subscriptions may use {@code +} and {@code #}; when not, they are refused (0xA2). */
  public boolean wildcardSubscriptionsAvailable() {
    return wildcardSubscriptionsAvailable;
  }

  /** Whether SUBSCRIBE may carry a Subscription Identifier; when not, it is a protocol error (0xA1). */
  public boolean subscriptionIdentifiersAvailable() {
    return subscriptionIdentifiersAvailable;
  }

  /** Whether {@code $share/{group}/{filter}} subscriptions are supported; when not, they are refused (0x9E). */
  public boolean sharedSubscriptionsAvailable() {
    return sharedSubscriptionsAvailable;
  }

  /** How a message for a shared subscription picks its one receiver in the group. */
  public SharedSubscriptionPolicy sharedSubscriptionPolicy() {
    return sharedSubscriptionPolicy;
  }

  /**
   * Server Keep Alive in seconds: when above 0, the keep alive every MQTT 5 client must use instead
   * of its own (MQTT-3.2.2-21), announced in CONNACK; 0 (the default) accepts the client's value.
   */
  public int serverKeepAlive() {
    return serverKeepAlive;
  }

  /**
   * Longest keep alive a client may use, in seconds; 65535 (the default) lets every client choose.
   * Below it, a client asking for a longer one or for none (0) gets this one: an MQTT 5 client is
   * told so in CONNACK (Server Keep Alive, MQTT-3.2.2-21); an MQTT 3 client cannot be told, and is
   * closed when silent for one and a half times it. So that a dead client is found within a bound.
   */
  public int maxKeepAlive() {
    return maxKeepAlive;
  }

  /**
   * The keep alive the broker holds a client to, in seconds (0: none), given the one it asked for:
   * the {@link #serverKeepAlive} for an MQTT 5 client when set, else the client's own within {@link
   * #maxKeepAlive}.
   */
  public int keepAliveFor(int requested, boolean v5) {
    if (v5 && serverKeepAlive > 0) {
      return serverKeepAlive;
    }
    return maxKeepAlive < 65535 && (requested == 0 || requested > maxKeepAlive) ? maxKeepAlive : requested;
  }

  /**
   * Longest Session Expiry Interval granted, in seconds; a longer request is lowered and the granted
   * value announced in CONNACK. 0xFFFFFFFF (the default) means no limit: a session may never expire.
   */
  public long maxSessionExpiryInterval() {
    return maxSessionExpiryInterval;
  }

  /**
   * Response Information sent in CONNACK to MQTT 5 clients that ask for it (Request Response
   * Information 1): the basis of their response topics. {@code null} (the default): none is sent.
   */
  public String responseInformation() {
    return responseInformation;
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
   * MQTT 5 enhanced authentication methods by Authentication Method name (v5 section 4.12); none by
   * default, so a CONNECT naming a method gets CONNACK {@code 0x8C Bad authentication method}.
   */
  public Map<String, EnhancedAuthenticator> enhancedAuthenticators() {
    return enhancedAuthenticators;
  }

  /**
   * What happens to an MQTT 3 client whose PUBLISH the authorizer denies: {@code false} (the
   * default) acknowledges and drops it, as MQTT 3 has no way to say no; {@code true} closes the
   * connection. MQTT 5 clients get {@code 0x87} in the PUBACK/PUBREC; a QoS 0 PUBLISH has no ack,
   * so with {@code true} an MQTT 5 client is then disconnected with DISCONNECT {@code 0x87}.
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

  /**
   * The memory one session's subscriptions may take, estimated as the characters of each filter (a
   * byte each for ASCII) and 140 bytes for each of its levels (what a level of the subscription
   * trie costs): a subscription that would take it over is refused as {@link
   * #maxSubscriptionsPerClient()} refuses (0x80 / MQTT 5 0x97 Quota exceeded). The count alone let
   * one client hold 100,000 filters of 65,535 characters, 6.5 GB; the characters alone, 16 MiB of
   * filters of 32,700 levels, 2.3 GB. Default: 96 MiB, room for 100,000 filters of 5 levels and
   * 100 characters.
   */
  public long maxSubscriptionBytesPerClient() {
    return maxSubscriptionBytesPerClient;
  }

  /**
   * New connections are refused (CONNACK 0x89 Server busy, MQTT 3 0x03 Server unavailable) while
   * the Java heap in use after a garbage collection is above this percentage of the maximum heap;
   * connected clients go on. The per-client bounds each hold, but not their sum over many
   * clients (persistent sessions with long client ids fill any heap). 0: never. Default: 95.
   */
  public int maxHeapUsage() {
    return maxHeapUsage;
  }

  /**
   * Retained messages the broker keeps at most, over all topics; 0 (the default): no limit. A
   * client's retained PUBLISH that would add one more (a new topic; replacing or clearing one is
   * always allowed) is refused with {@code 0x97 Quota exceeded}: in the PUBACK/PUBREC of an MQTT 5
   * QoS 1/2 message, by DISCONNECT {@code 0x97} for an MQTT 5 QoS 0 one (it has no ack), by closing
   * the connection of an MQTT 3 client (it has no way to be told). It is not routed either. Messages
   * published from inside the process and wills are not held to it. Publishes on several event
   * loops at the same moment may overshoot it by a few.
   */
  public int maxRetainedMessages() {
    return maxRetainedMessages;
  }

  /**
   * Bytes (payload and topic) of the retained messages kept, over all topics. A client's retained
   * PUBLISH that would take the total over it (a new topic, or a larger message in place of one;
   * clearing or shrinking is always allowed) is refused as {@link #maxRetainedMessages()} refuses:
   * {@code 0x97 Quota exceeded}, DISCONNECT for an MQTT 5 QoS 0 one, the connection closed for MQTT
   * 3. Without it, retained messages on ever new topics would grow the heap until it ran out.
   * Messages published from inside the process and wills are not held to it. Default: a quarter of
   * the JVM's maximum heap.
   */
  public long maxRetainedBytes() {
    return maxRetainedBytes;
  }

  /** Builds a {@link BrokerConfig}; {@link #build()} checks every value. */
  public static final class Builder {
    private final List<Listener> listeners = new ArrayList<>();
    // The protocol's own maximum, as Mosquitto and HiveMQ have it: a client may send what MQTT can
    // express. What all packets being received may hold together is bounded by inboundBufferLimit.
    private int maxPacketSize = io.tern.codec.MqttDecoder.PROTOCOL_MAX_PACKET_SIZE;
    private int maxInflight = 32;
    private int maxQueuedMessages = 1000;
    private long maxQueuedBytes = 0;
    private long outboundHighWaterMark = Runtime.getRuntime().maxMemory() / 4;
    /** 0: half of {@link #outboundHighWaterMark}. */
    private long outboundLowWaterMark = 0;
    private long inboundBufferLimit = Runtime.getRuntime().maxMemory() / 4;
    private boolean queueQos0WhenOffline = false;
    private DropPolicy dropPolicy = DropPolicy.DROP_NEW;
    private SlowSubscriberPolicy slowSubscriber = SlowSubscriberPolicy.WAIT;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration outboundStallTimeout = Duration.ofSeconds(5);
    private int maxClientIdLength = 65535;
    private boolean allowEmptyClientId = true;
    private boolean webSocketLoopbackOriginsOnly;
    private int maxQos = 2;
    private int ioThreads = 0;
    private int receiveMaximum = 1024;
    private int topicAliasMaximum = 32;
    private TopicAliasPolicy outboundTopicAliases = TopicAliasPolicy.LRU;
    private boolean retainAvailable = true;
    private boolean wildcardSubscriptionsAvailable = true;
    private boolean subscriptionIdentifiersAvailable = true;
    private boolean sharedSubscriptionsAvailable = true;
    private SharedSubscriptionPolicy sharedSubscriptionPolicy = SharedSubscriptionPolicy.ROUND_ROBIN;
    private int serverKeepAlive = 0;
    private int maxKeepAlive = 65535;
    private long maxSessionExpiryInterval = 0xFFFF_FFFFL;
    private String responseInformation = null;
    private Authenticator authenticator = Authenticator.ALLOW_ALL;
    private Authorizer authorizer = Authorizer.ALLOW_ALL;
    private final Map<String, EnhancedAuthenticator> enhancedAuthenticators = new LinkedHashMap<>();
    private boolean disconnectOnDeniedPublish = false;
    private int maxConnections = 0;
    private int maxConnectionRatePerAddress = 0;
    private int maxTopicLength = 65535;
    private int maxTopicLevels = 0;
    private int maxSubscriptionsPerClient = 100_000;
    private long maxSubscriptionBytesPerClient = 96L * 1024 * 1024;
    private int maxHeapUsage = 95;
    private int maxRetainedMessages = 0;
    private long maxRetainedBytes = Runtime.getRuntime().maxMemory() / 4;

    private Builder() {}

    public Builder authenticator(Authenticator a) {
      this.authenticator = Objects.requireNonNull(a);
      return this;
    }

    public Builder authorizer(Authorizer a) {
      this.authorizer = Objects.requireNonNull(a);
      return this;
    }

    /** Registers (or replaces) the enhanced authentication method {@code method}; see {@link EnhancedAuthenticator}. */
    public Builder enhancedAuthenticator(String method, EnhancedAuthenticator a) {
      check(method != null && !method.isEmpty(), "an authentication method name must not be empty");
      enhancedAuthenticators.put(method, Objects.requireNonNull(a));
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

    /** See {@link BrokerConfig#maxRetainedBytes()}. */
    public Builder maxRetainedBytes(long bytes) {
      this.maxRetainedBytes = bytes;
      return this;
    }

    /** See {@link BrokerConfig#maxRetainedMessages()}; 0: no limit. */
    public Builder maxRetainedMessages(int messages) {
      this.maxRetainedMessages = messages;
      return this;
    }

    /** See {@link BrokerConfig#maxHeapUsage()}: a percentage, 0 for never. */
    public Builder maxHeapUsage(int percent) {
      this.maxHeapUsage = percent;
      return this;
    }

    /** See {@link BrokerConfig#maxSubscriptionBytesPerClient()}. */
    public Builder maxSubscriptionBytesPerClient(long bytes) {
      this.maxSubscriptionBytesPerClient = bytes;
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

    /** See {@link BrokerConfig#maxQueuedBytes()}; 0: no limit. */
    public Builder maxQueuedBytes(long bytes) {
      this.maxQueuedBytes = bytes;
      return this;
    }

    /** See {@link BrokerConfig#outboundHighWaterMark()}. */
    public Builder outboundHighWaterMark(long bytes) {
      this.outboundHighWaterMark = bytes;
      return this;
    }

    /** See {@link BrokerConfig#inboundBufferLimit()}. */
    public Builder inboundBufferLimit(long bytes) {
      this.inboundBufferLimit = bytes;
      return this;
    }

    /** See {@link BrokerConfig#outboundLowWaterMark()}; 0: half of the high mark. */
    public Builder outboundLowWaterMark(long bytes) {
      this.outboundLowWaterMark = bytes;
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

    /** See {@link BrokerConfig#slowSubscriber()}. */
    public Builder slowSubscriber(SlowSubscriberPolicy policy) {
      this.slowSubscriber = Objects.requireNonNull(policy);
      return this;
    }

    /** See {@link BrokerConfig#outboundStallTimeout()}. */
    public Builder outboundStallTimeout(Duration timeout) {
      this.outboundStallTimeout = Objects.requireNonNull(timeout);
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

    /**
     * WebSocket upgrades from web pages of other sites are refused (HTTP 403): a request whose
     * {@code Origin} names a host that is not this machine ({@code localhost}, 127.0.0.0/8,
     * {@code ::1}). Requests without an {@code Origin} (clients that are not browsers) go on. For a
     * broker that lets anonymous clients in because they come from this machine: a browser on it
     * would otherwise connect for any web site it visits. Default false (any origin).
     */
    public Builder webSocketLoopbackOriginsOnly(boolean only) {
      this.webSocketLoopbackOriginsOnly = only;
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

    public Builder receiveMaximum(int receiveMaximum) {
      this.receiveMaximum = receiveMaximum;
      return this;
    }

    public Builder topicAliasMaximum(int topicAliasMaximum) {
      this.topicAliasMaximum = topicAliasMaximum;
      return this;
    }

    public Builder outboundTopicAliases(TopicAliasPolicy outboundTopicAliases) {
      this.outboundTopicAliases = Objects.requireNonNull(outboundTopicAliases);
      return this;
    }

    public Builder retainAvailable(boolean retainAvailable) {
      this.retainAvailable = retainAvailable;
      return this;
    }

    public Builder wildcardSubscriptionsAvailable(boolean wildcardSubscriptionsAvailable) {
      this.wildcardSubscriptionsAvailable = wildcardSubscriptionsAvailable;
      return this;
    }

    public Builder subscriptionIdentifiersAvailable(boolean subscriptionIdentifiersAvailable) {
      this.subscriptionIdentifiersAvailable = subscriptionIdentifiersAvailable;
      return this;
    }

    public Builder sharedSubscriptionsAvailable(boolean sharedSubscriptionsAvailable) {
      this.sharedSubscriptionsAvailable = sharedSubscriptionsAvailable;
      return this;
    }

    public Builder sharedSubscriptionPolicy(SharedSubscriptionPolicy sharedSubscriptionPolicy) {
      this.sharedSubscriptionPolicy = Objects.requireNonNull(sharedSubscriptionPolicy);
      return this;
    }

    public Builder serverKeepAlive(int serverKeepAlive) {
      this.serverKeepAlive = serverKeepAlive;
      return this;
    }

    public Builder maxKeepAlive(int maxKeepAlive) {
      this.maxKeepAlive = maxKeepAlive;
      return this;
    }

    public Builder maxSessionExpiryInterval(long maxSessionExpiryInterval) {
      this.maxSessionExpiryInterval = maxSessionExpiryInterval;
      return this;
    }

    public Builder responseInformation(String responseInformation) {
      this.responseInformation = responseInformation;
      return this;
    }

    public BrokerConfig build() {
      check(responseInformation == null || io.tern.codec.Topics.isSendableName(responseInformation),
          "response information must be a topic name (no + or #, no U+0000), the basis of clients' response topics");
      check(maxPacketSize >= 16 && maxPacketSize <= 268_435_460, "max packet size must be 16..268435460 bytes");
      check(maxInflight >= 1 && maxInflight <= 65535, "max inflight must be 1..65535");
      check(maxQueuedMessages >= 1, "max queued messages must be >= 1");
      check(maxQueuedBytes >= 0, "max queued bytes must be >= 0 (0: no limit)");
      check(outboundHighWaterMark >= 1, "outbound high water mark must be >= 1 byte");
      check(inboundBufferLimit >= 1, "inbound buffer limit must be >= 1 byte");
      check(outboundLowWaterMark >= 0 && outboundLowWaterMark < outboundHighWaterMark,
          "outbound low water mark must be below the high water mark");
      check(!connectTimeout.isNegative() && !connectTimeout.isZero(), "connect timeout must be positive");
      check(!outboundStallTimeout.isNegative() && !outboundStallTimeout.isZero()
          && outboundStallTimeout.compareTo(Duration.ofDays(365)) <= 0, "outbound stall timeout must be above 0 and at most 365 days");
      check(maxClientIdLength >= 23 && maxClientIdLength <= 65535, "max client id length must be 23..65535");
      check(maxQos >= 0 && maxQos <= 2, "max QoS must be 0, 1 or 2");
      check(ioThreads >= 0 && ioThreads <= 1024, "io threads must be 0..1024 (0: one per processor)");
      check(receiveMaximum >= 1 && receiveMaximum <= 65535, "receive maximum must be 1..65535");
      check(topicAliasMaximum >= 0 && topicAliasMaximum <= 65535, "topic alias maximum must be 0..65535");
      check(serverKeepAlive >= 0 && serverKeepAlive <= 65535, "server keep alive must be 0..65535 seconds");
      check(maxKeepAlive >= 1 && maxKeepAlive <= 65535, "max keep alive must be 1..65535 seconds");
      check(serverKeepAlive <= maxKeepAlive, "server keep alive must not be above max keep alive");
      check(maxSessionExpiryInterval >= 0 && maxSessionExpiryInterval <= 0xFFFF_FFFFL,
          "max session expiry interval must be 0..4294967295 seconds");
      check(responseInformation == null || !responseInformation.isEmpty(), "response information must not be empty");
      check(maxConnections >= 0, "max connections must be >= 0 (0: no limit)");
      check(maxRetainedMessages >= 0, "max retained messages must be >= 0 (0: no limit)");
      check(maxRetainedBytes >= 1, "max retained bytes must be >= 1 byte");
      check(maxConnectionRatePerAddress >= 0, "max connection rate per address must be >= 0 (0: no limit)");
      check(maxTopicLength >= 1 && maxTopicLength <= 65535, "max topic length must be 1..65535");
      check(maxTopicLevels >= 0, "max topic levels must be >= 0 (0: no limit)");
      check(maxSubscriptionsPerClient >= 1, "max subscriptions per client must be >= 1");
      check(maxSubscriptionBytesPerClient >= 1, "max subscription bytes per client must be >= 1");
      check(maxHeapUsage >= 0 && maxHeapUsage <= 100, "max heap usage must be 0..100 (percent; 0: no limit)");
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
