package io.tern.broker.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.tern.broker.store.Durability;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoredMessage;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredSession;
import io.tern.broker.store.StoredState;
import io.tern.broker.store.StoredWill;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's side of the {@link MessageStore}: one batch per thread (event loop), written at the
 * commit points (the end of a socket read before its acks leave, the end of a pump before its
 * PUBLISHes leave), message ids and reference counts, and the recovery of the stored state at
 * start-up.
 *
 * <p>Threading: every thread fills its own batch ({@link #batch()}) and writes it ({@link
 * #commit()}) without any lock of ours; concurrent writes are the store's business.
 */
final class Persistence {
  private static final Logger log = LoggerFactory.getLogger(Persistence.class);

  private final MessageStore store;
  private final boolean enabled;
  private final boolean holdAcks;
  private final AtomicLong messageIds = new AtomicLong();
  private final FastThreadLocal<StoreBatch> batches;

  Persistence(MessageStore store) {
    this.store = store;
    this.enabled = store != null;
    this.holdAcks = enabled && store.durability() == Durability.FSYNC;
    this.batches = enabled ? new FastThreadLocal<>() {
      @Override
      protected StoreBatch initialValue() {
        return store.newBatch();
      }

      /** When the owning thread ends (Netty's threads remove their values then) or at remove(). */
      @Override
      protected void onRemoval(StoreBatch batch) {
        batch.close();
      }
    } : null;
  }

  /** Whether a store is configured: without one, nothing else here may be called. */
  boolean enabled() {
    return enabled;
  }

  /** Whether acks of QoS 1/2 flows wait for {@link #afterSync} (the fsync mode). */
  boolean holdAcks() {
    return holdAcks;
  }

  /** The calling thread's batch. */
  StoreBatch batch() {
    return batches.get();
  }

  /** Writes the calling thread's batch, if anything was added to it. */
  void commit() {
    if (!enabled || !batches.isSet()) {
      return;
    }
    StoreBatch b = batches.get();
    if (!b.isEmpty()) {
      store.write(b);
    }
  }

  /**
   * Ends a call from the application's thread ({@link BrokerCore#publish}, management): its batch,
   * written by the call's commit, is closed rather than kept. An event loop keeps its batch for good
   * (Netty closes it when the loop ends); any other thread kept one too, and nothing closed it when
   * the thread ended: 5,000 short-lived threads that each published once held 20 MB of direct
   * memory and as many native write batches. Only where no caller up the stack holds this thread's
   * batch (it is closed); what the call left unwritten is written first.
   */
  void release() {
    if (!enabled || Thread.currentThread() instanceof FastThreadLocalThread || !batches.isSet()) {
      return;
    }
    try {
      commit();
    } finally {
      batches.remove(); // onRemoval closes it
    }
  }

  /**
   * {@link #commit()} where nothing waits on the outcome to acknowledge anything (a session's
   * bookkeeping: what it queued, sent, or let go): a failure is reported ({@link #reportFailure})
   * and the work goes on in memory; what was not written is lost only if the broker stops before
   * the store works again.
   */
  void commitOrReport() {
    try {
      commit();
    } catch (io.tern.broker.store.StoreException e) {
      reportFailure(e);
    }
  }

  /**
   * Writes {@link StoreBatch#putAliveAt} now and then every {@link #ALIVE_STAMP_MILLIS} on {@code
   * executor}, so that a restart after a crash knows, within that period, when the broker died.
   */
  void stampAlive(io.netty.util.concurrent.EventExecutorGroup executor) {
    if (enabled) {
      executor.scheduleAtFixedRate(this::writeAliveStamp, 0, ALIVE_STAMP_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  /** When {@link #reportFailure} last logged, and the failures since (any thread). */
  private final AtomicLong failureLoggedAt = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong failuresSinceLog = new AtomicLong();
  private static final long FAILURE_LOG_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  /**
   * A write the broker needed failed (a full disk, a failing device): one ERROR line at once, then
   * at most one every 10 s with the count meanwhile, not a stack trace per client. Any thread.
   */
  void reportFailure(RuntimeException e) {
    long n = failuresSinceLog.incrementAndGet();
    long now = System.nanoTime();
    long last = failureLoggedAt.get();
    if ((last == Long.MIN_VALUE || now - last >= FAILURE_LOG_NANOS) && failureLoggedAt.compareAndSet(last, now)) {
      failuresSinceLog.addAndGet(-n);
      log.error("The store cannot be written ({} failed writes): {}. Until it can, clients whose session or "
          + "QoS 1/2 messages must be stored are refused (CONNACK Server unavailable) or disconnected without "
          + "an acknowledgement; nothing is acknowledged that was not stored. A write to the store's log that failed "
          + "for lack of space is not retried by RocksDB: free space, then restart the broker", n, e.getMessage());
    }
  }

  /** About what the records of the messages read back take: payload, topic, and some for the rest. */
  private static long liveBytes(StoredState state) {
    long live = 0;
    for (StoredMessage m : state.messages().values()) {
      live += 64 + bytes(m);
    }
    return live;
  }

  /** About what the queue records of a session read back take (see {@link #liveBytes}). */
  private static long liveBytes(StoredSession s) {
    long live = 0;
    for (StoredQueued q : s.queue()) {
      live += 64 + (q.message() == null ? 0 : bytes(q.message())); // a message stored inside its queue record
    }
    return live;
  }

  private static long bytes(StoredMessage m) {
    return m.publish().payload().length + 2L * m.publish().topic().length();
  }

  /** What the store's files may hold beyond twice its messages before a start compacts them. */
  static final long COMPACT_SLACK_BYTES = 8L * 1024 * 1024;

  /** How often {@link #stampAlive} writes: the error, after a crash, of the time a session's expiry counts from. */
  static final long ALIVE_STAMP_MILLIS = 1000;

  private void writeAliveStamp() {
    try {
      batch().putAliveAt(System.currentTimeMillis());
      commit();
    } catch (RuntimeException e) { // a failing store is reported by the writes that carry messages
      log.debug("Store: cannot write the alive stamp: {}", e.toString());
    }
  }

  void afterSync(Runnable done) {
    store.afterSync(done);
  }

  long sizeBytes() {
    return enabled ? store.sizeBytes() : 0;
  }

  /** One more reference to {@code m}: the first one stores the message itself. */
  void ref(Message m, StoreBatch b) {
    if (m.addStoreRefs(1) == 0) {
      if (m.storeId == 0) {
        m.storeId = messageIds.incrementAndGet();
      }
      b.putMessage(m.storeId, stored(m));
    }
  }

  /**
   * The first stored reference of a delivery. A message routed to this session only, and not
   * retained (no reference yet), is stored inside the reference: one record instead of two, and one
   * removal instead of two when it is acknowledged (fan-in to one subscriber is the common case).
   */
  void refDelivery(Delivery d, StoreBatch b) {
    Message m = d.message();
    if (m.routedTo == 1 && m.storeId == 0 && m.storeRefs() == 0) {
      m.storedInline = true;
      m.setStoreRefs(1);
    } else {
      ref(m, b);
    }
  }

  /** One reference fewer: the last one removes the message. */
  void deref(Message m, StoreBatch b) {
    if (m.addStoreRefs(-1) == 1 && !m.storedInline) {
      b.removeMessage(m.storeId);
    }
  }

  static StoredQueued queued(Delivery d, int packetId, boolean released) {
    Message m = d.message();
    StoredMessage inline = m.storedInline ? stored(m) : null;
    return new StoredQueued(d.seq(), m.storeId, d.qos(), d.retain(), d.subscriptionIds(), packetId, released,
        inline, d.run() == null || d.run().apart ? 0 : d.run().first, d.onSubscribe() && packetId == 0);
  }

  /** The message as stored: with the wall-clock time its Message Expiry Interval runs out, if it has one. */
  static StoredMessage stored(Message m) {
    Long interval = m.publish().properties().messageExpiryInterval();
    if (interval == null) {
      return new StoredMessage(m.asMessage(), m.origin());
    }
    long ageMillis = (System.nanoTime() - m.receivedAtNanos()) / 1_000_000L;
    return new StoredMessage(m.asMessage(), m.origin(), System.currentTimeMillis() + interval * 1000 - ageMillis);
  }

  /**
   * A message read back from the store: its Message Expiry Interval goes on from the stored
   * deadline, so the time the broker was down counts (v5 section 3.3.2.3.3); one whose deadline
   * passed comes back {@link Message#expired expired}, for the deliveries that had begun before
   * (a PUBLISH in flight is resent however old it is: MQTT-3.3.2-5 deletes only what was not sent
   * yet); each other reader drops it.
   */
  static Message restored(StoredMessage sm, long nowNanos, long nowMillis) {
    Long interval = sm.publish().properties().messageExpiryInterval();
    long receivedAt = nowNanos;
    if (interval != null && sm.expiresAtMillis() != 0) {
      long left = sm.expiresAtMillis() - nowMillis;
      receivedAt = nowNanos - Math.max(0, interval * 1000 - left) * 1_000_000L;
    }
    return new Message(sm.publish(), sm.origin(), receivedAt);
  }

  /** A retained publish: the topic now refers to {@code m}, or to nothing when its payload is empty. */
  void retained(Message m, Message previous) {
    StoreBatch b = batch();
    if (m.publish().payload().length == 0) {
      if (previous != null) {
        b.removeRetained(m.topic());
        deref(previous, b);
      }
      return;
    }
    ref(m, b);
    b.putRetained(m.topic(), m.storeId);
    if (previous != null) {
      deref(previous, b);
    }
  }

  /** A retained message removed because its Message Expiry Interval passed. */
  void retainedExpired(Message m) {
    StoreBatch b = batch();
    b.removeRetained(m.topic());
    deref(m, b);
  }

  /**
   * Reads the stored state back into the broker, before any connection: sessions (each on one of
   * {@code loops}) with their subscriptions, queues, in-flight messages and inbound QoS 2 ids, and
   * retained messages. Removes expired sessions and messages nothing refers to any more.
   */
  void recover(BrokerCore core, EventLoopGroup loops) {
    if (!enabled) {
      return;
    }
    // The starting thread is the application's: a batch of its own for the restore, closed after,
    // so that what the restore calls (a will published, its hooks) may end with release().
    StoreBatch b = store.newBatch();
    try {
      restore(core, loops, b);
    } finally {
      b.close();
      release();
    }
  }

  private void restore(BrokerCore core, EventLoopGroup loops, StoreBatch b) {
    StoredState state = store.recover();
    Map<Long, Message> messages = new HashMap<>();
    long maxId = 0;
    long now = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    int expiredMessages = 0;
    // Expired ones too (while the broker was down): a session whose PUBLISH or PUBREL of it was in
    // flight resends it (MQTT-4.4.0-1); the other references find it gone, and the last one's
    // absence removes it below.
    for (Map.Entry<Long, StoredMessage> e : state.messages().entrySet()) {
      maxId = Math.max(maxId, e.getKey());
      Message m = restored(e.getValue(), now, nowMillis);
      m.storeId = e.getKey();
      messages.put(e.getKey(), m);
    }
    messageIds.set(maxId);
    int restored = 0;
    int expired = 0;
    long queued = 0;
    // Clients connected when the broker stopped without closing their connections (a crash) went
    // away when it died: after its last alive stamp, and before the next one was due. Their
    // sessions' expiry and delayed wills count from that next stamp, so that none ends early (by
    // up to the stamp's period late), not from this restart. Unknown (a store that does not keep
    // the stamp, or written by an older Tern): from now.
    long wentAwayAt = state.aliveAtMillis() > 0 && state.aliveAtMillis() <= nowMillis
        ? Math.min(state.aliveAtMillis() + ALIVE_STAMP_MILLIS, nowMillis) : nowMillis;
    long live = liveBytes(state);
    // One session at a time: a store may read each when the iteration reaches it (the RocksDB
    // store does), so that what it read and what the broker made of it are not all held at once.
    for (StoredSession stored : state.sessions()) {
      StoredSession s = stored;
      live += liveBytes(s);
      if (s.disconnectedAtMillis() == 0) {
        s = new StoredSession(s.clientId(), s.expiryInterval(), wentAwayAt, s.subscriptions(), s.queue(),
            s.inboundQos2(), s.sentThroughSeq());
        b.putSession(s.clientId(), s.expiryInterval(), wentAwayAt); // a second crash keeps the first's time
      }
      if (s.expiredAt(nowMillis)) {
        b.removeSession(s.clientId());
        expired++;
        continue;
      }
      Session session = new Session(s.clientId(), core, loops.next(), true, null);
      queued += new SessionRestore(session).restore(s, messages, b, now, nowMillis);
      core.registry().restore(session);
      restored++;
      // The session's own expiry timer, from the time its client went away (as after a detach).
      session.loop.execute(session.lifecycle::scheduleExpiry);
    }
    int retained = 0;
    for (Map.Entry<String, Long> e : state.retained().entrySet()) {
      Message m = messages.get(e.getValue());
      if (m == null || m.expired(now)) {
        b.removeRetained(e.getKey());
        continue;
      }
      m.addStoreRefs(1);
      core.retained().put(m);
      retained++;
    }
    int wills = 0;
    for (Map.Entry<String, StoredWill> e : state.wills().entrySet()) {
      StoredWill w = e.getValue();
      Session session = core.registry().get(e.getKey());
      if (session != null) {
        // An armed will: its client was connected when the broker stopped without closing that
        // connection (a crash); it went away now, as far as anyone can tell.
        long publishAt = w.armed() ? wentAwayAt + w.armedDelaySeconds() * 1000 : w.publishAtMillis();
        if (w.armed()) {
          // Written down with its time, as the sessions above: a second crash before it is due
          // would otherwise arm it again and count its delay from that crash (a probe: a will of
          // 20 s came 26-29 s after its client went, with two crashes 6-8 s apart).
          b.putWill(e.getKey(), new StoredWill(w.will(), publishAt));
        }
        long delay = Math.max(0, publishAt - nowMillis);
        session.loop.execute(() -> session.wills().scheduleWill(w.will(), delay));
      } else {
        // Its session ended while the broker was down: the will goes now (v5 section 3.1.3.2.2).
        b.removeWill(e.getKey());
        core.publishWill(w.will(), e.getKey());
      }
      wills++;
    }
    int dead = 0;
    for (Message m : messages.values()) {
      if (m.storeRefs() == 0) {
        b.removeMessage(m.storeId);
        if (m.expired(now)) {
          expiredMessages++;
        } else {
          dead++;
        }
      }
    }
    if (!b.isEmpty()) {
      store.write(b);
    }
    // Also when the files hold much more than the messages still in it: a backlog delivered before
    // the stop stays on disk as data and deletion markers in files RocksDB compacts only once enough
    // more pile up (200,000 drained messages kept 29 MB for good, through restarts).
    if (expired > 0 || dead > 0 || expiredMessages > 0 || store.sizeBytes() > 2 * live + COMPACT_SLACK_BYTES) {
      store.compact();
    }
    if (state.aliveAtMillis() > 0) {
      log.debug("Store: the broker was last known to run at {}", java.time.Instant.ofEpochMilli(state.aliveAtMillis()));
    }
    log.info("Store: {} persistent sessions restored ({} expired and removed), {} messages to deliver, "
        + "{} retained, {} delayed wills, {} unreferenced and {} expired messages removed; {} bytes", restored,
        expired, queued, retained, wills, dead, expiredMessages, store.sizeBytes());
  }
}
