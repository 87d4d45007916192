package io.tern.server.config;

import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
import io.tern.broker.SlowSubscriberPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * The bounds on what one client can make the broker hold, under {@code limits:}. Defaults are the
 * broker's own ({@link BrokerConfig#defaults()}); the broker's rules check the values.
 *
 * @param maxPacketSize largest packet accepted, in bytes, fixed header included
 * @param maxInflight unacknowledged QoS 1/2 messages sent to one client before waiting for acks
 * @param maxQueuedMessages messages one session may have waiting before {@code dropPolicy} applies
 * @param queueQos0WhenOffline whether QoS 0 messages are queued for an offline persistent session
 * @param dropPolicy which message goes when a session's queue is full
 * @param connectTimeout how long a new connection may take to send CONNECT
 * @param maxClientIdLength longest client identifier accepted
 * @param maxQos highest QoS granted to a subscription
 * @param maxConnections open connections over all listeners; 0: no limit
 * @param maxConnectionRatePerAddress new connections per second from one IP address; 0: no limit
 * @param maxTopicLength longest topic name or filter, in characters
 * @param maxTopicLevels most levels in a topic name or filter; 0: no limit
 * @param maxSubscriptionsPerClient subscriptions one session may hold
 * @param disconnectOnDeniedPublish whether an MQTT 3 client whose PUBLISH is denied is disconnected
 * @param receiveMaximum QoS 1/2 PUBLISHes an MQTT 5 client may have unacknowledged towards the broker
 * @param topicAliasMaximum topic aliases an MQTT 5 client may use towards the broker (0: none)
 * @param maxSessionExpiry longest Session Expiry Interval granted, in seconds (0xFFFFFFFF: no limit)
 * @param serverKeepAlive keep alive imposed on MQTT 5 clients, in seconds (0: the client's own)
 * @param maxKeepAlive longest keep alive a client may use, in seconds (65535: any)
 * @param maxQueuedBytes bytes (payload and topic) one session may have waiting before {@code dropPolicy}
 *     applies; 0: no limit
 * @param outboundHighWaterMark buffered outbound bytes above which publishers feeding sessions that
 *     fall behind are paused; 0: the broker's default, a quarter of the JVM's maximum heap
 * @param outboundLowWaterMark below which paused publishers are read again; 0: half the high mark
 * @param inboundBufferLimit bytes all connections may hold in packets not yet received whole; 0: the
 *     broker's default, a quarter of the JVM's maximum heap
 * @param outboundStallTimeout over the high water mark, how long a session's client may take nothing
 *     before the session drops new messages instead of pausing its publishers
 * @param maxSubscriptionBytesPerClient the memory one session's subscriptions may take: each filter's
 *     characters and 140 bytes per level
 * @param maxHeapUsage the percentage of the maximum heap in use after a garbage collection above
 *     which new connections are refused (Server busy); 0: never
 * @param slowSubscriber whether the publishers of QoS 1/2 messages to a connected subscriber that falls
 *     behind wait for it, or its queue drops at its bound
 */
public record LimitsConfig(
    int maxPacketSize,
    int maxInflight,
    int maxQueuedMessages,
    boolean queueQos0WhenOffline,
    DropPolicy dropPolicy,
    Duration connectTimeout,
    int maxClientIdLength,
    int maxQos,
    int maxConnections,
    int maxConnectionRatePerAddress,
    int maxTopicLength,
    int maxTopicLevels,
    int maxSubscriptionsPerClient,
    boolean disconnectOnDeniedPublish,
    int receiveMaximum,
    int topicAliasMaximum,
    long maxSessionExpiry,
    int serverKeepAlive,
    int maxKeepAlive,
    long maxQueuedBytes,
    long outboundHighWaterMark,
    long outboundLowWaterMark,
    long inboundBufferLimit,
    Duration outboundStallTimeout,
    long maxSubscriptionBytesPerClient,
    int maxHeapUsage,
    SlowSubscriberPolicy slowSubscriber) {

  public LimitsConfig {
    Objects.requireNonNull(dropPolicy, "dropPolicy");
    Objects.requireNonNull(slowSubscriber, "slowSubscriber");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(outboundStallTimeout, "outboundStallTimeout");
  }

  /** Without the MQTT 5 limits: they take the broker's defaults. */
  public LimitsConfig(int maxPacketSize, int maxInflight, int maxQueuedMessages, boolean queueQos0WhenOffline,
      DropPolicy dropPolicy, Duration connectTimeout, int maxClientIdLength, int maxQos, int maxConnections,
      int maxConnectionRatePerAddress, int maxTopicLength, int maxTopicLevels, int maxSubscriptionsPerClient,
      boolean disconnectOnDeniedPublish) {
    this(maxPacketSize, maxInflight, maxQueuedMessages, queueQos0WhenOffline, dropPolicy, connectTimeout,
        maxClientIdLength, maxQos, maxConnections, maxConnectionRatePerAddress, maxTopicLength, maxTopicLevels,
        maxSubscriptionsPerClient, disconnectOnDeniedPublish, BrokerConfig.defaults().receiveMaximum(),
        BrokerConfig.defaults().topicAliasMaximum(), BrokerConfig.defaults().maxSessionExpiryInterval(),
        BrokerConfig.defaults().serverKeepAlive(), BrokerConfig.defaults().maxKeepAlive(),
        BrokerConfig.defaults().maxQueuedBytes(), 0, 0, 0,
        BrokerConfig.defaults().outboundStallTimeout(), BrokerConfig.defaults().maxSubscriptionBytesPerClient(),
        BrokerConfig.defaults().maxHeapUsage(), BrokerConfig.defaults().slowSubscriber());
  }

  public static LimitsConfig defaults() {
    BrokerConfig d = BrokerConfig.defaults();
    return new LimitsConfig(d.maxPacketSize(), d.maxInflight(), d.maxQueuedMessages(), d.queueQos0WhenOffline(),
        d.dropPolicy(), d.connectTimeout(), d.maxClientIdLength(), d.maxQos(), d.maxConnections(),
        d.maxConnectionRatePerAddress(), d.maxTopicLength(), d.maxTopicLevels(), d.maxSubscriptionsPerClient(),
        d.disconnectOnDeniedPublish(), d.receiveMaximum(), d.topicAliasMaximum(), d.maxSessionExpiryInterval(),
        d.serverKeepAlive(), d.maxKeepAlive(), d.maxQueuedBytes(), 0, 0, 0, d.outboundStallTimeout(), d.maxSubscriptionBytesPerClient(),
        d.maxHeapUsage(), d.slowSubscriber());
  }

  void applyTo(BrokerConfig.Builder b) {
    b.maxPacketSize(maxPacketSize)
        .maxInflight(maxInflight)
        .maxQueuedMessages(maxQueuedMessages)
        .queueQos0WhenOffline(queueQos0WhenOffline)
        .dropPolicy(dropPolicy)
        .slowSubscriber(slowSubscriber)
        .connectTimeout(connectTimeout)
        .maxClientIdLength(maxClientIdLength)
        .maxQos(maxQos)
        .maxConnections(maxConnections)
        .maxConnectionRatePerAddress(maxConnectionRatePerAddress)
        .maxTopicLength(maxTopicLength)
        .maxTopicLevels(maxTopicLevels)
        .maxSubscriptionsPerClient(maxSubscriptionsPerClient)
        .disconnectOnDeniedPublish(disconnectOnDeniedPublish)
        .receiveMaximum(receiveMaximum)
        .topicAliasMaximum(topicAliasMaximum)
        .maxSessionExpiryInterval(maxSessionExpiry)
        .serverKeepAlive(serverKeepAlive)
        .maxKeepAlive(maxKeepAlive)
        .maxQueuedBytes(maxQueuedBytes)
        .outboundLowWaterMark(outboundLowWaterMark)
        .outboundStallTimeout(outboundStallTimeout)
        .maxSubscriptionBytesPerClient(maxSubscriptionBytesPerClient)
        .maxHeapUsage(maxHeapUsage);
    if (outboundHighWaterMark > 0) {
      b.outboundHighWaterMark(outboundHighWaterMark);
    }
    if (inboundBufferLimit > 0) {
      b.inboundBufferLimit(inboundBufferLimit);
    }
  }
}
