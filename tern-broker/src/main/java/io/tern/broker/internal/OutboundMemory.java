package io.tern.broker.internal;

import io.netty.util.concurrent.FastThreadLocal;
import io.tern.broker.BrokerConfig;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes the broker holds for its clients, against {@link BrokerConfig#outboundHighWaterMark()}:
 * the messages queued in sessions (payload and topic) and what slow sockets have not yet taken from
 * Netty's outbound buffers (counted from the moment a channel turns unwritable until it is
 * writable again; a writable channel holds at most its low water mark).
 *
 * <p><b>Cost.</b> A message is counted when a publisher hands a batch to a session (one add per
 * batch, on the publisher's loop), and leaves the count as the session sends or drops it (one add
 * per drain or pump): a {@link LongAdder}, so every event loop writes its own cell. {@link #check()} sums it
 * when a thread has added {@link #CHECK_BYTES}, every {@link #CHECK_MILLIS} ms while over the high
 * mark and every {@link #SLOW_CHECK_MILLIS} ms otherwise, and flips
 * {@link #over()}, a volatile that publishers read once per socket read and target session. The
 * overshoot is what arrives between two checks: about {@link #CHECK_BYTES} per thread adding.
 *
 * <p><b>While over the high mark,</b> a publisher whose read handed messages to a session that is
 * falling behind (its loop has not yet drained earlier hand-offs, or its client has not taken what
 * is queued and the queue is not yet at its own bound) stops being read: until that session catches
 * up ({@link Session}) or the total falls below the low mark (here). Publishers to sessions that
 * keep up, and to sessions at their own bound (which drop rather than grow), go on. So do
 * publishers to stalled sessions (the client away, or taking nothing for {@link
 * BrokerConfig#outboundStallTimeout()}): those do not grow either, they drop by their policy.
 */
final class OutboundMemory {
  private static final Logger log = LoggerFactory.getLogger(OutboundMemory.class);
  static final long CHECK_MILLIS = 10;
  /** Below the high mark the total is also checked this often: for growth no thread's own 1 MiB caught. */
  static final long SLOW_CHECK_MILLIS = 1000;
  static final long CHECK_BYTES = 1024 * 1024;

  private final LongAdder bytes = new LongAdder();
  /** Per thread: bytes added since the thread last had the total checked. */
  private final FastThreadLocal<long[]> growthSinceCheck = new FastThreadLocal<>() {
    @Override
    protected long[] initialValue() {
      return new long[1];
    }
  };
  private final long high;
  private final long low;
  private final long stallNanos;
  /** {@link BrokerStats#stalledSessionDrops} when the total last went over the high mark. Guarded by this. */
  private long stalledDropsAtCrossing;
  private final BrokerStats stats;
  private volatile boolean over;
  /** Where the periodic checks run (the boss loop), once {@link #watch} has been called. */
  private java.util.concurrent.ScheduledExecutorService watcher;
  /** Whether the checks every {@link #CHECK_MILLIS} ms are scheduled (while over). Guarded by this. */
  private boolean fastChecks;
  /** Publishers paused while over, each once (see {@link ReadThrottle#afterRead}). */
  private final Queue<MqttConnection> paused = new ConcurrentLinkedQueue<>();

  OutboundMemory(BrokerConfig config, BrokerStats stats) {
    this.high = config.outboundHighWaterMark();
    this.low = config.outboundLowWaterMark();
    this.stallNanos = config.outboundStallTimeout().toNanos();
    this.stats = stats;
  }

  /**
   * Adds a change of the bytes held (negative when they leave). Any thread. A thread that has
   * added {@link #CHECK_BYTES} since it last did has the total checked at once.
   */
  void add(long delta) {
    bytes.add(delta);
    if (delta > 0) {
      long[] growth = growthSinceCheck.get();
      if ((growth[0] += delta) >= CHECK_BYTES) {
        growth[0] = 0;
        check();
      }
    }
  }

  /** {@link BrokerConfig#outboundStallTimeout()} in nanoseconds. */
  long stallNanos() {
    return stallNanos;
  }

  long bytes() {
    return bytes.sum();
  }

  /** Whether the bytes held were above the high mark at the last check and not yet below the low one. */
  boolean over() {
    return over;
  }

  /** Registers a paused publisher, resumed when the total falls below the low mark. Any thread. */
  void resumeBelowLowMark(MqttConnection c) {
    stats.publisherPauses.increment();
    paused.offer(c);
    if (!over) {
      resumeAll();
    }
  }

  /** A paused publisher closed: forgotten. Any thread. */
  void forget(MqttConnection c) {
    paused.remove(c);
  }

  /**
   * Starts the periodic checks on {@code exec} (the boss loop): every {@link #SLOW_CHECK_MILLIS} ms,
   * and every {@link #CHECK_MILLIS} ms while over the high mark, where only a check notices that the
   * total fell below the low mark and resumes the paused publishers. Below the mark, growth is
   * caught by the threads that add it ({@link #CHECK_BYTES} each), so an idle or unhurried broker
   * does not wake up a hundred times a second for it.
   */
  void watch(java.util.concurrent.ScheduledExecutorService exec) {
    synchronized (this) {
      watcher = exec;
    }
    exec.scheduleWithFixedDelay(this::check, SLOW_CHECK_MILLIS, SLOW_CHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * On the boss loop (see {@link #watch}), and by a thread that added {@link #CHECK_BYTES} since it
   * last asked (so a fast publisher is caught within about that much).
   */
  synchronized void check() {
    long b = bytes.sum();
    if (!over && b > high) {
      over = true;
      stats.highWaterMarkCrossings.increment();
      stalledDropsAtCrossing = stats.stalledSessionDrops();
      log.warn("Buffered outbound bytes {} over the high water mark {} (outbound_high_water_mark): publishers "
          + "to sessions that fall behind are no longer read until they catch up or it is below {}; sessions "
          + "whose client is away or has taken nothing for {} ms (outbound_stall_timeout) drop new messages "
          + "instead", b, high, low, TimeUnit.NANOSECONDS.toMillis(stallNanos));
      if (watcher != null && !fastChecks) {
        fastChecks = scheduleFastCheck();
      }
    } else if (over && b < low) {
      over = false;
      log.info("Buffered outbound bytes {} below the low water mark {}: every publisher is read again; {} "
          + "messages were dropped meanwhile for stalled sessions", b, low,
          stats.stalledSessionDrops() - stalledDropsAtCrossing);
      resumeAll();
    }
  }

  private synchronized void fastCheck() {
    check();
    fastChecks = over && scheduleFastCheck();
  }

  /** Whether the next fast check could be scheduled: not once the boss loop is shutting down. */
  private boolean scheduleFastCheck() {
    try {
      watcher.schedule(this::fastCheck, CHECK_MILLIS, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) { // the broker is stopping
      return false;
    }
  }

  private void resumeAll() {
    MqttConnection c;
    while ((c = paused.poll()) != null) {
      c.memoryRoom();
    }
  }
}
