package io.tern.broker;

/**
 * How a message for a shared subscription ({@code $share/{group}/{filter}}, MQTT 5.0 section 4.8.2)
 * picks the one member of the group that receives it. Either way, members whose client is connected
 * are preferred over members whose persistent session is offline.
 */
public enum SharedSubscriptionPolicy {
  /** Each member in turn. */
  ROUND_ROBIN,
  /** The member with the fewest messages queued and in flight (ties: the first found). */
  LEAST_LOADED
}
