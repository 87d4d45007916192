package io.tern.broker.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The publishers that stopped reading for one {@link Session} ({@link Session#handOver} told them
 * to: its loop far behind, its queue half full of QoS 1/2 messages its connected client takes too
 * slowly, or the broker over its outbound high water mark while this session's client falls
 * behind), and when they go on: once the session has caught up ({@link #caughtUp}), or has become
 * stalled, which the stall check finds. Owns the
 * resumes of the paused publishers and whether a stall check is scheduled. Made by the first pause
 * for the session, by any thread ({@link Session#resumeWhenCaughtUp}, a CAS on the session's
 * field); a session whose publishers never pause has none. {@link #add}, {@link #scheduleStallCheck}
 * and {@link #resumeAll} run on any thread (the publishers' loops), the rest on the session's loop.
 */
final class PausedPublishers {
  private final Session session;
  /**
   * Rarely used (only under loop overload), so a plain lock-free linked queue: a JCTools queue is a
   * padded ~600-byte object, too much to keep per idle connection.
   */
  private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
  /** Whether a {@link #stallCheck} is scheduled (at most one). */
  private volatile boolean stallCheckScheduled;
  private static final java.lang.invoke.VarHandle STALL_CHECK;

  static {
    try {
      STALL_CHECK = java.lang.invoke.MethodHandles.lookup()
          .findVarHandle(PausedPublishers.class, "stallCheckScheduled", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  PausedPublishers(Session session) {
    this.session = session;
  }

  /**
   * A publisher that {@link Session#enqueueAll} told to wait: it is resumed once the session has
   * caught up. Checks again after registering, so a drain that finished meanwhile is not missed.
   * Any thread.
   */
  void add(Runnable resume) {
    waiting.offer(resume);
    if (caughtUp(session.lagging)) {
      resumeAll();
    } else if (stallMatters()) {
      scheduleStallCheck();
    }
  }

  /** Whether no publisher waits for the session. Any thread. */
  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /**
   * While a publisher is paused for this session: checks on the loop, once the stall timeout has
   * passed since the client last took a message, whether it has become stalled (then the
   * publishers go on, and it drops instead). Only queue changes look again otherwise, and a stalled
   * session has none. Any thread.
   */
  private void scheduleStallCheck() {
    if (!stallCheckScheduled && STALL_CHECK.compareAndSet(this, false, true)) {
      long wait = session.progressNanos() + session.core.memory().stallNanos() - System.nanoTime();
      try {
        session.loop.schedule(this::stallCheck, Math.max(wait, 0) + 1_000_000, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        stallCheckScheduled = false; // the broker is stopping
      }
    }
  }

  /**
   * Whether the publishers wait for this session's client (its queue, or the broker over its high
   * water mark), which its stalling ends; not for its loop alone (a backlog), which a stall does not.
   */
  private boolean stallMatters() {
    return session.core.memory().over() || !session.hasRoomForPublishers();
  }

  private void stallCheck() {
    stallCheckScheduled = false;
    if (waiting.isEmpty() || session.terminated) {
      return;
    }
    session.afterQueueChange(); // stalled: it no longer lags, and the publishers paused for it go on
    if (!waiting.isEmpty() && stallMatters()) {
      scheduleStallCheck();
    }
  }

  /**
   * Whether a publisher paused for this session may go on. While the broker is over its high water
   * mark, only once this loop has drained every hand-off and the client is not lagging: the same
   * test that paused it ({@link Session#handOver}). Resuming at a backlog of a few messages instead let a
   * publisher whose reads outran a busy session loop go on reading, batch after batch, before that
   * loop had queued (and so counted as lagging) what it had been given: the way MemoryBoundsTest
   * saw 8 and 24 MiB held against a 4 MiB mark, in two full test runs on a loaded 2-core machine.
   */
  boolean caughtUp(boolean lags) {
    if (session.core.memory().over()) {
      return session.backlog == 0 && !lags && session.hasRoomForPublishers();
    }
    return session.backlog <= Session.BACKLOG_LOW && session.hasRoomForPublishers();
  }

  /** Resumes every paused publisher. Any thread. */
  void resumeAll() {
    Runnable r;
    while ((r = waiting.poll()) != null) {
      r.run();
    }
  }
}
