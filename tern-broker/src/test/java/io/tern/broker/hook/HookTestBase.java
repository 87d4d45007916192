package io.tern.broker.hook;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;

/** A broker on a free loopback port and HiveMQ MQTT 5 clients that are closed after each test. */
abstract class HookTestBase {
  protected Broker broker;
  private final List<Runnable> cleanups = new ArrayList<>();

  @AfterEach
  void stopAll() {
    for (int i = cleanups.size() - 1; i >= 0; i--) {
      try {
        cleanups.get(i).run();
      } catch (RuntimeException e) {
        // closing anyway
      }
    }
    if (broker != null) {
      broker.stop();
    }
  }

  protected Broker start(Consumer<Broker.Builder> setup) {
    Broker.Builder b = Broker.builder().listener(Listener.tcp("127.0.0.1", 0));
    setup.accept(b);
    broker = b.build().start();
    return broker;
  }

  protected Mqtt5BlockingClient v5(String id) {
    return v5(id, null);
  }

  protected Mqtt5BlockingClient v5(String id, String user) {
    Mqtt5BlockingClient c = client(id);
    if (user == null) {
      c.connect();
    } else {
      c.connectWith().simpleAuth().username(user).password("pw".getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
          .send();
    }
    return c;
  }

  /** A client not yet connected (closed after the test). */
  protected Mqtt5BlockingClient client(String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .buildBlocking();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  protected static Mqtt5BlockingClient.Mqtt5Publishes publishes(Mqtt5BlockingClient c) {
    return c.publishes(MqttGlobalPublishFilter.ALL);
  }

  protected static Optional<Mqtt5Publish> receive(Mqtt5BlockingClient.Mqtt5Publishes p, long millis) {
    try {
      return p.receive(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  protected static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected void cleanup(Runnable r) {
    cleanups.add(r);
  }
}
