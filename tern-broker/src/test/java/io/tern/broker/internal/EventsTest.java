package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.SessionEndCause;
import io.tern.broker.testsupport.LogCapture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventsTest {
  /** Dropped events are counted and said once in the log, not once per event. */
  @Test
  void eventsDroppedBehindASlowListenerAreCountedAndLoggedOnce() throws Exception {
    Events events = new Events();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    events.add(e -> {
      blocked.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    });
    try (LogCapture log = LogCapture.of(Events.class.getName(), Level.WARN)) {
      BrokerEvent e = new BrokerEvent.SessionEnded(0, "c", SessionEndCause.values()[0]);
      events.emit(e);
      assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < Events.CAPACITY + 100; i++) {
        events.emit(e);
      }
      assertThat(events.dropped()).isEqualTo(100);
      assertThat(log.messages()).hasSize(1);
      assertThat(log.messages().get(0)).contains("events are dropped");
    } finally {
      release.countDown();
      events.close();
    }
  }
}
