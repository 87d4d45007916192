package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
import io.tern.codec.Publish;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A session's bytes: the queued-bytes bound, the broker-wide total, and pauses for memory. */
class SessionMemoryTest {
  private final EventLoop loop = new DefaultEventLoop();

  @AfterEach
  void stopLoop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  /** {@code n} deliveries of {@code n} messages of {@code size} bytes each (topic "t" and payload). */
  private static ArrayList<Delivery> batch(int n, int size) {
    ArrayList<Delivery> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new Delivery(new Message(new Publish("t", new byte[size - 1]), null, 0), 1, false, List.of()));
    }
    return list;
  }

  /** A delivery of each of {@code messages}, as routing makes them for one session. */
  private static ArrayList<Delivery> deliveries(List<Message> messages) {
    ArrayList<Delivery> list = new ArrayList<>(messages.size());
    for (Message m : messages) {
      list.add(new Delivery(m, 1, false, List.of()));
    }
    return list;
  }

  private static BrokerCore core(java.util.function.Consumer<BrokerConfig.Builder> settings) {
    BrokerConfig.Builder b = BrokerConfig.builder().maxQueuedMessages(100_000);
    settings.accept(b);
    return new BrokerCore(b.build());
  }

  @Test
  void anOfflineSessionHoldsAtMostMaxQueuedBytesAndCountsTheDrops() {
    BrokerCore core = core(b -> b.maxQueuedBytes(10_000));
    Session s = new Session("s", core, loop, true, null);
    s.enqueueAll(batch(25, 1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> s.queuedCount() == 10);
    assertThat(s.droppedCount()).isEqualTo(15);
    assertThat(core.stats().queuedBytesDrops()).isEqualTo(15);
    assertThat(core.stats().messagesDropped()).isEqualTo(15);
    assertThat(core.bufferedOutboundBytes()).isEqualTo(10_000);
  }

  @Test
  void theBrokerTotalFollowsQueuesAndReturnsToZeroWhenSessionsEnd() throws Exception {
    BrokerCore core = core(b -> {});
    Session a = new Session("a", core, loop, true, null);
    Session b = new Session("b", core, loop, true, null);
    a.enqueueAll(batch(30, 100));
    b.enqueueAll(batch(5, 2000));
    await().atMost(Duration.ofSeconds(5)).until(() -> core.bufferedOutboundBytes() == 30 * 100 + 5 * 2000);
    loop.submit(a.lifecycle::terminate).get(5, TimeUnit.SECONDS);
    assertThat(core.bufferedOutboundBytes()).isEqualTo(5 * 2000);
    loop.submit(b.lifecycle::terminate).get(5, TimeUnit.SECONDS);
    assertThat(core.bufferedOutboundBytes()).isZero();
  }

  @Test
  void aMessageOfAKilobyteOrMoreCountsOnceHoweverManySessionsQueueItAndSmallerOnesOncePerSession() throws Exception {
    BrokerCore core = core(b -> {});
    List<Message> large = new ArrayList<>();
    List<Message> small = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      large.add(new Message(new Publish("t", new byte[Message.COUNTED_ONCE_FROM * 10 - 1]), null, 0));
      small.add(new Message(new Publish("t", new byte[99]), null, 0));
    }
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < 50; i++) { // offline persistent sessions: they keep what they are given
      Session s = new Session("s" + i, core, loop, true, null);
      s.enqueueAll(deliveries(large));
      s.enqueueAll(deliveries(small));
      sessions.add(s);
    }
    long largeOnce = 10L * Message.COUNTED_ONCE_FROM * 10;
    await().atMost(Duration.ofSeconds(5)).until(() -> sessions.stream().allMatch(s -> s.queuedCount() == 20));
    assertThat(core.bufferedOutboundBytes()).as("the large messages once, the small ones per session")
        .isEqualTo(largeOnce + 50 * 10 * 100);
    assertThat(sessions.get(0).queuedBytes()).as("a session's own bound counts all it queues")
        .isEqualTo(largeOnce + 10 * 100);
    for (int i = 0; i < 49; i++) {
      loop.submit(sessions.get(i).lifecycle::terminate).get(5, TimeUnit.SECONDS);
    }
    assertThat(core.bufferedOutboundBytes()).as("one session still holds the large messages")
        .isEqualTo(largeOnce + 10 * 100);
    loop.submit(sessions.get(49).lifecycle::terminate).get(5, TimeUnit.SECONDS);
    assertThat(core.bufferedOutboundBytes()).isZero();
  }

  @Test
  void overTheHighWaterMarkAPublisherToALaggingSessionPausesUntilTheTotalFallsBelowTheLowMark() throws Exception {
    BrokerCore core = core(b -> b.outboundHighWaterMark(10_000).outboundLowWaterMark(5_000));
    Session lagging = new Session("lagging", core, loop, true, null);
    lagging.onlineWithoutConnection();
    assertThat(lagging.enqueueAll(batch(20, 1000))).as("under the high mark").isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> core.bufferedOutboundBytes() == 20_000);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isTrue();

    assertThat(lagging.enqueueAll(batch(1, 1000))).as("over the mark, to a session that lags").isTrue();
    AtomicBoolean resumed = new AtomicBoolean();
    lagging.resumeWhenCaughtUp(() -> resumed.set(true));
    assertThat(resumed).as("the session still lags and the broker is over its mark").isFalse();

    loop.submit(lagging.lifecycle::terminate).get(5, TimeUnit.SECONDS); // its queue goes: the total falls
    await().atMost(Duration.ofSeconds(5)).untilTrue(resumed);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isFalse();
  }

  @Test
  void overTheHighWaterMarkAPublisherWhoseSessionLoopIsBusyStaysPausedUntilTheLoopHasDrained() throws Exception {
    BrokerCore core = core(b -> b.outboundHighWaterMark(10_000).outboundLowWaterMark(5_000));
    Session s = new Session("busy", core, loop, true, null);
    s.onlineWithoutConnection();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    loop.execute(() -> { // the session's loop is busy with something else (or waits for a core)
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    s.enqueueAll(batch(20, 1000));
    core.memory().check();
    assertThat(core.overHighWaterMark()).isTrue();
    // Nothing handed over has been drained, so nothing is queued and the session does not lag yet:
    // the loop being behind is what pauses the publisher, and resuming must wait for that loop.
    assertThat(s.enqueueAll(batch(1, 1000))).as("over the mark, the loop behind").isTrue();
    AtomicBoolean resumed = new AtomicBoolean();
    s.resumeWhenCaughtUp(() -> resumed.set(true));
    assertThat(resumed).as("resumed while the loop had not drained what it was given").isFalse();

    release.countDown();
    loop.submit(() -> { }).get(5, TimeUnit.SECONDS); // drained: 21 messages queued, no client takes them
    assertThat(resumed).as("the session lags and the broker is still over its mark").isFalse();
    loop.submit(s.lifecycle::terminate).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).untilTrue(resumed);
  }

  @Test
  void overTheHighWaterMarkAPublisherPausedForAClientThatTakesNothingGoesOnAfterTheStallTimeout() throws Exception {
    BrokerCore core = core(b -> b.outboundHighWaterMark(10_000).outboundLowWaterMark(5_000)
        .outboundStallTimeout(Duration.ofMillis(300)));
    Session s = new Session("stuck", core, loop, true, null);
    long start = System.nanoTime(); // before its client last took something (it had nothing queued)
    s.onlineWithoutConnection();
    s.enqueueAll(batch(20, 1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> core.bufferedOutboundBytes() == 20_000);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isTrue();
    assertThat(s.enqueueAll(batch(1, 1000))).as("over the mark, not yet stalled").isTrue();
    AtomicBoolean resumed = new AtomicBoolean();
    s.resumeWhenCaughtUp(() -> resumed.set(true));
    assertThat(resumed).isFalse();

    // Nothing changes in the session: only its stall check lets the publisher go.
    await().atMost(Duration.ofSeconds(5)).untilTrue(resumed);
    assertThat(System.nanoTime() - start).as("not before the stall timeout")
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
    assertThat(s.queuedCount()).isEqualTo(21);
    // Stalled: it pauses nobody, and its queue does not grow (drop_new: the newcomers go).
    assertThat(s.enqueueAll(batch(5, 1000))).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().stalledSessionDrops() == 5);
    assertThat(s.queuedCount()).isEqualTo(21);
    assertThat(s.droppedCount()).isEqualTo(5);
    assertThat(core.bufferedOutboundBytes()).isEqualTo(21_000);
  }

  @Test
  void overTheHighWaterMarkAnOfflineSessionPausesNobodyAndDoesNotGrow() throws Exception {
    BrokerCore core = core(b -> b.outboundHighWaterMark(10_000).outboundLowWaterMark(5_000)
        .dropPolicy(DropPolicy.DROP_OLDEST));
    Session away = new Session("away", core, loop, true, null);
    away.enqueueAll(batch(20, 1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> core.bufferedOutboundBytes() == 20_000);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isTrue();
    assertThat(away.enqueueAll(batch(3, 1000))).as("its client cannot catch up: no pause").isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().stalledSessionDrops() == 3);
    assertThat(away.queuedCount()).as("drop_oldest: the oldest made room").isEqualTo(20);
    assertThat(core.bufferedOutboundBytes()).isEqualTo(20_000);

    loop.submit(away.lifecycle::terminate).get(5, TimeUnit.SECONDS);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isFalse();
    // Below the low mark it queues again.
    Session next = new Session("next", core, loop, true, null);
    next.enqueueAll(batch(3, 1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> next.queuedCount() == 3);
    assertThat(core.stats().stalledSessionDrops()).isEqualTo(3);
  }

  @Test
  void overTheHighWaterMarkPublishersToASessionAtItsOwnBoundAreNotPaused() throws Exception {
    BrokerCore core = core(b -> b.outboundHighWaterMark(10_000).maxQueuedMessages(20)
        .dropPolicy(DropPolicy.DROP_OLDEST));
    Session full = new Session("full", core, loop, true, null);
    full.enqueueAll(batch(20, 1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> core.bufferedOutboundBytes() == 20_000);
    core.memory().check();
    assertThat(core.overHighWaterMark()).isTrue();
    // At its bound, the queue drops rather than grows: feeding it does not take more memory.
    assertThat(full.enqueueAll(batch(5, 1000))).isFalse();
    // Not lagging: a publisher that waited on it would go on as soon as its loop has taken the batch.
    AtomicBoolean resumed = new AtomicBoolean();
    full.resumeWhenCaughtUp(() -> resumed.set(true));
    await().atMost(Duration.ofSeconds(5)).untilTrue(resumed);
  }

  @Test
  void dropsOfWholeBatchesAtTheMessageBoundAreLoggedWhenTheyHappen() throws Exception {
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    withSessionLog(lines, () -> {
      BrokerCore core = core(b -> b.maxQueuedMessages(10));
      Session s = new Session("stuck", core, loop, true, null);
      s.enqueueAll(batch(10, 1000));
      await().atMost(Duration.ofSeconds(5)).until(() -> s.queuedCount() == 10);
      for (int i = 0; i < 5; i++) {
        assertThat(s.enqueueAll(batch(3, 1000))).isFalse(); // refused whole: nothing is handed over
      }
      assertThat(s.droppedCount()).isEqualTo(15);
      await().atMost(Duration.ofSeconds(5)).until(() -> !lines.isEmpty());
      loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
      assertThat(lines).singleElement().asString().startsWith("Client stuck: queue full (10 messages, 10000 bytes");
    });
  }

  private static void withSessionLog(List<String> lines, ThrowingRunnable body) throws Exception {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Session.class);
    ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> appender =
        new ch.qos.logback.core.AppenderBase<>() {
          @Override
          protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
            lines.add(e.getFormattedMessage());
          }
        };
    appender.start();
    ch.qos.logback.classic.Level level = logger.getLevel();
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    logger.addAppender(appender);
    try {
      body.run();
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(level);
    }
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void aBurstOfDropsIsLoggedOnceNotPerMessage() throws Exception {
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    withSessionLog(lines, () -> {
      BrokerCore core = core(b -> b.maxQueuedBytes(10_000));
      Session s = new Session("bursty", core, loop, true, null);
      for (int i = 0; i < 50; i++) {
        s.enqueueAll(batch(20, 1000)); // 50 batches, each over the bound: 990 drops
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> s.droppedCount() == 50 * 20 - 10);
      loop.submit(() -> { }).get(5, TimeUnit.SECONDS); // the last drain has run
      assertThat(lines).singleElement().asString().startsWith("Client bursty: queue full (10 messages, 10000 bytes");
    });
  }
}
