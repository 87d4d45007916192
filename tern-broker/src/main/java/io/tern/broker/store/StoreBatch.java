package io.tern.broker.store;

/**
 * Changes collected by one thread and written together by {@link MessageStore#write}: all of them
 * or none. Not thread-safe: a batch belongs to the thread that fills it (the broker keeps one per
 * event loop and writes it once per socket read).
 */
public interface StoreBatch {
  /** Creates or updates a session record. See {@link StoredSession} for the values. */
  void putSession(String clientId, long expiryInterval, long disconnectedAtMillis);

  /**
   * A session record that also says up to which sequence number its queued messages may have been
   * sent ({@link StoredSession#sentThroughSeq}), written when its client goes away. A store that
   * does not keep it (this default) makes every queued QoS 1 message count as maybe sent after a
   * restart: it goes with DUP set.
   */
  default void putSession(String clientId, long expiryInterval, long disconnectedAtMillis, long sentThroughSeq) {
    putSession(clientId, expiryInterval, disconnectedAtMillis);
  }

  /**
   * Removes a session and everything that belongs to it: subscriptions, queue references, inbound
   * QoS 2 ids, its will. Messages it referenced are removed by {@link #removeMessage}, not here.
   */
  void removeSession(String clientId);

  void putSubscription(String clientId, StoredSubscription subscription);

  void removeSubscription(String clientId, String filter);

  /** Stores a message once; sessions and retained topics refer to it by {@code messageId}. */
  void putMessage(long messageId, StoredMessage message);

  void removeMessage(long messageId);

  /**
   * Adds or replaces (when sent, when released) one reference of a session's queue. The references
   * of a run ({@link StoredQueued#run()} not 0) are all added in one batch, in sequence order
   * (other operations, such as the message a reference points to, may come between them), never
   * replaced, and removed together with {@link #removeRun}.
   */
  void putQueued(String clientId, StoredQueued queued);

  /** Removes a reference written on its own (not in a run). */
  void removeQueued(String clientId, long seq);

  /**
   * Removes a run of references: the {@code count} references from {@code run} on (see {@link
   * StoredQueued#run()}). The default removes them one by one.
   */
  default void removeRun(String clientId, long run, int count) {
    for (int i = 0; i < count; i++) {
      removeQueued(clientId, run + i);
    }
  }

  void putInboundQos2(String clientId, int packetId);

  void removeInboundQos2(String clientId, int packetId);

  void putRetained(String topic, long messageId);

  void removeRetained(String topic);

  void putWill(String clientId, StoredWill will);

  void removeWill(String clientId);

  /**
   * Records that the broker was running at {@code millis} (since the epoch). The broker writes this
   * every second; {@link MessageStore#recover} hands the latest back as {@link
   * StoredState#aliveAtMillis}, so that after a crash the sessions and wills of the clients that were
   * connected count from the crash (within a second), not from the restart. A store that does not
   * keep it (this default) makes them count from the restart.
   */
  default void putAliveAt(long millis) {}

  /** Whether nothing was added since the batch was created or last written. */
  boolean isEmpty();

  /**
   * Frees what the batch holds outside the heap (native or direct memory); it is not used after.
   * The broker calls it when the event loop that owns the batch ends (at the broker's stop), and
   * for any other thread (an application's calling {@code Broker.publish}) at the end of that call,
   * so that a process that starts and stops brokers (tests, applications embedding one), or calls
   * them from short-lived threads, does not keep a batch's memory per thread. This default has
   * nothing to free.
   */
  default void close() {}
}
