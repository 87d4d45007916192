package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.tern.broker.BrokerConfig;
import io.tern.codec.Publish;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hand-off contract of a session: bounded queue, and a backlog signal only for loop overload. */
class SessionBacklogTest {
  private final EventLoop loop = new DefaultEventLoop();
  private final BrokerCore core = new BrokerCore(BrokerConfig.builder().maxQueuedMessages(100_000).build());

  @AfterEach
  void stopLoop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private static ArrayList<Delivery> batch(int n, int qos) {
    Message m = new Message(new Publish("t", new byte[1]), null, 0);
    ArrayList<Delivery> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new Delivery(m, qos, false, List.of()));
    }
    return list;
  }

  @Test
  void aBusyLoopAsksPublishersToPauseAndResumesThemOnceItCatchesUp() throws Exception {
    Session s = new Session("s", core, loop, true, null);
    CountDownLatch release = new CountDownLatch(1);
    loop.execute(() -> {
      try {
        release.await(); // the session's loop is busy elsewhere
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(s.enqueueAll(batch(1000, 1))).as("small backlog").isFalse();
    assertThat(s.enqueueAll(batch(Session.BACKLOG_HIGH, 1))).as("backlog above the high mark").isTrue();
    AtomicBoolean resumed = new AtomicBoolean();
    s.resumeWhenCaughtUp(() -> resumed.set(true));
    assertThat(resumed).isFalse();

    release.countDown(); // the loop drains the mailbox into the (offline) session's queue
    await().atMost(Duration.ofSeconds(5)).untilTrue(resumed);
    assertThat(s.queuedCount()).isEqualTo(1000 + Session.BACKLOG_HIGH);
  }

  @Test
  void aPublisherRegisteringAfterTheDrainIsResumedAtOnce() {
    Session s = new Session("s", core, loop, true, null);
    s.enqueueAll(batch(10, 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      AtomicBoolean resumed = new AtomicBoolean();
      s.resumeWhenCaughtUp(() -> resumed.set(true));
      return resumed.get();
    });
  }

  @Test
  void theQueueBoundDropsTheNewestOfABatchAndCountsThem() throws Exception {
    BrokerCore small = new BrokerCore(BrokerConfig.builder().maxQueuedMessages(10).build());
    Session s = new Session("s", small, loop, true, null);
    s.enqueueAll(batch(25, 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> s.queuedCount() == 10);
    assertThat(s.droppedCount()).isEqualTo(15);
    assertThat(small.stats().messagesDropped()).isEqualTo(15);
  }

  @Test
  void qos0IsNotQueuedForAnOfflineSession() {
    Session s = new Session("s", core, loop, true, null);
    s.enqueueAll(batch(5, 0));
    s.enqueue(batch(1, 0).get(0));
    assertThat(s.queuedCount()).isZero();
  }
}
