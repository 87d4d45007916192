package io.tern.server.config;

import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
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
 * @param receiveMaximum QoS 1/2 PUBLISHes an MQTT 5 client may have unacknowledged towards the broker
 * @param topicAliasMaximum topic aliases an MQTT 5 client may use towards the broker (0: none)
 * @param maxSessionExpiry longest Session Expiry Interval granted, in seconds (0xFFFFFFFF: no limit)
 * @param serverKeepAlive keep alive imposed on MQTT 5 clients, in seconds (0: the client's own)
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
    int receiveMaximum,
    int topicAliasMaximum,
    long maxSessionExpiry,
    int serverKeepAlive) {

  public LimitsConfig {
    Objects.requireNonNull(dropPolicy, "dropPolicy");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
  }

  /** The limits of MQTT 3.1.1 alone; the MQTT 5 ones take the broker's defaults. */
  public LimitsConfig(int maxPacketSize, int maxInflight, int maxQueuedMessages, boolean queueQos0WhenOffline,
      DropPolicy dropPolicy, Duration connectTimeout, int maxClientIdLength, int maxQos) {
    this(maxPacketSize, maxInflight, maxQueuedMessages, queueQos0WhenOffline, dropPolicy, connectTimeout,
        maxClientIdLength, maxQos, BrokerConfig.defaults().receiveMaximum(), BrokerConfig.defaults().topicAliasMaximum(),
        BrokerConfig.defaults().maxSessionExpiryInterval(), BrokerConfig.defaults().serverKeepAlive());
  }

  public static LimitsConfig defaults() {
    BrokerConfig d = BrokerConfig.defaults();
    return new LimitsConfig(d.maxPacketSize(), d.maxInflight(), d.maxQueuedMessages(), d.queueQos0WhenOffline(),
        d.dropPolicy(), d.connectTimeout(), d.maxClientIdLength(), d.maxQos(), d.receiveMaximum(),
        d.topicAliasMaximum(), d.maxSessionExpiryInterval(), d.serverKeepAlive());
  }

  void applyTo(BrokerConfig.Builder b) {
    b.maxPacketSize(maxPacketSize)
        .maxInflight(maxInflight)
        .maxQueuedMessages(maxQueuedMessages)
        .queueQos0WhenOffline(queueQos0WhenOffline)
        .dropPolicy(dropPolicy)
        .connectTimeout(connectTimeout)
        .maxClientIdLength(maxClientIdLength)
        .maxQos(maxQos)
        .receiveMaximum(receiveMaximum)
        .topicAliasMaximum(topicAliasMaximum)
        .maxSessionExpiryInterval(maxSessionExpiry)
        .serverKeepAlive(serverKeepAlive);
  }
}
