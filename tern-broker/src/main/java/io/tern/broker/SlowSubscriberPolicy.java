package io.tern.broker;

/**
 * What happens to QoS 1 and 2 messages for a connected subscriber that takes them more slowly than
 * they arrive, once its queue is half full ({@link BrokerConfig#maxQueuedMessages()}). A subscriber
 * whose client is away, or has taken nothing for {@link BrokerConfig#outboundStallTimeout()}, always
 * drops at its bound by {@link BrokerConfig#dropPolicy()}, and QoS 0 messages are never waited for.
 */
public enum SlowSubscriberPolicy {
  /**
   * The publishers whose messages go to it are no longer read until it has taken half of what is
   * queued: nothing is lost, and they go on at its pace (their TCP window closes meanwhile; their
   * keep alive waits). The default.
   */
  WAIT,
  /**
   * Its queue drops by {@link BrokerConfig#dropPolicy()} at its bound, and its publishers go on at
   * their own pace: a slow subscriber costs only itself (Mosquitto's behaviour).
   */
  DROP
}
