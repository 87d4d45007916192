package io.tern.broker.internal;

/**
 * The QoS 1 deliveries that one publisher read queued for one persistent session, stored as one
 * run ({@link io.tern.broker.store.StoredQueued#run()}): one store record per read instead of one
 * per message. The run is removed from the store when its last delivery leaves the session (acked,
 * dropped, expired); until then every delivery of it stays stored. So that a restart does not send
 * the acknowledged ones again, a run that is partly gone when the client goes away is stored apart,
 * its remaining deliveries one record each ({@link Session#storeRunsApart}); after a crash with the
 * client connected they come again, flagged DUP (QoS 1 allows it).
 *
 * <p>Created by the publishing thread before the hand-off; after it, {@link #remaining} belongs to
 * the session's loop (the mailbox hand-off orders the two).
 */
final class QueueRun {
  /** The sequence number of its first delivery, which is the run's key. */
  final long first;
  /** How many sequence numbers it spans. */
  final int count;
  /** Its deliveries still in the session. */
  int remaining;
  /** Some of its deliveries have left the session, not all: it is in {@link Session#partlyGone}. */
  boolean partly;
  /** Its remaining deliveries are stored one record each, and the run's record is gone. */
  boolean apart;

  QueueRun(long first, int count) {
    this.first = first;
    this.count = count;
    this.remaining = count;
  }
}
