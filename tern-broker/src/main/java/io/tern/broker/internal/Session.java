package io.tern.broker.internal;

import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import io.tern.broker.DropPolicy;
import io.tern.broker.store.StoreBatch;
import io.tern.codec.PacketType;
import io.tern.codec.ReasonCodes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one client id that can outlive a connection, and the flow of its deliveries: the
 * hand-off from other threads (the mailbox and its counters), the outbound queue with its bounds
 * and drop policy, the back-pressure it puts on its publishers, the sending, and the in-flight
 * window with its packet ids and the acks. Its other jobs are parts, each made once per session
 * (some on first use) and holding a reference to it:
 * <ul>
 *   <li>{@link SessionLifecycle}: attach, detach, the Session Expiry Interval and its timer, the end;
 *   <li>{@link SessionSubscriptions}: its subscriptions (made by the first);
 *   <li>{@link SessionWills}: its armed and delayed wills (made by the first);
 *   <li>{@link InboundQos2}: the client's QoS 2 packet ids awaiting PUBREL (made by the first);
 *   <li>{@link PausedPublishers}: the publishers paused for it, and the stall check (made by the
 *       first pause);
 *   <li>{@link InflightResend}: the window sent again to a new connection (an instance while some
 *       of it is still owed);
 *   <li>{@link SessionRestore}: its restore from the store when the broker starts (made for that
 *       only).
 * </ul>
 * The fields and methods that are not private are what the parts share.
 *
 * <p><b>Threading.</b> A session belongs to one event loop at a time ({@link #loop}), the loop of
 * its current connection or of its last one. All fields below "loop-owned" are read and written on
 * that loop only, and so are its parts (but what their Javadoc says any thread may call; a restore
 * runs before the loop does). Other threads hand messages over through {@link #enqueue}, which
 * puts them in a lock-free multi-producer mailbox and schedules one drain task per batch. When a
 * client reconnects on another loop, {@link SessionRegistry} moves the session: the old loop
 * detaches it and writes the new loop into {@link #loop}; tasks that land on the old loop
 * afterwards follow it.
 */
final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  /** Session Expiry Interval meaning "never expires" (v5 section 3.1.2.11.2; v3 Clean Session 0). */
  static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

  final String clientId;
  final BrokerCore core;
  volatile EventLoop loop;
  /** Set once the session is discarded; a resume that finds it set starts a new session. */
  volatile boolean terminated;
  /**
   * The connection the registry last handed this session to. A connection whose CONNECT is still
   * being processed checks it is still the claimant before attaching: when several connections
   * race for one client id, only the last one handed the session wins.
   */
  volatile Object claimant;
  /** Who the client is, for the authorizer's RECEIVE checks: set when a connection attaches. */
  volatile io.tern.broker.auth.ClientInfo clientInfo;
  volatile boolean online;
  /**
   * Whether new deliveries to this session are stored (a persistent session, with a store). Read
   * by publishers on other loops when they route to it.
   */
  volatile boolean storing;
  /** The session's last store sequence number, taken by the publishers that route to it ({@link #STORE_SEQ}). */
  volatile long storeSeq;

  // ---- cross-thread hand-off
  /**
   * Holds a {@link Delivery} or a {@code List<Delivery>} batch per entry. Small chunks: Netty's
   * default (1024 slots, ~4 KiB) per session would dominate the memory of an idle connection, and
   * entries are whole batches, so the queue stays short under load too.
   */
  private volatile Queue<Object> mailbox; // created by the first hand-off: most idle sessions never get one
  private static final int MAILBOX_CHUNK = 16;
  /**
   * Unbounded in practice (the bound is {@link #pending}'s); 2^30 is the largest capacity JCTools
   * accepts: Integer.MAX_VALUE makes the constructor throw (no power of two above it).
   */
  static final int MAILBOX_MAX = 1 << 30;
  /** Messages in the mailbox plus the queue: the bound of {@link io.tern.broker.BrokerConfig#maxQueuedMessages()}. */
  private volatile int pending;
  /**
   * Messages taken past {@code max_queued_messages} because their publishers wait for this session
   * ({@link #waitsRatherThanDrops}): the drain does not trim them away. Back to 0 once the queue is
   * within the bound again.
   */
  private volatile int waitedPast;
  private volatile boolean drainScheduled;
  private volatile long dropped;
  /**
   * Deliveries in the mailbox that this session's loop has not drained yet. It grows only when the
   * loop itself is behind (CPU overload), never because the client is slow (that fills {@link
   * #queue}): above {@link #BACKLOG_HIGH} the publishers feeding it stop reading until it drains
   * below {@link #BACKLOG_LOW}.
   */
  volatile int backlog;
  /**
   * Retained messages for a new subscription in the mailbox plus the queue (not in {@link
   * #pending}): at most the retained store's size plus {@code max_queued_messages}, so that a
   * client repeating a wide SUBSCRIBE cannot make the broker hold copies of the store without end.
   */
  private volatile int retainedPending;
  /** The publishers paused for this session ({@link PausedPublishers}): created by the first pause, on any thread. */
  private volatile PausedPublishers pausedPublishers; // created by the first pause
  /**
   * When this session's client last took a message from the queue, or the loop last found the
   * queue empty ({@link System#nanoTime}): the client has taken everything it was given up to then.
   * Written by the loop, read by publishers, through {@link #PROGRESS} (opaque: a time to compare,
   * not a hand-off of data). See {@link #stalled}.
   */
  @SuppressWarnings("unused") // through PROGRESS
  private long progressNanos;
  /**
   * The session's wills ({@link SessionWills}): made by the first, on the loop ({@link #wills()});
   * most sessions never have one. Volatile: {@link #disarmWill} reads it on any thread.
   */
  volatile SessionWills wills;
  static final int BACKLOG_HIGH = 16 * 1024;
  static final int BACKLOG_LOW = BACKLOG_HIGH / 4;
  // The counters are plain volatile fields updated through VarHandles rather than Atomic* objects:
  // an idle connection's session costs ~150 bytes less (see docs/performance.md, memory per connection).
  private static final java.lang.invoke.VarHandle PENDING;
  private static final java.lang.invoke.VarHandle BACKLOG;
  private static final java.lang.invoke.VarHandle RETAINED_PENDING;
  private static final java.lang.invoke.VarHandle DROPPED;
  private static final java.lang.invoke.VarHandle STORE_SEQ;
  private static final java.lang.invoke.VarHandle DRAIN_SCHEDULED;
  private static final java.lang.invoke.VarHandle MAILBOX;
  private static final java.lang.invoke.VarHandle PAUSED;
  private static final java.lang.invoke.VarHandle PROGRESS;
  private static final java.lang.invoke.VarHandle WAITED_PAST;

  static {
    try {
      java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
      PENDING = l.findVarHandle(Session.class, "pending", int.class);
      BACKLOG = l.findVarHandle(Session.class, "backlog", int.class);
      RETAINED_PENDING = l.findVarHandle(Session.class, "retainedPending", int.class);
      DROPPED = l.findVarHandle(Session.class, "dropped", long.class);
      STORE_SEQ = l.findVarHandle(Session.class, "storeSeq", long.class);
      DRAIN_SCHEDULED = l.findVarHandle(Session.class, "drainScheduled", boolean.class);
      MAILBOX = l.findVarHandle(Session.class, "mailbox", Queue.class);
      PAUSED = l.findVarHandle(Session.class, "pausedPublishers", PausedPublishers.class);
      PROGRESS = l.findVarHandle(Session.class, "progressNanos", long.class);
      WAITED_PAST = l.findVarHandle(Session.class, "waitedPast", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  int addPending(int n) {
    return (int) PENDING.getAndAdd(this, n) + n;
  }

  int addRetainedPending(int n) {
    return (int) RETAINED_PENDING.getAndAdd(this, n) + n;
  }

  private int addBacklog(int n) {
    return (int) BACKLOG.getAndAdd(this, n) + n;
  }

  /** The mailbox, created by the first caller (any thread). */
  private Queue<Object> mailbox() {
    Queue<Object> m = mailbox;
    if (m == null) {
      m = PlatformDependent.newMpscQueue(MAILBOX_CHUNK, MAILBOX_MAX);
      if (!MAILBOX.compareAndSet(this, null, m)) {
        m = mailbox;
      }
    }
    return m;
  }

  /** The next entry of the mailbox, or null (also when there is none yet). On loop. */
  Object pollMailbox() {
    Queue<Object> m = mailbox;
    return m == null ? null : m.poll();
  }
  private final Runnable drainTask = this::drain;
  /**
   * Written by the loop when it changes: messages are queued that the client has not taken, and the
   * queue is below its bounds (it grows). Read by publishers while the broker is over its outbound
   * high water mark ({@link OutboundMemory}): they pause until it is false again.
   */
  volatile boolean lagging;

  // ---- loop-owned
  /** Attach, detach, expiry and end: made with the session. */
  final SessionLifecycle lifecycle;
  /**
   * Packet ids in the window that the attach did not resend yet ({@link InflightResend}), in send
   * order: more than the new connection's Receive Maximum were unacknowledged. Null when none
   * (nearly always).
   */
  InflightResend owed;
  /** Whether the store holds records of this session, to be removed when it ends. */
  boolean inStore;
  MqttConnection connection;
  /** By filter: the shared empty table until the first SUBSCRIBE (24 bytes less per idle session). */
  SessionSubscriptions subscriptions = SessionSubscriptions.NONE;
  /** The runs of which some deliveries have left, not all ({@link #storeRunsApart}); null until one has. On loop. */
  ArrayList<QueueRun> partlyGone;
  final ArrayDeque<Delivery> queue = new ArrayDeque<>(1); // grows when used (16 slots idle cost 80 bytes)
  /** Bytes ({@link Message#size()}) of the messages in {@link #queue}. */
  long queuedBytes;
  /**
   * The part of {@link #queuedBytes} that the broker's total counts once per message, not per
   * session ({@link Message#countedOnce}): not this session's to report.
   */
  long queuedOnceBytes;
  /**
   * Retained messages sent for a new subscription that are in the queue (on loop). They are not in
   * {@link #pending}, so {@code max_queued_messages} bounds the other deliveries only (see {@link
   * Delivery#retainedOnSubscribe}).
   */
  int retainedInQueue;
  /**
   * The part of {@link #queuedBytes} less {@link #queuedOnceBytes} already in the broker's total
   * ({@link OutboundMemory}), which counts a message from its hand-off (so a loop that is behind is
   * counted too): what the drain takes from the mailbox is already in it.
   */
  long reportedBytes;
  /** Set when messages were dropped over {@code maxQueuedBytes}; cleared when the queue is empty. */
  private boolean bytesFull;
  /** {@link #dropped} as last seen, and when a burst of drops began (-1: none since the queue was empty). */
  private long droppedSeen;
  /** Whether the last drain dropped for this session as stalled over the high water mark (see {@link #shed}). */
  private boolean shedding;
  private long droppedAtBurstStart = -1;
  private long burstStartNanos;
  /** A burst of drops ends (and is logged as ended) once the queue is empty and at least this long after it began. */
  private static final long BURST_MIN_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** By packet id in send order: a window of its own from the first QoS 1/2 delivery on, the shared empty one until then. */
  InflightWindow inflight = NO_INFLIGHT;
  /** Shared by every session that has not sent a QoS 1/2 message yet (never added to: see the puts). */
  static final InflightWindow NO_INFLIGHT = new InflightWindow();
  /** Inbound QoS 2 packet ids awaiting PUBREL; created by the first one (most clients never send QoS 2). */
  InboundQos2 inboundQos2;
  private int nextPacketId = 1;
  /** Counts deliveries up to the next latency sample. */
  private int sampleCounter;
  /** {@code inflight.size()}, readable from other threads for {@link #load()}. */
  volatile int inflightSize;
  private boolean windowOpened;
  int maxInflight;

  /** For a rule's session: where its deliveries go instead of a client (null for a client's session). */
  final Rules.RuleSink rule;

  Session(String clientId, BrokerCore core, EventLoop loop, boolean persistent, Object claimant) {
    this(clientId, core, loop, persistent, claimant, null);
  }

  private Session(String clientId, BrokerCore core, EventLoop loop, boolean persistent, Object claimant,
      Rules.RuleSink rule) {
    this.rule = rule;
    this.online = rule != null;
    this.clientId = clientId;
    this.claimant = claimant;
    this.core = core;
    this.loop = loop;
    this.maxInflight = core.config().maxInflight();
    this.lifecycle = new SessionLifecycle(this, persistent);
  }

  /** The session behind a rule: never in the registry, never attached; deliveries go to {@code sink}. */
  static Session forRule(String name, BrokerCore core, Rules.RuleSink sink) {
    return new Session(name, core, null, false, null, sink);
  }

  /** Runs the task on the session's loop, following the session if it moves meanwhile. */
  void runOnLoop(Runnable task) {
    EventLoop l = loop;
    if (l.inEventLoop()) {
      task.run();
    } else {
      l.execute(() -> runOnLoop(task));
    }
  }

  boolean isOnline() {
    return online;
  }

  long droppedCount() {
    return dropped;
  }

  /** Messages queued and in flight, for {@link io.tern.broker.SharedSubscriptionPolicy#LEAST_LOADED}. Any thread, approximate. */
  int load() {
    return pending + inflightSize;
  }

  // ------------------------------------------------------------------ delivery, any thread

  /** Hands a message to this session from any thread. Never blocks; drops by policy when full. */
  void enqueue(Delivery d) {
    if (rule != null) {
      rule.offer(d);
      return;
    }
    if (terminated) {
      passSharedOn(List.of(d));
      return;
    }
    if (!accepts(d)) {
      return;
    }
    if (admit(1) == 1) {
      core.memory().add(handedOff(d.message()));
      addBacklog(1);
      mailbox().offer(d);
      scheduleDrain();
    } else {
      dropped(d, io.tern.broker.event.DropReason.QUEUE_FULL, 1);
    }
  }

  /**
   * Hands a batch to this session from any thread: one mailbox entry, one counter update and at
   * most one wake-up for the whole batch. The session takes the list over when it holds two or
   * more (see {@link #handOver}). Returns true when this session's loop is far behind: the caller
   * should pause reading (see {@link #resumeWhenCaughtUp}).
   */
  boolean enqueueAll(ArrayList<Delivery> batch) {
    return enqueueAll(batch, false);
  }

  /** {@link #enqueueAll(ArrayList)} for a batch whose publisher can pause, or not ({@link #admitAll(ArrayList, boolean)}). */
  boolean enqueueAll(ArrayList<Delivery> batch, boolean pausable) {
    return admitAll(batch, pausable) && handOver(batch);
  }

  /**
   * First step of {@link #enqueueAll}: counts the batch in against the queue bound and trims it to
   * what may be queued (DROP_NEW keeps the oldest). Returns false when nothing is left.
   */
  boolean admitAll(ArrayList<Delivery> batch) {
    return admitAll(batch, false);
  }

  /**
   * {@link #admitAll(ArrayList)}; {@code pausable}: the batch comes from a client's read, whose
   * connection pauses when {@link #handOver} says so, so that it may be taken past the bound while
   * this session holds its publishers ({@link #waitsRatherThanDrops}).
   */
  boolean admitAll(ArrayList<Delivery> batch, boolean pausable) {
    if (rule != null) {
      return !batch.isEmpty(); // the rule's own queue is the bound
    }
    if (terminated) {
      passSharedOn(batch);
      return false;
    }
    if (!online && !core.config().queueQos0WhenOffline()) {
      batch.removeIf(d -> d.qos() == 0);
    }
    int n = batch.size();
    if (n == 0) {
      return false;
    }
    if (pausable && waitsRatherThanDrops(batch)) {
      // Over the bound by this batch at most: handOver pauses its publisher.
      int past = addPending(n) - core.config().maxQueuedMessages();
      if (past > 0) {
        WAITED_PAST.getAndAdd(this, Math.min(past, n));
      }
      return true;
    }
    int accepted = admit(n);
    if (accepted < n) {
      dropped(batch.get(accepted), io.tern.broker.event.DropReason.QUEUE_FULL, n - accepted);
      batch.subList(accepted, n).clear();
    }
    return accepted > 0;
  }

  /**
   * Hands this session the retained messages of a new subscription ({@link
   * Delivery#retainedOnSubscribe}), from any thread: counted against their own bound ({@link
   * #admitRetained}) instead of {@code max_queued_messages}, stored first for a persistent session
   * (as {@link DeliveryBatcher#flush} does for routed messages), then handed over as one batch.
   */
  void enqueueRetained(ArrayList<Delivery> batch, Persistence p) {
    if (rule != null) {
      rule.offerAll(batch);
      return;
    }
    if (terminated) {
      return;
    }
    if (!online && !core.config().queueQos0WhenOffline()) {
      batch.removeIf(d -> d.qos() == 0);
    }
    int n = batch.size();
    if (n > 0 && core.overHighWaterMark()) {
      // Each session's retained backlog is bounded (admitRetained), but not what all of them hold
      // together: an outside load audit filled a 512 MB heap with the retained messages of 300,000
      // topics queued for 24 persistent '#' sessions that subscribed once and left (the heap guard
      // then refused every new client, for good). Over the outbound high water mark, a new
      // subscription's retained messages are not queued: MQTT-3.3.1-6 yields to the broker's memory.
      core.clientLine(log).log("Client {}: {} retained messages for a new subscription not sent: the broker holds "
          + "more than outbound_high_water_mark for its clients", clientId, n);
      dropped(batch.get(0), io.tern.broker.event.DropReason.QUEUE_FULL, n);
      drop(n);
      return;
    }
    int accepted = admitRetained(n);
    if (accepted < n) {
      dropped(batch.get(accepted), io.tern.broker.event.DropReason.QUEUE_FULL, n - accepted);
      batch.subList(accepted, n).clear();
    }
    if (accepted == 0) {
      return;
    }
    if (p.enabled()) {
      persistAll(batch, p, p.batch());
      p.commit(); // in the store before it can be delivered, acked and removed
    }
    handOver(batch);
  }

  /**
   * Counts in up to {@code n} retained messages for a new subscription; returns how many may go. As
   * {@link #admit}, on its own counter: not one method taking the counter as a parameter, which would
   * put a VarHandle that is not a constant on the per-message path of {@link #admit}.
   */
  private int admitRetained(int n) {
    int limit = core.retainedCount() + core.config().maxQueuedMessages();
    int over = addRetainedPending(n) - limit;
    if (over <= 0) {
      return n;
    }
    int refused = Math.min(over, n);
    addRetainedPending(-refused);
    drop(refused);
    return n - refused;
  }

  /**
   * Second step, for a persistent session with a store: gives each QoS 1/2 delivery of the admitted
   * batch its sequence number and adds it to {@code b}, which the caller writes before {@link
   * #handOver} (a delivery is in the store before it can be sent, acked and removed).
   */
  void persistAll(ArrayList<Delivery> batch, Persistence p, StoreBatch b) {
    if (!storing) {
      return;
    }
    int n = batch.size();
    int i = 0;
    while (i < n) {
      int qos = batch.get(i).qos();
      if (qos == 0) {
        i++;
        continue;
      }
      if (qos == 2) { // a record of its own: its state changes, and it is removed alone
        persisted(batch, i, batch.get(i).withSeq((long) STORE_SEQ.getAndAdd(this, 1L) + 1, null), p, b);
        i++;
        continue;
      }
      // The QoS 1 deliveries up to the next QoS 2 one (QoS 0 ones are not stored) form one run:
      // consecutive sequence numbers, one record. Sequence numbers follow the order of arrival, so
      // that a restart resends in that order (MQTT-4.6.0-1), QoS 1 and 2 together.
      int end = i;
      int count = 0;
      for (; end < n && batch.get(end).qos() != 2; end++) {
        count += batch.get(end).qos() == 1 ? 1 : 0;
      }
      long seq = (long) STORE_SEQ.getAndAdd(this, (long) count) + 1;
      QueueRun run = new QueueRun(seq, count);
      for (; i < end; i++) {
        if (batch.get(i).qos() == 1) {
          persisted(batch, i, batch.get(i).withSeq(seq++, run), p, b);
        }
      }
    }
  }

  private void persisted(ArrayList<Delivery> batch, int i, Delivery d, Persistence p, StoreBatch b) {
    batch.set(i, d);
    p.refDelivery(d, b);
    b.putQueued(clientId, Persistence.queued(d, 0, false));
  }

  /**
   * Last step: hands the admitted batch over. Returns true when the publisher should pause: this
   * session's loop is far behind, or the broker is over its outbound high water mark and this
   * session's client is falling behind. A batch of one is queued as its delivery, so the list stays
   * the caller's to use again (a list is taken over only when it holds two or more).
   */
  boolean handOver(ArrayList<Delivery> batch) {
    if (rule != null) {
      rule.offerAll(batch);
      return false;
    }
    int n = batch.size();
    long bytes = 0;
    boolean reliable = false;
    for (int i = 0; i < n; i++) {
      Delivery d = batch.get(i);
      bytes += handedOff(d.message());
      reliable |= d.qos() > 0;
    }
    core.memory().add(bytes);
    int behind = addBacklog(n);
    mailbox().offer(n == 1 ? batch.get(0) : batch);
    scheduleDrain();
    // Over the mark, a session falls behind when its client has not taken what is queued, or its
    // loop has not yet drained earlier hand-offs; a stalled one sheds instead (see #stalled).
    return behind > BACKLOG_HIGH
        || (reliable && holdsPublishers())
        || (core.memory().over() && (lagging || behind > n) && !stalled(System.nanoTime()));
  }

  /**
   * Whether the publishers of QoS 1/2 messages to this session should wait for it ({@code
   * slow_subscriber: wait}): its queue has reached the hold mark, half of {@code
   * max_queued_messages}, and its client is connected and taking messages (not {@link #stalled}).
   * They wait until it is down to a quarter ({@link #hasRoomForPublishers}), so its bound is not
   * reached and nothing is dropped for a subscriber that keeps up, only slowly. Any thread.
   */
  private boolean holdsPublishers() {
    if (pending >= core.holdMark && online && !stalled(System.nanoTime())) {
      core.stats().slowSubscriberPauses.increment();
      return true;
    }
    return false;
  }

  /**
   * Whether this session's queue is below the mark at which its publishers would wait ({@link
   * #holdsPublishers}); always true with {@code slow_subscriber: drop}. Any thread, approximate.
   */
  boolean belowHoldMark() {
    return pending < core.holdMark;
  }

  /**
   * Whether a publisher's batch with QoS 1/2 messages is taken whole, past {@code
   * max_queued_messages} if need be, because its publisher waits for this session instead ({@code
   * slow_subscriber: wait}, its client connected and taking messages, the queue at the hold mark:
   * {@link #handOver} then pauses the publisher). The publishers are held from the mark on, but a
   * few may still arrive past the bound: each resumed publisher hands over at least the message of
   * its first packet, and resumes come late when the session's loop is busy (seen: 4 publishers
   * took a queue of 200 from the mark of 100 to its bound, then every message they sent while it
   * was full was dropped, and acknowledged, with nothing to pause them since a batch refused whole
   * is never handed over). The overshoot is one turn of each publisher at most. Any thread.
   */
  private boolean waitsRatherThanDrops(ArrayList<Delivery> batch) {
    if (pending < core.holdMark || !online || stalled(System.nanoTime())) {
      return false; // below the mark (the usual case, one compare), dropping policy, or a client away or stalled
    }
    for (int i = 0, n = batch.size(); i < n; i++) {
      if (batch.get(i).qos() > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether publishers that waited for this session's queue ({@link #holdsPublishers}) may go on: it
   * is down to half the hold mark, or its client is away or stalled (it drops at its bound then,
   * rather than hold them for good). Any thread.
   */
  boolean hasRoomForPublishers() {
    return pending <= core.holdMark / 2 || !online || stalled(System.nanoTime());
  }

  /**
   * How many more deliveries a publisher's read may batch for this session, having batched {@code
   * batched} ({@link DeliveryBatcher}): its share of the room below the hold mark, which each event
   * loop may be filling at the same time, so that the batches handed over at once stay within it
   * and its bound is not reached before the publishers wait. 0: none left, the publisher should end
   * its turn (the session is connected and taking messages); {@link Integer#MAX_VALUE}: no limit (the
   * policy is to drop, or the session drops at its bound anyway: its client away or stalled). Any thread.
   */
  int batchRoom(int batched) {
    int mark = core.holdMark;
    if (mark == Integer.MAX_VALUE || rule != null) {
      return Integer.MAX_VALUE;
    }
    int room = (mark - pending) / core.loops - batched;
    if (room > 0) {
      return room;
    }
    return online && !stalled(System.nanoTime()) ? 0 : Integer.MAX_VALUE;
  }

  /**
   * Whether this session is stalled: its client is away, or has taken nothing of what is queued
   * for {@link io.tern.broker.BrokerConfig#outboundStallTimeout()}. Asked only while the broker is
   * over its outbound high water mark. A stalled session does not pause its publishers, since it
   * would hold them (and their other subscribers) for as long as it stays stalled, for good with an
   * offline session that never expires. Its queue does not grow instead ({@link #shed}). Any thread.
   */
  private boolean stalled(long now) {
    return !online || now - (long) PROGRESS.getOpaque(this) > core.memory().stallNanos();
  }

  /**
   * For unit tests of the session alone: from now on it counts as having a client that takes
   * nothing (online, no connection to send to), as a client that never reads. On loop or before use.
   */
  void onlineWithoutConnection() {
    online = true;
    progress(System.nanoTime());
  }

  void progress(long now) {
    PROGRESS.setOpaque(this, now);
  }

  /** When the client last took a message ({@link #progressNanos}). Any thread. */
  long progressNanos() {
    return (long) PROGRESS.getOpaque(this);
  }

  /**
   * Called by a publisher that {@link #enqueueAll} told to wait: it is resumed once this session has
   * caught up (its loop, and while the broker is over its high water mark, its client). Checks again
   * after registering, so a drain that finished meanwhile is not missed ({@link PausedPublishers#add}).
   */
  void resumeWhenCaughtUp(Runnable resume) {
    PausedPublishers q = pausedPublishers;
    if (q == null) {
      q = new PausedPublishers(this);
      if (!PAUSED.compareAndSet(this, null, q)) {
        q = pausedPublishers;
      }
    }
    q.add(resume);
  }

  private boolean accepts(Delivery d) {
    // QoS 0 to an offline session is not stored unless configured (MQTT-3.1.2-5 leaves it optional).
    return d.qos() > 0 || online || core.config().queueQos0WhenOffline();
  }

  /** Counts {@code n} messages in against the bound; returns how many may be queued. */
  private int admit(int n) {
    int max = core.config().maxQueuedMessages();
    // DROP_OLDEST trims on the loop; the mailbox may briefly hold up to twice the bound meanwhile.
    int limit = core.config().dropPolicy() == DropPolicy.DROP_NEW ? max : 2 * max;
    int p = addPending(n);
    int over = p - limit;
    if (over <= 0) {
      return n;
    }
    int refused = Math.min(over, n);
    addPending(-refused);
    drop(refused);
    // The loop logs a burst of drops (afterQueueChange) when it drains: a batch refused whole is
    // handed nothing that would make it drain, so ask for one (at most one pending at a time).
    scheduleDrain();
    return n - refused;
  }

  private void scheduleDrain() {
    // Test before the CAS: many publisher loops hammer this flag while a drain is pending.
    if (!drainScheduled && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
      try {
        loop.execute(drainTask);
      } catch (RejectedExecutionException e) {
        drainScheduled = false; // the broker is stopping
      }
    }
  }

  /** A {@link io.tern.broker.event.BrokerEvent.MessageDropped} event, when anybody listens. */
  private void dropped(Delivery d, io.tern.broker.event.DropReason reason, int count) {
    Events ev = core.events();
    if (ev.active()) {
      ev.emit(new io.tern.broker.event.BrokerEvent.MessageDropped(System.currentTimeMillis(), clientId,
          d.message().topic(), d.qos(), reason, count));
    }
  }

  void drop(int n) {
    DROPPED.getAndAdd(this, (long) n);
    core.stats().messagesDropped.add(n);
  }

  private void drain() {
    EventLoop l = loop;
    if (!l.inEventLoop()) {
      l.execute(drainTask);
      return;
    }
    drainScheduled = false;
    boolean wasEmpty = queue.isEmpty();
    int heldBefore = queue.size() - retainedInQueue;
    Object o;
    int drained = 0;
    long bytes = 0;
    // QoS 0 admitted while the client was there and drained after it left: dropped here, as they
    // come, not by a scan of the whole queue at every drain (an offline queue may hold millions).
    boolean dropQos0 = connection == null && !core.config().queueQos0WhenOffline();
    int droppedQos0 = 0;
    int retainedNotQueued = 0;
    long notQueuedBytes = 0; // their change of the broker's total (see notQueued)
    long onceBytes = 0; // the part of bytes counted once broker-wide (see Message#countedOnce)
    while ((o = pollMailbox()) != null) {
      if (o instanceof Delivery d) {
        if (dropQos0 && d.qos() == 0) {
          droppedQos0 += d.onSubscribe() ? 0 : 1;
          retainedNotQueued += d.onSubscribe() ? 1 : 0;
          notQueuedBytes += notQueued(d.message());
        } else {
          queue.addLast(d);
          retainedInQueue += d.onSubscribe() ? 1 : 0;
          int size = d.message().size();
          bytes += size;
          onceBytes += d.message().countedOnce() ? size : 0;
        }
        drained++;
      } else {
        @SuppressWarnings("unchecked")
        List<Delivery> batch = (List<Delivery>) o;
        for (int i = 0, n = batch.size(); i < n; i++) {
          Delivery d = batch.get(i);
          if (dropQos0 && d.qos() == 0) {
            droppedQos0 += d.onSubscribe() ? 0 : 1;
            retainedNotQueued += d.onSubscribe() ? 1 : 0;
            notQueuedBytes += notQueued(d.message());
            continue;
          }
          queue.addLast(d);
          retainedInQueue += d.onSubscribe() ? 1 : 0;
          int size = d.message().size();
          bytes += size;
          onceBytes += d.message().countedOnce() ? size : 0;
        }
        drained += batch.size();
      }
    }
    // After the mailbox: a message received since would make the latency sample negative.
    long now = System.nanoTime();
    if (wasEmpty) {
      progress(now); // the client had taken everything so far
    }
    addPending(-droppedQos0);
    addRetainedPending(-retainedNotQueued);
    if (notQueuedBytes != 0) {
      core.memory().add(notQueuedBytes); // counted at the hand-off, never queued
    }
    queuedBytes += bytes;
    queuedOnceBytes += onceBytes;
    reportedBytes += bytes - onceBytes; // counted at the hand-off
    addBacklog(-drained);
    if (terminated) {
      // Handed over as (or after) the session ended: a shared subscription's message goes to another member.
      List<Delivery> shared = new ArrayList<>(0);
      discardQueued(shared);
      if (!shared.isEmpty()) {
        core.redeliverShared(shared, this);
      }
      return;
    }
    boolean grew = queue.size() - retainedInQueue > heldBefore;
    if (grew && core.memory().over() && stalled(now)) {
      shed(heldBefore);
    } else if (grew) {
      shedding = false;
    }
    int max = core.config().maxQueuedMessages();
    // What it took past the bound for publishers that wait (waitsRatherThanDrops) is not trimmed away.
    int past = waitedPast;
    if (past != 0 && queue.size() - retainedInQueue <= max) {
      WAITED_PAST.getAndAdd(this, -past); // within the bound again
      past = 0;
    }
    while (queue.size() - retainedInQueue > max + past) {
      Delivery oldest = retainedInQueue == 0 ? queue.pollFirst() : pollBounded(false);
      unqueued(oldest.message());
      forget(oldest);
      addPending(-1);
      drop(1);
      dropped(oldest, io.tern.broker.event.DropReason.QUEUE_FULL, 1);
    }
    if (connection != null) {
      sendQueued(now);
    }
    // After sending: the bytes bound is on what the client could not take.
    long maxBytes = core.config().maxQueuedBytes();
    if (maxBytes > 0 && queuedBytes > maxBytes) {
      dropOverBytes(maxBytes);
    }
    afterQueueChange();
    core.persistence().commitOrReport();
  }

  /**
   * Over the high water mark, a stalled session ({@link #stalled}) does not grow: it keeps the
   * {@code keep} messages it held before this drain (bounded ones; the retained messages of a new
   * subscription have their own bound), and the drop policy decides what goes: the newcomers with
   * {@code drop_new}, the oldest with {@code drop_oldest}. The publishers go on. On loop.
   */
  private void shed(int keep) {
    boolean newest = core.config().dropPolicy() == DropPolicy.DROP_NEW;
    int n = 0;
    while (queue.size() - retainedInQueue > keep) {
      Delivery d = retainedInQueue == 0 ? (newest ? queue.pollLast() : queue.pollFirst()) : pollBounded(newest);
      unqueued(d.message());
      forget(d);
      n++;
      dropped(d, io.tern.broker.event.DropReason.STALLED_OVER_HIGH_WATER_MARK, 1);
    }
    addPending(-n);
    drop(n);
    droppedSeen += n; // not a burst of a full queue (afterQueueChange): OutboundMemory's lines tell
    core.stats().stalledSessionDrops.add(n);
    if (!shedding) {
      shedding = true;
      // DEBUG: at a crossing of the mark every offline session may start at once; OutboundMemory
      // logs the crossing and, below the low mark, how many messages went this way.
      log.debug("Client {}: {} while over outbound_high_water_mark: its queue stays at {} messages, "
          + "dropping by {}", clientId, online ? "takes no messages" : "offline", keep,
          core.config().dropPolicy().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Drops by policy until the queue holds at most {@code maxBytes}: the oldest, or the newest. */
  private void dropOverBytes(long maxBytes) {
    boolean oldest = core.config().dropPolicy() == DropPolicy.DROP_OLDEST;
    int n = 0;
    while (queuedBytes > maxBytes && !queue.isEmpty()) {
      Delivery d = oldest ? queue.pollFirst() : queue.pollLast();
      unqueued(d.message());
      forget(d);
      leftQueue(d);
      n++;
      dropped(d, io.tern.broker.event.DropReason.QUEUE_FULL, 1);
    }
    drop(n);
    core.stats().queuedBytesDrops.add(n);
    bytesFull = true;
  }

  /**
   * After the queue changed, on loop: whether it lags (see {@link #lagging}), resuming the
   * publishers paused for it once it has caught up, the broker's byte total, and one log line
   * when a burst of drops begins and one when it ends (the queue emptied, 10 s or more after it
   * began), not one per message.
   */
  void afterQueueChange() {
    int size = queue.size();
    long d = dropped;
    if (d != droppedSeen) {
      if (droppedAtBurstStart < 0) {
        droppedAtBurstStart = droppedSeen;
        burstStartNanos = System.nanoTime();
        // WARN while its client is connected (messages it is there to take are lost: raise the bounds
        // if that is not what you want), INFO for a session whose client is away (its bound at work).
        String line = "Client {}: queue full ({} messages, {} bytes; max_queued_messages {}, max_queued_bytes {}), "
            + "dropping by {}";
        Object[] args = {clientId, size, queuedBytes, core.config().maxQueuedMessages(),
            core.config().maxQueuedBytes(), core.config().dropPolicy().name().toLowerCase(java.util.Locale.ROOT)};
        if (online) {
          log.warn(line, args);
        } else {
          log.info(line, args);
        }
      }
      droppedSeen = d;
    }
    if (size == 0) {
      bytesFull = false;
      if (droppedAtBurstStart >= 0 && System.nanoTime() - burstStartNanos >= BURST_MIN_NANOS) {
        // At most two lines per session per 10 s, however its queue fills and empties meanwhile.
        log.info("Client {}: queue emptied; {} messages were dropped since it was full", clientId,
            d - droppedAtBurstStart);
        droppedAtBurstStart = -1;
      }
    }
    boolean lags = size > 0 && size < core.config().maxQueuedMessages() && !bytesFull;
    if (lags && core.memory().over() && stalled(System.nanoTime())) {
      lags = false; // it sheds instead (see #stalled)
    }
    if (lags != lagging) {
      lagging = lags; // before looking at pausedPublishers: see resumeWhenCaughtUp
    }
    PausedPublishers paused = pausedPublishers;
    if (paused != null && !paused.isEmpty() && paused.caughtUp(lags)) {
      paused.resumeAll();
    }
    long change = queuedBytes - queuedOnceBytes - reportedBytes;
    if (change != 0) {
      reportedBytes += change;
      core.memory().add(change);
    }
  }

  /** A stored delivery leaves the session (acked, dropped): its reference goes, and with the last one the message. */
  void forget(Delivery d) {
    if (d.stored()) {
      Persistence p = core.persistence();
      StoreBatch b = p.batch();
      QueueRun run = d.run();
      if (run == null || run.apart) {
        b.removeQueued(clientId, d.seq());
      } else if (--run.remaining == 0) {
        b.removeRun(clientId, run.first, run.count);
        if (run.partly) {
          partlyGone.remove(run);
        }
      } else if (!run.partly) {
        run.partly = true;
        if (partlyGone == null) {
          partlyGone = new ArrayList<>(2);
        }
        partlyGone.add(run);
      }
      p.deref(d.message(), b);
    }
  }

  /**
   * Stores the remaining deliveries of the runs that are partly gone one record each, and removes
   * those runs' records, into {@code b}: a run's record goes with its last delivery only, so
   * otherwise a restart would send the messages of it that the client acknowledged again. When the
   * client goes away (acks come in order, so these are nearly always the one or two runs being
   * acknowledged). The walk covers the window and the queue up to the last of those deliveries,
   * which came in one read and sit together; should it not find them all, the runs stay whole (a
   * restart then resends some acknowledged messages, as QoS 1 allows). On loop.
   */
  void storeRunsApart(StoreBatch b) {
    ArrayList<QueueRun> runs = partlyGone;
    if (runs == null || runs.isEmpty()) {
      return;
    }
    int left = 0;
    for (QueueRun r : runs) {
      left += r.remaining;
    }
    ArrayList<Delivery> found = new ArrayList<>(left);
    for (InflightWindow.Cursor it = inflight.cursor(); it.next() && found.size() < left; ) {
      collectPartly(it.delivery(), found);
    }
    for (Iterator<Delivery> it = queue.iterator(); it.hasNext() && found.size() < left; ) {
      collectPartly(it.next(), found);
    }
    if (found.size() != left) {
      return;
    }
    for (QueueRun r : runs) {
      b.removeRun(clientId, r.first, r.count); // before the puts: a store without runs removes each of its seqs
      r.apart = true;
      r.partly = false;
    }
    for (Delivery d : found) {
      b.putQueued(clientId, Persistence.queued(d, 0, false));
    }
    runs.clear();
  }

  /** Adds {@code d} to {@code found} when its run is partly gone (so in {@link #partlyGone}). */
  private static void collectPartly(Delivery d, ArrayList<Delivery> found) {
    QueueRun r = d.run();
    if (r != null && r.partly) {
      found.add(d);
    }
  }

  /**
   * The change of the broker's outbound total as a delivery of {@code m} is handed to a session (any
   * thread): its size, or for a message counted once broker-wide ({@link Message#countedOnce}) its
   * size when no session held it yet.
   */
  static long handedOff(Message m) {
    return m.countedOnce() ? m.hold(1) : m.size();
  }

  /**
   * The change of the broker's outbound total as a delivery of {@code m} handed to this session
   * leaves it without entering the queue (dropped as it comes, discarded with the session).
   */
  static long notQueued(Message m) {
    return m.countedOnce() ? m.hold(-1) : -m.size();
  }

  /** A delivery of {@code m} handed to this session entered the queue (counted in the total at the hand-off). On loop. */
  void queuedHandedOff(Message m) {
    int size = m.size();
    queuedBytes += size;
    if (m.countedOnce()) {
      queuedOnceBytes += size;
    } else {
      reportedBytes += size;
    }
  }

  /**
   * A delivery of {@code m} left the queue (sent or dropped): out of {@link #queuedBytes}, and for a
   * message counted once broker-wide, out of the total when this was its last session. The rest of
   * the total follows at {@link #afterQueueChange}. On loop.
   */
  void unqueued(Message m) {
    int size = m.size();
    queuedBytes -= size;
    if (m.countedOnce()) {
      queuedOnceBytes -= size;
      long change = m.hold(-1);
      if (change != 0) {
        core.memory().add(change);
      }
    }
  }

  /** Accounts for a delivery that left the queue (sent or dropped). */
  void leftQueue(Delivery d) {
    if (d.onSubscribe()) {
      retainedInQueue--;
      addRetainedPending(-1);
    } else {
      addPending(-1);
    }
  }

  /**
   * The oldest (or, when {@code newest}, the newest) queued delivery that counts against {@code
   * max_queued_messages}, removed: the queue's bound does not drop the retained messages of a new
   * subscription. On loop; callers know the queue holds such a delivery.
   */
  Delivery pollBounded(boolean newest) {
    Iterator<Delivery> it = newest ? queue.descendingIterator() : queue.iterator();
    while (true) {
      Delivery d = it.next();
      if (!d.onSubscribe()) {
        it.remove();
        return d;
      }
    }
  }

  void dropQueuedQos0() {
    Iterator<Delivery> it = queue.iterator();
    while (it.hasNext()) {
      Delivery d = it.next();
      if (d.qos() == 0) {
        it.remove();
        unqueued(d.message());
        leftQueue(d);
      }
    }
  }

  /**
   * Sends queued messages while the channel is writable and the in-flight window has room, then
   * flushes once. Order is kept: a QoS 0 message waits behind a QoS 1 message that waits for room.
   */
  void pump() {
    sendQueued(System.nanoTime());
    afterQueueChange();
  }

  private void sendQueued(long now) {
    MqttConnection c = connection;
    if (c == null) {
      return;
    }
    if (owed != null && owed.resendOwed(c, now)) {
      return;
    }
    boolean wrote = false;
    boolean forgot = false;
    while (!queue.isEmpty() && c.isWritable()) {
      Delivery d = queue.peekFirst();
      int qos = d.qos();
      if (qos > 0 && inflight.size() >= maxInflight) {
        break;
      }
      queue.pollFirst();
      unqueued(d.message());
      leftQueue(d);
      io.tern.codec.Publish out = c.outgoing(d, now, false);
      if (out == null) {
        // Expired, or larger than the client accepts: counted, as if sent (MQTT-3.1.2-25); a
        // stored one leaves the store as if acknowledged.
        dropped(d, d.message().expired(now) ? io.tern.broker.event.DropReason.EXPIRED
            : io.tern.broker.event.DropReason.TOO_LARGE, 1);
        if (d.stored()) {
          forget(d);
          forgot = true;
        }
        continue;
      }
      int packetId = 0;
      if (qos > 0) {
        packetId = nextPacketId();
        if (inflight == NO_INFLIGHT) {
          inflight = new InflightWindow();
        }
        inflight.put(packetId, d);
        inflightSize = inflight.size();
        if (qos == 2 && d.stored() && inStore) {
          // QoS 2 is resent after a restart with the same packet id, so that the client recognizes
          // it (MQTT-4.3.3); a QoS 1 message read back is simply sent again with DUP. Not for a
          // session that left the store (resumed with expiry 0): its record would outlive it, and
          // come back with the client's next stored session.
          core.persistence().batch().putQueued(clientId, Persistence.queued(d, packetId, false));
        }
      }
      c.writePublish(out, d, d.redelivered(), packetId);
      core.stats().sent(d.qos(), out.payload().length);
      if (++sampleCounter == io.tern.broker.management.LatencySnapshot.SAMPLE_EVERY) {
        sampleCounter = 0;
        core.stats().deliveryLatency.record(now - d.message().receivedAtNanos());
      }
      wrote = true;
    }
    if (wrote) {
      progress(now);
      core.persistence().commitOrReport(); // before the PUBLISHes leave
      c.flush();
      if (!inflight.isEmpty()) { // its acks come in reads a pause would stop (ReadThrottle#awaitsOwnAcks)
        c.throttle.endBacklogPause();
      }
    } else if (forgot) {
      core.persistence().commitOrReport();
    }
  }

  /**
   * The next packet id handed out follows {@code packetId} (0: from 1), as it did before a restart
   * ({@link SessionRestore}). Before the session is used.
   */
  void continuePacketIdsAfter(int packetId) {
    nextPacketId = packetId == 65535 ? 1 : packetId + 1;
  }

  int nextPacketId() {
    // The window is at most 65535, so a free id exists; ids in flight are skipped (MQTT-2.2.1-3).
    while (true) {
      int id = nextPacketId;
      nextPacketId = id == 65535 ? 1 : id + 1;
      if (!inflight.containsKey(id)) {
        return id;
      }
    }
  }

  // ------------------------------------------------------------------ acks from the client, on loop

  // Acks free room in the window but do not send at once: they arrive many per read, and the
  // connection calls pumpAfterAcks() once when the read completes (one write and flush per read).

  void onPubAck(int packetId) {
    Delivery d = inflight.get(packetId);
    if (d != null && d.qos() == 1) {
      inflight.remove(packetId);
      inflightSize = inflight.size();
      forget(d);
      windowOpened = true;
    }
  }

  /** PUBREC: the client has the message; answer PUBREL (also for an id we no longer know). */
  void onPubRec(int packetId, boolean failed) {
    Delivery d = inflight.get(packetId);
    if (d != null && d.qos() != 2) {
      return; // a PUBREC for a QoS 1 message: not part of any flow of ours, ignored
    }
    if (d != null) {
      if (failed) { // v5 PUBREC with a reason code >= 0x80 ends the flow (section 4.3.3)
        inflight.remove(packetId);
        inflightSize = inflight.size();
        forget(d);
        windowOpened = true;
        return;
      }
      if (!inflight.released(packetId)) {
        if (d.stored() && inStore) {
          core.persistence().batch().putQueued(clientId, Persistence.queued(d, packetId, true));
        }
        inflight.release(packetId);
      }
    }
    if (!failed) { // flushed when the read completes
      // MQTT 5 3.6.2.1: 0x92 Packet Identifier not found, for a flow this session does not have
      // (as PUBCOMP answers an unknown PUBREL); MQTT 3 has no reason code
      connection.writeAck(PacketType.PUBREL, packetId,
          d == null && connection.version.isV5() ? ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND : ReasonCodes.SUCCESS);
    }
  }

  void onPubComp(int packetId) {
    Delivery d = inflight.get(packetId);
    if (d != null && inflight.released(packetId)) {
      inflight.remove(packetId);
      inflightSize = inflight.size();
      forget(d);
      windowOpened = true;
    }
  }

  /** After a read: sends what the acks of that read made room for. */
  void pumpAfterAcks() {
    if (windowOpened) {
      windowOpened = false;
      pump();
    }
  }

  // ------------------------------------------------------------------ parts made on first use, on loop

  /**
   * The packet ids of the client's QoS 2 PUBLISHes awaiting PUBREL: made by the first QoS 2 PUBLISH
   * or PUBREL. On loop.
   */
  InboundQos2 inboundQos2() {
    if (inboundQos2 == null) {
      inboundQos2 = new InboundQos2(this, java.util.List.of());
    }
    return inboundQos2;
  }

  /**
   * The session's subscriptions: the shared empty {@link SessionSubscriptions#NONE} until the first
   * is added (through {@link #subscribing()}). To read, or unsubscribe. On loop.
   */
  SessionSubscriptions subscriptions() {
    return subscriptions;
  }

  /** The session's subscriptions, to add to: made by the first SUBSCRIBE. On loop. */
  SessionSubscriptions subscribing() {
    if (subscriptions == SessionSubscriptions.NONE) {
      subscriptions = new SessionSubscriptions(this);
    }
    return subscriptions;
  }

  /** The session's wills, made by the first. On loop. */
  SessionWills wills() {
    SessionWills w = wills;
    if (w == null) {
      w = new SessionWills(this);
      wills = w;
    }
    return w;
  }

  /**
   * The connection's will is being published, deferred or discarded: its armed record goes (see
   * {@link SessionWills#disarmWill}); none was armed if the session never had a will. Any thread.
   */
  void disarmWill(MqttConnection c) {
    SessionWills w = wills;
    if (w != null) {
      w.disarmWill(c);
    }
  }

  // ------------------------------------------------------------------ connection life, on loop

  /** Whether this session is kept in the store (persistent, with a store). On loop. */
  boolean storing() {
    return storing;
  }

  static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  MqttConnection connection() {
    return connection;
  }

  /** A stored delivery dropped with its session: its session's records go with {@code removeSession}. */
  void releaseRef(Delivery d) {
    if (d.stored()) {
      Persistence p = core.persistence();
      p.deref(d.message(), p.batch());
    }
  }

  /**
   * Whether {@code d}, not yet sent, goes to another member of its shared subscription when this
   * session ends (v5 section 4.8.2) rather than with the session: QoS 1 and 2 of a shared one.
   */
  static boolean movesToAnotherMember(Delivery d) {
    return d.sharedFilter() != null && d.qos() > 0;
  }

  /**
   * Deliveries handed to this session after it ended (matched by a publisher a moment before):
   * those that {@link #movesToAnotherMember} go to another member, the rest with the session.
   */
  private void passSharedOn(List<Delivery> handed) {
    List<Delivery> shared = null;
    for (Delivery d : handed) {
      if (movesToAnotherMember(d)) {
        (shared == null ? shared = new ArrayList<>() : shared).add(d);
      }
    }
    if (shared != null) {
      core.redeliverShared(shared, this);
    }
  }

  @SuppressWarnings("unchecked")
  void discardQueued(List<Delivery> shared) {
    long uncounted = 0; // the broker's total, for what it counted once per message
    for (Delivery d : queue) {
      if (movesToAnotherMember(d)) {
        shared.add(d);
      }
      releaseRef(d);
      if (d.message().countedOnce()) {
        uncounted += d.message().hold(-1);
      }
    }
    queue.clear();
    queuedBytes = 0;
    queuedOnceBytes = 0;
    retainedInQueue = 0;
    Object o;
    while ((o = pollMailbox()) != null) {
      if (o instanceof Delivery d) {
        if (movesToAnotherMember(d)) {
          shared.add(d);
        }
        releaseRef(d);
        uncounted += notQueued(d.message()); // counted at the hand-off, leaving now
      } else {
        for (Delivery d : (List<Delivery>) o) {
          if (movesToAnotherMember(d)) {
            shared.add(d);
          }
          releaseRef(d);
          uncounted += notQueued(d.message());
        }
      }
    }
    if (uncounted != 0) {
      core.memory().add(uncounted);
    }
    pending = 0;
    retainedPending = 0;
    backlog = 0;
    afterQueueChange();
    PausedPublishers paused = pausedPublishers;
    if (paused != null) {
      paused.resumeAll();
    }
  }

  int queuedCount() {
    return pending;
  }

  /** In-flight messages, readable from any thread (approximate). */
  int inflightAnyThread() {
    return inflightSize;
  }

  /** Bytes of the queue this loop holds (not the mailbox), as {@code maxQueuedBytes} counts them. On loop. */
  long queuedBytes() {
    return queuedBytes;
  }

  int inflightCount() {
    return inflight.size();
  }
}
