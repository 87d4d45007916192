package io.tern.broker.event;

import java.net.InetSocketAddress;

/**
 * Something that happened in the broker, for {@link EventListener}s: client lifecycle, sessions,
 * subscriptions, dropped messages, errors. Plain immutable records; match on them with a switch.
 *
 * <pre>{@code
 * broker.onEvent(event -> {
 *   if (event instanceof BrokerEvent.Connected c) {
 *     log.info("{} connected from {}", c.clientId(), c.remoteAddress());
 *   }
 * });
 * }</pre>
 */
public sealed interface BrokerEvent {
  /** Milliseconds since the epoch when it happened. */
  long timestamp();

  /**
   * A client connected (CONNACK sent).
   *
   * @param username the user name the authentication accepted, or {@code null}
   * @param protocolVersion 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5
   */
  record Connected(long timestamp, String clientId, String username, InetSocketAddress remoteAddress,
      String listenerName, int protocolVersion, boolean cleanStart, boolean sessionPresent) implements BrokerEvent {}

  /**
   * A connected client's connection ended.
   *
   * @param detail a human readable description (the protocol violation, the network error)
   */
  record Disconnected(long timestamp, String clientId, String username, InetSocketAddress remoteAddress,
      DisconnectReason reason, String detail) implements BrokerEvent {}

  /** A subscription was made (or replaced) with the granted QoS. */
  record Subscribed(long timestamp, String clientId, String filter, int qos) implements BrokerEvent {}

  /** A subscription was removed by UNSUBSCRIBE. */
  record Unsubscribed(long timestamp, String clientId, String filter) implements BrokerEvent {}

  /** A new session was created for a client id. */
  record SessionCreated(long timestamp, String clientId) implements BrokerEvent {}

  /** A client resumed its persistent session. */
  record SessionResumed(long timestamp, String clientId) implements BrokerEvent {}

  /** A session ended (its subscriptions and queued messages are gone). */
  record SessionEnded(long timestamp, String clientId, SessionEndCause cause) implements BrokerEvent {}

  /**
   * A message was not delivered to a client (or a rule, whose client id is {@code $rule/<filter>}).
   *
   * @param count how many messages this event stands for (a batch trimmed at once)
   */
  record MessageDropped(long timestamp, String clientId, String topic, int qos, DropReason reason, int count)
      implements BrokerEvent {}

  /**
   * A client made an error the broker answered by refusing or closing: a protocol violation, a
   * refused CONNECT, a refused PUBLISH or subscription.
   *
   * @param clientId the client id, or {@code null} before CONNECT
   * @param reasonCode the MQTT 5 reason code the broker answered with
   */
  record ClientError(long timestamp, String clientId, InetSocketAddress remoteAddress, int reasonCode,
      String description) implements BrokerEvent {}

  /** The broker started (listeners bound). Delivered on the thread that called {@code start()}. */
  record Started(long timestamp) implements BrokerEvent {}

  /** The broker is stopping (connections still open). Delivered on the thread that called {@code stop()}. */
  record Stopping(long timestamp) implements BrokerEvent {}
}
