package io.tern.broker.internal;

import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fixed set of counters written on the per-message path: each event loop thread adds to a block
 * of its own with plain writes (no atomic instruction, no shared cache line), any other thread to
 * a {@link LongAdder}; a read sums them. Four LongAdder adds per message (messages and payload bytes,
 * in and out) were 12% of the broker's CPU samples in QoS 0 fan-in (JFR, two loops adding to the
 * same adders).
 *
 * <p>A read may miss the very latest adds of a loop (they are plain writes, read with opaque
 * semantics): the figures are for metrics, not for decisions. When a loop thread ends (the broker
 * stops), its counts move to the adders and its block is dropped, so threads that come and go do
 * not accumulate blocks.
 */
final class StripedCounters {
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  /** Longs left empty before and after a block's counters: blocks of two loops never share a cache line. */
  private static final int PAD = 8;

  private final int size;
  private final LongAdder[] others;
  private final CopyOnWriteArrayList<long[]> blocks = new CopyOnWriteArrayList<>();
  private final FastThreadLocal<long[]> local = new FastThreadLocal<>() {
    @Override
    protected long[] initialValue() {
      long[] b = new long[size + 2 * PAD];
      blocks.add(b);
      return b;
    }

    @Override
    protected void onRemoval(long[] b) {
      for (int i = 0; i < size; i++) {
        others[i].add((long) LONGS.getOpaque(b, PAD + i));
      }
      blocks.remove(b); // after the move: a sum meanwhile may count it twice, never miss it
    }
  };

  StripedCounters(int size) {
    this.size = size;
    this.others = new LongAdder[size];
    for (int i = 0; i < size; i++) {
      others[i] = new LongAdder();
    }
  }

  void add(int i, long n) {
    if (Thread.currentThread() instanceof FastThreadLocalThread) {
      long[] b = local.get();
      b[PAD + i] += n;
    } else {
      others[i].add(n);
    }
  }

  /** Adds 1 to counter {@code i} and {@code n} to counter {@code j}: the usual pair (messages, bytes). */
  void add2(int i, int j, long n) {
    if (Thread.currentThread() instanceof FastThreadLocalThread) {
      long[] b = local.get();
      b[PAD + i]++;
      b[PAD + j] += n;
    } else {
      others[i].increment();
      others[j].add(n);
    }
  }

  long sum(int i) {
    long n = others[i].sum();
    for (long[] b : blocks) {
      n += (long) LONGS.getOpaque(b, PAD + i);
    }
    return n;
  }
}
