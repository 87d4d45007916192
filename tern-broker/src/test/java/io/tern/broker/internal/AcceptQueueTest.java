package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.NetUtil;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import org.junit.jupiter.api.Test;

/**
 * Every listener asks the OS for the longest accept queue it allows. With a shorter one (it was
 * 1024), a reconnection storm larger than the queue (every client of a restarted broker at once)
 * leaves the overflow waiting a second for its SYN's retransmission.
 */
class AcceptQueueTest {

  @Test
  void everyListenerAsksForTheLongestAcceptQueueTheOsAllows() {
    BrokerCore core = new BrokerCore(BrokerConfig.builder()
        .listener(Listener.tcp("127.0.0.1", 0))
        .listener(Listener.ws("127.0.0.1", 0))
        .build());
    core.transport().start();
    try {
      // Netty reads net.core.somaxconn (4096 on Linux since 5.4; 128 before, and where unreadable).
      assertThat(NetUtil.SOMAXCONN).isGreaterThanOrEqualTo(128);
      assertThat(core.transport().backlog("mqtt")).isEqualTo(NetUtil.SOMAXCONN);
      assertThat(core.transport().backlog("ws")).isEqualTo(NetUtil.SOMAXCONN);
    } finally {
      core.transport().stop();
    }
  }
}
