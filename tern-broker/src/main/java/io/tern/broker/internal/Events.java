package io.tern.broker.internal;

import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.EventListener;
import io.tern.broker.hook.Registration;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands {@link BrokerEvent}s to the {@link EventListener}s on one thread of their own, through a
 * bounded queue: an event loop that emits pays one volatile read when nobody listens, one queue
 * offer otherwise, and never waits for a listener. Full queue: the event is dropped and counted.
 */
public final class Events {
  private static final Logger log = LoggerFactory.getLogger(Events.class);
  static final int CAPACITY = 65_536;

  private volatile EventListener[] listeners = new EventListener[0];
  private final BlockingQueue<BrokerEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
  final LongAdder dropped = new LongAdder();
  private Thread thread;
  private volatile boolean closed;

  /** Whether anybody listens: emitters test this before building an event. */
  public boolean active() {
    return listeners.length != 0;
  }

  public long dropped() {
    return dropped.sum();
  }

  public synchronized Registration add(EventListener l) {
    EventListener[] copy = Arrays.copyOf(listeners, listeners.length + 1);
    copy[listeners.length] = l;
    listeners = copy;
    if (thread == null) {
      thread = new Thread(this::run, "tern-events");
      thread.setDaemon(true);
      thread.start();
    }
    return () -> remove(l);
  }

  private synchronized void remove(EventListener l) {
    listeners = Arrays.stream(listeners).filter(x -> x != l).toArray(EventListener[]::new);
  }

  /** Queues an event for the listeners. Any thread, never blocks. */
  public void emit(BrokerEvent e) {
    if (listeners.length == 0) {
      return;
    }
    if (!queue.offer(e)) {
      dropped.increment();
      long now = System.nanoTime();
      long due = nextDropWarning.get();
      if (now - due >= 0 && nextDropWarning.compareAndSet(due, now + DROP_WARNING_NANOS)) {
        log.warn("Event listeners are {} events behind: events are dropped ({} since start, Broker.eventsDropped();"
            + " at most one such line a minute)", CAPACITY, dropped.sum());
      }
    }
  }

  /** At most one warning a minute about dropped events. */
  private static final long DROP_WARNING_NANOS = TimeUnit.MINUTES.toNanos(1);
  private final java.util.concurrent.atomic.AtomicLong nextDropWarning =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

  /** Delivers an event on the calling thread, after what is queued (broker started / stopping). */
  public void emitNow(BrokerEvent e) {
    if (listeners.length == 0) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (!queue.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.yield();
    }
    deliver(e);
  }

  private void run() {
    while (!closed || !queue.isEmpty()) {
      BrokerEvent e;
      try {
        e = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException ie) {
        return;
      }
      if (e != null) {
        deliver(e);
      }
    }
  }

  private void deliver(BrokerEvent e) {
    for (EventListener l : listeners) {
      try {
        l.onEvent(e);
      } catch (Throwable ex) {
        UserCode.rethrowFatal(ex);
        if (failedOnce.add(l)) {
          log.warn("Event listener {} failed on {} (it goes on getting events; later failures are logged at debug)",
              l, e, ex);
        } else {
          log.debug("Event listener {} failed on {}: {}", l, e, ex.toString());
        }
      }
    }
  }

  /** Listeners whose failure was logged with its stack trace (once each: one per event could flood the log). */
  private final java.util.Set<EventListener> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Lets the thread deliver what is queued (at most ~2 s), then end. */
  public synchronized void close() {
    closed = true;
    Thread t = thread;
    thread = null;
    if (t != null) {
      try {
        t.join(2000);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** After {@link #close()}: a new start of the broker delivers events again. */
  public synchronized void reopen() {
    closed = false;
    if (thread == null && listeners.length != 0) {
      thread = new Thread(this::run, "tern-events");
      thread.setDaemon(true);
      thread.start();
    }
  }
}
