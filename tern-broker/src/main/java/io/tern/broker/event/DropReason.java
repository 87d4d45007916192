package io.tern.broker.event;

/** Why a message was not delivered to a client. */
public enum DropReason {
  /** The session's queue was full ({@link io.tern.broker.BrokerConfig#maxQueuedMessages()}, drop policy). */
  QUEUE_FULL,
  /** Larger than the client's Maximum Packet Size (MQTT-3.1.2-25). */
  TOO_LARGE,
  /** Its Message Expiry Interval passed before it could be sent (MQTT-3.3.2-5). */
  EXPIRED,
  /**
   * The broker was over its outbound high water mark and the session was stalled (its client away,
   * or taking nothing for {@link io.tern.broker.BrokerConfig#outboundStallTimeout()}): its queue did
   * not grow, the drop policy chose what went.
   */
  STALLED_OVER_HIGH_WATER_MARK,
  /** A rule's queue was full: its handler is slower than the messages arrive. */
  RULE_QUEUE_FULL
}
