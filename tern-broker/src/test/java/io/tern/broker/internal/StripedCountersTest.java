package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.Test;

class StripedCountersTest {
  @Test
  void addsFromLoopThreadsAndOtherThreadsAllCountAndSurviveTheLoopThreadsEnd() throws Exception {
    StripedCounters c = new StripedCounters(3);
    // Netty's thread factory makes FastThreadLocalThreads (as the event loops are), which clean up
    // their FastThreadLocals when they end.
    DefaultThreadFactory loops = new DefaultThreadFactory("test-loop");
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = loops.newThread(() -> {
        for (int i = 0; i < 100_000; i++) {
          c.add2(0, 1, 64);
        }
        c.add(2, 5);
        assertThat(c.sum(2)).isGreaterThanOrEqualTo(5); // its own adds are visible to itself at once
      });
    }
    Thread other = new Thread(() -> {
      for (int i = 0; i < 1000; i++) {
        c.add2(0, 1, 1);
      }
    });
    for (Thread t : threads) {
      t.start();
    }
    other.start();
    for (Thread t : threads) {
      t.join();
    }
    other.join();
    assertThat(c.sum(0)).isEqualTo(4 * 100_000 + 1000);
    assertThat(c.sum(1)).isEqualTo(4 * 100_000 * 64L + 1000);
    assertThat(c.sum(2)).isEqualTo(4 * 5);
  }

  @Test
  void aLiveLoopThreadsCountsAreReadFromAnotherThread() throws Exception {
    StripedCounters c = new StripedCounters(1);
    java.util.concurrent.CountDownLatch added = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    Thread loop = new DefaultThreadFactory("test-loop").newThread(() -> {
      c.add(0, 42);
      added.countDown();
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    loop.start();
    added.await();
    assertThat(c.sum(0)).isEqualTo(42);
    done.countDown();
    loop.join();
    assertThat(c.sum(0)).isEqualTo(42);
  }
}
