package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tern.broker.BrokerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When the broker-wide outbound total is checked: often while over the high mark, rarely below it. */
class OutboundMemoryTest {
  private static final long MIB = 1 << 20;

  /** The boss loop's part: records the delay of each check it is given, then runs it. */
  private final List<Long> delays = new CopyOnWriteArrayList<>();
  private final ScheduledThreadPoolExecutor boss = new ScheduledThreadPoolExecutor(1) {
    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      delays.add(unit.toMillis(delay));
      return super.schedule(task, delay, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit) {
      delays.add(unit.toMillis(delay));
      return super.scheduleWithFixedDelay(task, initialDelay, delay, unit);
    }
  };

  @AfterEach
  void stop() {
    boss.shutdownNow();
  }

  @Test
  void checkedEveryTenMillisecondsOnlyWhileOverTheHighMark() {
    OutboundMemory memory = new OutboundMemory(BrokerConfig.builder().outboundHighWaterMark(4 * MIB)
        .outboundLowWaterMark(2 * MIB).build(), new BrokerStats());
    memory.watch(boss);
    assertThat(delays).containsExactly(OutboundMemory.SLOW_CHECK_MILLIS); // below the mark: once a second

    memory.add(5 * MIB); // a thread's 1 MiB has it checked at once: over
    assertThat(memory.over()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> fastChecks() >= 5); // then checked every 10 ms

    memory.add(-4 * MIB); // below the low mark: only a check sees that
    await().atMost(Duration.ofSeconds(5)).until(() -> !memory.over());
    long fast = fastChecks();
    await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> true);
    assertThat(fastChecks()).isEqualTo(fast); // and the checks every 10 ms stopped

    memory.add(4 * MIB); // over again: they start again
    assertThat(memory.over()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> fastChecks() >= fast + 5);
  }

  @Test
  void aCrossingWhileTheBossLoopStopsIsStillSeenAndThrowsNothing() {
    OutboundMemory memory = new OutboundMemory(BrokerConfig.builder().outboundHighWaterMark(4 * MIB)
        .outboundLowWaterMark(2 * MIB).build(), new BrokerStats());
    memory.watch(boss);
    boss.shutdown(); // the broker stopping: a publisher's thread may still add

    memory.add(5 * MIB);

    assertThat(memory.over()).isTrue();
  }

  private long fastChecks() {
    return delays.stream().filter(d -> d == OutboundMemory.CHECK_MILLIS).count();
  }
}
