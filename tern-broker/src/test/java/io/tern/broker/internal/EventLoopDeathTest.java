package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An event loop whose thread ends while the broker runs (an Error escaping it, such as an
 * OutOfMemoryError thrown again while the first was handled) leaves its connections unanswered for
 * good: it is said, once, and told to the broker's fatal handler (the standalone server exits).
 */
class EventLoopDeathTest {
  @Test
  void anIoLoopEndingWhileTheBrokerRunsIsFatalAndAStopIsNot() throws Exception {
    BrokerCore core = new BrokerCore(BrokerConfig.builder().listener(Listener.tcp("127.0.0.1", 0)).ioThreads(2).build());
    List<String> told = new CopyOnWriteArrayList<>();
    core.transport().onFatal(told::add);
    core.transport().start();
    try {
      core.transport().ioLoops().next().shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
      await().atMost(Duration.ofSeconds(10)).until(() -> !told.isEmpty());
      assertThat(told).singleElement().asString().contains("I/O event loop thread ended while the broker runs");
    } finally {
      core.transport().stop();
    }
    Thread.sleep(200);
    assertThat(told).as("the stop ended the other loop: not fatal, and said once at most").hasSize(1);

    List<String> afterStop = new CopyOnWriteArrayList<>();
    BrokerCore again = new BrokerCore(BrokerConfig.builder().listener(Listener.tcp("127.0.0.1", 0)).build());
    again.transport().onFatal(afterStop::add);
    again.transport().start();
    again.transport().stop();
    Thread.sleep(200);
    assertThat(afterStop).as("a stop ends every loop, and is not fatal").isEmpty();
  }
}
