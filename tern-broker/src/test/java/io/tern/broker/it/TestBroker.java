package io.tern.broker.it;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded broker on a free loopback port for one test. Register with {@code @RegisterExtension}
 * and call {@link #start()} (or {@link #start(Consumer)} to change settings) in the test.
 */
final class TestBroker implements AfterEachCallback {
  private Broker broker;

  Broker start() {
    return start(b -> {});
  }

  Broker start(Consumer<BrokerConfig.Builder> settings) {
    broker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0))
        .configure(settings)
        .build()
        .start();
    return broker;
  }

  Broker broker() {
    return broker;
  }

  int port() {
    return broker.port();
  }

  String uri() {
    return "tcp://127.0.0.1:" + broker.port();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (broker != null) {
      broker.stop();
      broker = null;
    }
  }
}
