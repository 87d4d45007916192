package io.tern.broker.management;

import java.util.List;
import java.util.Optional;

/**
 * Reads and steers a running broker, from any thread.
 *
 * <pre>{@code
 * BrokerManagement m = broker.management();
 * for (ClientSnapshot c : m.clients()) {
 *   if (c.connected() && "bob".equals(c.username())) {
 *     m.disconnect(c.clientId());   // MQTT 5 clients get DISCONNECT 0x98 (Administrative action)
 *   }
 * }
 * }</pre>
 *
 * <p><b>Consistency and cost.</b> Each session belongs to one event loop; a snapshot of it is taken
 * on that loop (one task per loop for a list, so each session is read consistently and no lock is
 * taken on the message path) and awaited for at most {@link #TIMEOUT_SECONDS}. A list of a million
 * sessions costs each loop a few hundred milliseconds: page through it, don't poll it every second.
 * Actions (disconnect, subscribe, ...) also run on the session's loop and return once done.
 *
 * @throws ManagementTimeoutException (from every method) when an event loop did not answer in time
 */
public interface BrokerManagement {
  /** How long a call waits for the event loops. */
  int TIMEOUT_SECONDS = 5;

  /** Every session's client, connected or not, in no particular order. */
  List<ClientSnapshot> clients();

  /** The client with this id, if it has a session. */
  Optional<ClientSnapshot> client(String clientId);

  /** Every session, in no particular order. */
  List<SessionSnapshot> sessions();

  /** The session of this client id, if there is one. */
  Optional<SessionSnapshot> session(String clientId);

  /**
   * Whether a session of this client id exists now (its client connected, or away and the session
   * not expired). Unlike the other methods it does not wait for an event loop: it reads the session
   * registry, so a hook may call it on the loop it runs on.
   */
  boolean hasSession(String clientId);

  /** Every subscription of every session. */
  List<SubscriptionSnapshot> subscriptions();

  /** The subscriptions of one session; empty when there is no session. */
  Optional<List<SubscriptionSnapshot>> subscriptions(String clientId);

  /**
   * Closes the client's connection; an MQTT 5 client first gets DISCONNECT with reason code 0x98
   * (Administrative action). Its will is published and its session stays (if persistent), as for
   * any connection the server closes. Returns false when the client is not connected.
   */
  boolean disconnect(String clientId);

  /**
   * Ends the session: a connected client is disconnected (0x98) and the session discarded with its
   * subscriptions and queued messages, as if it had expired. Returns false when there is none.
   */
  boolean deleteSession(String clientId);

  /**
   * Subscribes the session on its client's behalf, as a SUBSCRIBE would (retained messages are
   * sent per {@code retainHandling}; shared subscriptions get none). The ACL is not consulted for
   * the subscription (the operator decides), but every delivery is still checked against it.
   *
   * @return false when there is no session of this client id
   * @throws IllegalArgumentException for an invalid filter or QoS, or a retain handling not 0..2
   */
  boolean subscribe(String clientId, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling);

  /** The outcome of {@link #unsubscribe}. */
  enum Unsubscribed { DONE, NO_SUCH_SESSION, NO_SUCH_SUBSCRIPTION }

  /** Removes one subscription of the session, as an UNSUBSCRIBE would. */
  Unsubscribed unsubscribe(String clientId, String filter);

  /**
   * The retained messages whose topics match the filter ({@code #} matches all but {@code $}
   * topics, MQTT-4.7.2-1; use {@code $SYS/#} for those), in no particular order.
   *
   * @throws IllegalArgumentException for an invalid filter
   */
  List<RetainedMessage> retained(String filter);

  /**
   * The topics of the retained messages {@link #retained(String)} selects, in no particular order.
   * No payload is copied: a listing can count and sort them all and then read only the messages of
   * one page ({@link #retainedMessage(String, int)}), where {@code retained} copies every payload.
   *
   * @throws IllegalArgumentException for an invalid filter
   */
  List<String> retainedTopics(String filter);

  /** The retained message of exactly this topic. */
  Optional<RetainedMessage> retainedMessage(String topic);

  /**
   * The retained message of exactly this topic with at most the first {@code maxPayloadBytes} of its
   * payload copied ({@link RetainedMessage#payloadSize()} is the whole size, {@link
   * RetainedMessage#truncated()} says whether it was cut): what a listing shows of a message that
   * may be megabytes long.
   */
  Optional<RetainedMessage> retainedMessage(String topic, int maxPayloadBytes);

  /** Removes the retained message of this topic; false when there was none. */
  boolean deleteRetained(String topic);

  /** Client ids traced at once at most ({@link #trace}): each is held until turned off. */
  int MAX_TRACED = 100;

  /**
   * Turns per-client tracing on or off: every packet the client sends and receives is logged (at
   * INFO, logger {@code io.tern.broker.trace}), from now on and across its reconnections, until
   * turned off. Works for client ids that are not connected yet (their CONNECT is traced). At most
   * {@link #MAX_TRACED} ids are traced at once.
   *
   * @return false when turning it on would trace more than {@link #MAX_TRACED} ids: nothing changes
   *     (turn another off first); true otherwise
   */
  boolean trace(String clientId, boolean on);

  /** The client ids being traced. */
  java.util.Set<String> traced();

  /** Traffic counters, for metrics. */
  TrafficStats traffic();

  /** Publish-to-deliver latency, sampled. */
  LatencySnapshot deliveryLatency();

  /** An event loop did not answer within {@link #TIMEOUT_SECONDS}. */
  final class ManagementTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ManagementTimeoutException(String message) {
      super(message);
    }
  }
}
