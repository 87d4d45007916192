package io.tern.broker.internal;

import io.tern.broker.MqttMessage;
import io.tern.broker.Rule;
import io.tern.broker.RuleHandler;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DropReason;
import io.tern.codec.Topics;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rules: in-process subscribers. Each rule is a subscription in the trie like a client's, held by
 * a session of its own that no connection ever attaches to; the session hands what routing gives it
 * to the rule's bounded queue instead of queueing it for a client (see {@link Session#enqueue}), and
 * a thread per rule runs the handler while the broker runs ({@link #startThreads}, {@link
 * #stopThreads}: a rule outlives a stop, its thread does not). Routing cost is shared with the
 * clients' subscriptions.
 */
final class Rules {
  static final int QUEUE_CAPACITY = 10_000;

  private final BrokerCore core;
  /** The rules not removed, and whether the broker runs: under this object's lock. */
  private final java.util.Set<RuleSink> sinks = new java.util.HashSet<>();
  private boolean running;

  Rules(BrokerCore core) {
    this.core = core;
  }

  /** The broker started: every rule's thread runs (what was queued while it was stopped goes first). */
  synchronized void startThreads() {
    running = true;
    for (RuleSink s : sinks) {
      s.startThread();
    }
  }

  /**
   * The broker stopped: every rule's thread ends (waited for outside the lock: a handler may be
   * removing its rule); the rules and what they had queued stay. A handler that is running is let
   * finish its message, as the {@link Rule} Javadoc promises: waited for at most {@link
   * RuleSink#JOIN_MILLIS} in all, then interrupted (and no longer waited for).
   */
  void stopThreads() {
    List<Thread> ending = new java.util.ArrayList<>();
    synchronized (this) {
      running = false;
      for (RuleSink s : sinks) {
        ending.add(s.endThread(false));
      }
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(RuleSink.JOIN_MILLIS);
    for (Thread t : ending) {
      RuleSink.join(t, Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    for (Thread t : ending) {
      if (t != null && t != Thread.currentThread() && t.isAlive()) {
        t.interrupt();
      }
    }
  }

  Rule add(String filter, int qos, RuleHandler handler) {
    if (!Topics.isValidFilter(filter) || Topics.isShared(filter)) {
      throw new IllegalArgumentException("invalid topic filter for a rule: '" + filter + "'");
    }
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("QoS " + qos);
    }
    RuleSink sink = new RuleSink(filter, qos, handler, core, this);
    synchronized (this) {
      sinks.add(sink);
      sink.subscribe();
      if (running) {
        sink.startThread();
      }
    }
    return sink;
  }

  /** The receiving end of a rule: its session's deliveries go to {@link #offer}. */
  static final class RuleSink implements Rule {
    private final String filter;
    private final int qos;
    private final RuleHandler handler;
    private final BrokerCore core;
    private final BlockingQueue<Delivery> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    /**
     * The bytes queued ({@link Message#size}), bounded by {@link #maxBytes} and counted in the
     * broker's outbound memory: a handler that waited (a database down) with 1 MB messages arriving
     * took a 512 MB heap to an OutOfMemoryError in ~250 messages, where a stalled MQTT subscriber is
     * held at the outbound high water mark.
     */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long maxBytes;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Rules rules;
    private final Session session;
    /** The handler's thread while the broker runs; null while it is stopped. Changed under {@code rules}' lock. */
    private volatile Thread thread;
    private volatile boolean removed;
    /** Whether the thread is in the handler (not waiting for a message): under this sink's lock. */
    private boolean handling;

    RuleSink(String filter, int qos, RuleHandler handler, BrokerCore core, Rules rules) {
      this.filter = filter;
      this.qos = qos;
      this.handler = handler;
      this.core = core;
      this.rules = rules;
      this.maxBytes = Math.max(1L << 20, core.config().outboundHighWaterMark() / 4);
      this.session = Session.forRule("$rule/" + filter, core, this);
    }

    void subscribe() {
      core.subscriptions().subscribe(Subscriber.of(session, filter, qos, false, false, 2, 0));
    }

    void startThread() {
      if (thread == null && !removed) {
        Thread t = new Thread(this::run, "tern-rule " + filter);
        t.setDaemon(true);
        thread = t;
        t.start();
      }
    }

    /** How long a stop or a remove waits for a running handler. */
    static final long JOIN_MILLIS = 5000;

    /**
     * Tells the handler's thread to end (under {@code rules}' lock); returns it, or null, to {@link
     * #join}. A thread waiting for a message is woken; a running handler is interrupted only when
     * {@code interruptHandler} (a remove), else it finishes its message and the thread ends after it.
     */
    synchronized Thread endThread(boolean interruptHandler) {
      Thread t = thread;
      thread = null;
      if (t != null && (interruptHandler || !handling)) {
        t.interrupt();
      }
      return t;
    }

    /** Waits (up to {@code millis}) for a thread {@link #endThread} ended; not for the calling thread itself. */
    static void join(Thread t, long millis) {
      if (t != null && Thread.currentThread() != t) {
        try {
          t.join(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** From the publishing thread: never blocks; drops (counted) when the queue is full. */
    void offer(Delivery d) {
      if (removed) {
        return;
      }
      int size = d.message().size();
      if (queuedBytes.get() + size > maxBytes || !queue.offer(d)) {
        dropped.incrementAndGet();
        core.stats().messagesDropped.increment();
        if (core.events().active()) {
          core.events().emit(new BrokerEvent.MessageDropped(System.currentTimeMillis(), session.clientId,
              d.message().topic(), d.qos(), DropReason.RULE_QUEUE_FULL, 1));
        }
        return;
      }
      queuedBytes.addAndGet(size);
      core.memory().add(size);
    }

    private void taken(Delivery d) {
      int size = d.message().size();
      queuedBytes.addAndGet(-size);
      core.memory().add(-size);
    }

    void offerAll(List<Delivery> batch) {
      for (int i = 0, n = batch.size(); i < n; i++) {
        offer(batch.get(i));
      }
    }

    private void run() {
      Thread self = Thread.currentThread();
      // Until removed or stopped (the thread no longer this one, even if the handler swallowed
      // the interrupt); a message taken is always handed over, so a stop loses none.
      while (!removed && thread == self) {
        Delivery d;
        try {
          d = queue.take();
        } catch (InterruptedException e) {
          return;
        }
        taken(d);
        synchronized (this) {
          handling = true;
          if (thread != self && !removed) {
            // A stop woke the take that had just returned: the message taken is handled, uninterrupted.
            Thread.interrupted();
          }
        }
        Message m = d.message();
        MqttMessage view = MqttMessage.wrap(m.publish().withDelivery(d.qos(), m.retain(), false, 0));
        delivered.incrementAndGet(); // handed over: counted while the handler runs too
        try {
          handler.onMessage(view);
        } catch (Throwable e) {
          UserCode.rethrowFatal(e); // an assertion in a handler ends neither the rule's thread nor the rule
          core.hooks().failedOther(this, "Rule " + filter + ": its handler failed on a message to " + m.topic(),
              "counted in hookFailures; the rule goes on", e);
        }
        synchronized (this) {
          handling = false;
        }
      }
    }

    @Override
    public String filter() {
      return filter;
    }

    @Override
    public int qos() {
      return qos;
    }

    @Override
    public long delivered() {
      return delivered.get();
    }

    @Override
    public long dropped() {
      return dropped.get();
    }

    @Override
    public void remove() {
      if (removed) {
        return;
      }
      removed = true;
      core.subscriptions().unsubscribe(session, filter);
      Thread t;
      synchronized (rules) {
        rules.sinks.remove(this);
        t = endThread(true);
      }
      join(t, JOIN_MILLIS);
      List<Delivery> left = new java.util.ArrayList<>();
      queue.drainTo(left);
      left.forEach(this::taken);
    }

    @Override
    public String toString() {
      return "rule " + filter + " (QoS " + qos + ")";
    }
  }
}
