package io.tern.broker.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Collects the deliveries a connection routes during one read of its socket, per target session,
 * and hands each session its batch in one go when the read completes. A fan-in of many publishers
 * to one subscriber then costs the subscriber's loop one hand-off per publisher read, not one per
 * message. Owned by one connection, on its event loop: no synchronization.
 */
final class DeliveryBatcher implements DeliverySink {
  /** Lookup of a session's batch; the batches themselves are also kept in order in the arrays below. */
  private final Map<Session, Batch> batches = new IdentityHashMap<>(4); // grows for fan-out
  /**
   * The sessions and their batches in the order they were first reached: flush walks these arrays,
   * not the map (an IdentityHashMap's entry iterator makes an object per entry, per read).
   */
  private Session[] sessions = new Session[4];
  private Batch[] lists = new Batch[4];
  private int count;
  private Session lastSession;
  private Batch lastBatch;
  private boolean full;
  /**
   * Lists that came back from a flush: a session takes over only a batch of two or more, so at a
   * message per read (the low-rate case) the same list serves every read.
   */
  private final Batch[] spare = new Batch[4];
  private int spareCount;
  /**
   * Whether the deliveries come from a client's reads, which can pause (a connection's batcher),
   * rather than from the broker's API, a will or a rule, which cannot: only a publisher that waits
   * may have its messages taken past a session's bound ({@link Session#admitAll}).
   */
  private final boolean pausable;

  /** A batcher for deliveries that no pause can hold back (the broker's API, wills). */
  DeliveryBatcher() {
    this(false);
  }

  DeliveryBatcher(boolean pausable) {
    this.pausable = pausable;
  }

  @Override
  public void deliver(Session session, Delivery delivery) {
    Batch batch;
    if (session == lastSession) {
      batch = lastBatch;
    } else {
      batch = batches.get(session);
      if (batch == null) {
        batch = spareCount > 0 ? spare[--spareCount] : new Batch();
        batch.checkAt = session.batchRoom(0);
        batches.put(session, batch);
        if (count == sessions.length) {
          sessions = java.util.Arrays.copyOf(sessions, count * 2);
          lists = java.util.Arrays.copyOf(lists, count * 2);
        }
        sessions[count] = session;
        lists[count] = batch;
        count++;
      }
      lastSession = session;
      lastBatch = batch;
    }
    batch.add(delivery);
    if (batch.size() >= batch.checkAt && delivery.qos() > 0) {
      int room = session.batchRoom(batch.size());
      if (room == 0) {
        full = true; // see #full
      } else {
        batch.checkAt = batch.size() + room;
      }
    }
  }

  /**
   * Whether a session this read routes QoS 1/2 messages to has no more room for them in this read
   * ({@link Session#batchRoom}): the connection ends its turn after the packet at hand, so that the
   * batches are handed over (and counted against the session's queue) before it reads more, and it
   * waits when the session is behind ({@link Session#handOver}). Reset by {@link #flush}.
   */
  boolean full() {
    return full;
  }

  /** Whether this read routed anything (to hand over at {@link #flush}). */
  boolean hasDeliveries() {
    return lastSession != null;
  }

  /**
   * Hands every batch to its session; a list of two or more is given away (a new one is made next
   * time), a shorter one is kept for the next read.
   * With a store, the deliveries to persistent sessions are written first, together with whatever
   * else the calling thread has added to its batch during this read: one store write per read.
   * Returns a session whose loop is far behind (the caller should pause reading until it catches
   * up), or null; never {@code own}, the reading connection's own session (a client subscribed to
   * what it publishes): pausing it would stop the acknowledgements its session waits for.
   */
  Session flush(Persistence p, Session own) {
    if (lastSession == null) {
      p.commit();
      return null;
    }
    Session behind = null;
    int n = count;
    // Whether this read's publisher pauses when a session says so (ReadThrottle#afterRead): not for
    // its own session, nor while its own session waits for its acks. Only then may a session take
    // a batch past its bound (Session#waitsRatherThanDrops); else that would be a queue without one.
    boolean pauses = pausable && (own == null || own.inflightSize == 0);
    if (p.enabled()) {
      for (int i = 0; i < n; i++) {
        if (sessions[i].admitAll(lists[i], pauses && sessions[i] != own)) {
          sessions[i].persistAll(lists[i], p, p.batch());
        } else {
          lists[i].clear();
        }
      }
      p.commit(); // in the store before it can be delivered, acked and removed
      for (int i = 0; i < n; i++) {
        if (!lists[i].isEmpty() && sessions[i].handOver(lists[i]) && behind == null && sessions[i] != own) {
          behind = sessions[i];
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        if (sessions[i].enqueueAll(lists[i], pauses && sessions[i] != own) && behind == null && sessions[i] != own) {
          behind = sessions[i];
        }
      }
    }
    for (int i = 0; i < n && spareCount < spare.length; i++) {
      if (lists[i].size() <= 1) { // not taken over: see Session.handOver
        lists[i].clear();
        spare[spareCount++] = lists[i];
      }
    }
    batches.clear();
    if (n > 64) { // a wide fan-out: do not keep arrays that size for the connection's life
      sessions = new Session[4];
      lists = new Batch[4];
    } else {
      java.util.Arrays.fill(sessions, 0, n, null);
      java.util.Arrays.fill(lists, 0, n, null);
    }
    count = 0;
    lastSession = null;
    lastBatch = null;
    full = false;
    return behind;
  }

  /**
   * One session's deliveries of a read, with the size at which to ask the session again how many
   * more QoS 1/2 deliveries it has room for ({@link Session#batchRoom}): one look at its queue per
   * batch, not per message, while it is far from full.
   */
  static final class Batch extends ArrayList<Delivery> {
    int checkAt;

    Batch() {
      super(16);
    }
  }
}
