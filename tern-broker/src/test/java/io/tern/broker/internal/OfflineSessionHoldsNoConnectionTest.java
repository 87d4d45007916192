package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An offline persistent session keeps nothing of its last connection: it held it as the claimant
 * of its client id (with the channel, its buffers and, over TLS, the engine: one per offline
 * session in a soak probe's heap).
 */
class OfflineSessionHoldsNoConnectionTest {
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void theLastConnectionIsLetGoWhenItsClientLeaves() throws Exception {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).build().start();
    BrokerCore core = Internals.core(broker);
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("away").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    c.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
    Session s = core.registry().get("away");
    assertThat(s.claimant).isInstanceOf(MqttConnection.class);
    c.disconnect();
    await().atMost(Duration.ofSeconds(5)).until(() -> !s.isOnline());
    await().atMost(Duration.ofSeconds(5)).until(() -> s.claimant == null);
    assertThat(core.registry().get("away")).isSameAs(s);
  }
}
