package io.tern.bench;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Many steps of one kind (connect a client, subscribe a client) started one after the other with at
 * most {@code pending} unfinished at once and, optionally, at a fixed rate; with each step's time
 * from start to completion.
 *
 * <p>Also where the clients of {@code conns} and {@code subs} get their source address: with many
 * connections to one port, one source address runs out of ephemeral ports (about 28,000 on Linux),
 * so client {@code i} binds to {@code 127.0.0.(2 + i % sources)} (127.0.0.1 is left to everything else).
 */
final class Fleet {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private Fleet() {}

  /**
   * @param done steps that completed successfully
   * @param failed steps that failed or never completed before the deadline
   * @param firstFailure what the first failure said, or null
   * @param seconds from the first start to the last completion
   * @param latency nanoseconds from each successful step's start to its completion
   */
  record Outcome(int done, int failed, String firstFailure, double seconds, Histogram latency) {
    double perSecond() {
      return seconds <= 0 ? 0 : done / seconds;
    }

    Double micros(double percentile) {
      return latency.getTotalCount() == 0 ? null
          : Math.round(latency.getValueAtPercentile(percentile) / 100.0) / 10.0;
    }

    /** Several runs as one: their steps, failures, seconds and times added up. */
    static Outcome over(java.util.List<Outcome> runs) {
      Histogram latency = new Histogram(3);
      int done = 0;
      int failed = 0;
      double seconds = 0;
      String firstFailure = null;
      for (Outcome r : runs) {
        done += r.done;
        failed += r.failed;
        seconds += r.seconds;
        latency.add(r.latency);
        firstFailure = firstFailure != null ? firstFailure : r.firstFailure;
      }
      return new Outcome(done, failed, firstFailure, seconds, latency);
    }
  }

  /** How many source addresses {@code clients} connections use: {@code --sources}, or one per 5,000 (at least 4) on loopback. */
  static int sources(BenchOptions o, int clients) {
    if (o.sources() > 0) {
      return o.sources();
    }
    // One address per 5,000: ports of earlier runs linger in TIME_WAIT for a minute, and other
    // programs on the machine use 127.0.0.1 too (20,000 per address ran out in back-to-back runs).
    return isLoopback(o.host()) ? Math.min(254, Math.max(4, (clients + 4_999) / 5_000)) : 1;
  }

  /** The address client {@code i} binds to before connecting, or null to let the kernel choose. */
  static SocketAddress source(int i, int sources) {
    return sources <= 1 ? null : new InetSocketAddress("127.0.0." + (2 + i % sources), 0);
  }

  private static boolean isLoopback(String host) {
    return host.startsWith("127.") || host.equals("localhost");
  }

  /**
   * Starts {@code n} steps, {@code step.apply(i)} for each {@code i}, keeping at most {@code pending}
   * unfinished and starting no more than {@code rate} a second (0: no rate), and waits for them all
   * until {@code deadline} ({@link System#nanoTime()}). Progress goes to {@code progress} once a second.
   */
  static Outcome run(int n, int pending, long rate, IntFunction<CompletableFuture<?>> step, long deadline,
      String what, Consumer<String> progress) throws InterruptedException {
    Semaphore permits = new Semaphore(pending);
    long[] started = new long[n];
    long[] finished = new long[n];
    boolean[] succeeded = new boolean[n];
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstFailure = new AtomicReference<>();
    long start = System.nanoTime();
    long nextTick = start + SECOND;
    int launched = 0;
    for (int i = 0; i < n; i++) {
      long now = System.nanoTime();
      if (rate > 0) {
        long due = start + (long) (i * (double) SECOND / rate);
        if (due > now) {
          TimeUnit.NANOSECONDS.sleep(due - now);
        }
      }
      if (!permits.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        firstFailure.compareAndSet(null, "deadline: " + (i - ok.get() - failed.get()) + " " + what
            + " still pending, " + (n - i) + " not started");
        break;
      }
      int index = i;
      started[i] = System.nanoTime();
      CompletableFuture<?> f;
      try {
        f = step.apply(i);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      launched++;
      f.whenComplete((r, t) -> {
        finished[index] = System.nanoTime();
        if (t == null) {
          succeeded[index] = true;
          ok.incrementAndGet();
        } else {
          failed.incrementAndGet();
          Throwable c = t.getCause() != null ? t.getCause() : t;
          firstFailure.compareAndSet(null, c.getMessage() != null ? c.getMessage() : c.toString());
        }
        permits.release();
      });
      if (System.nanoTime() >= nextTick) {
        progress.accept(String.format(Locale.ROOT, "%s: %,d done, %,d failed, %,d started", what, ok.get(),
            failed.get(), i + 1));
        nextTick += SECOND;
      }
    }
    // Wait for the stragglers: all permits back means every started step has finished.
    permits.tryAcquire(pending, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    long last = start;
    for (int i = 0; i < launched; i++) {
      if (succeeded[i]) {
        last = Math.max(last, finished[i]);
        latency.recordValue(Math.min(Math.max(finished[i] - started[i], 0), latency.getHighestTrackableValue()));
      }
    }
    int good = ok.get();
    return new Outcome(good, n - good, firstFailure.get(), (last - start) / (double) SECOND, latency);
  }
}
