package io.tern.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.tern.broker.Broker;
import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.router.Router;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The benchmark's hooked broker: 50 routes, the benchmark's topics routed and delivered. */
@Timeout(30)
class BenchLauncherTest {
  @Test
  void theRouterHasFiftyRoutesAndOneOfThemTakesTheBenchmarkTopics() {
    Router r = BenchLauncher.fiftyRoutes();
    assertThat(r.size()).isEqualTo(50);
    ClientInfo c = new ClientInfo("pub-1", null, null, "mqtt", null);
    assertThat(r.onPublish(c, MqttMessage.of("bench/3/run-abc", new byte[] {1})).isContinue()).isTrue();
    assertThat(r.onPublish(c, MqttMessage.of("user/alice/location", new byte[] {1})).isRefuse()).isTrue();
  }

  @Test
  void theHookedBrokerDeliversTheBenchmarkTopics() throws Exception {
    Broker broker = BenchLauncher.start(0, true, 100, 1000);
    try {
      Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("b").serverHost("127.0.0.1").serverPort(broker.port())
          .buildBlocking();
      c.connect();
      Mqtt5BlockingClient.Mqtt5Publishes in = c.publishes(MqttGlobalPublishFilter.ALL);
      c.subscribeWith().topicFilter("bench/+/r1").send();
      c.publishWith().topic("bench/0/r1").payload(new byte[64]).send();
      assertThat(in.receive(5, TimeUnit.SECONDS)).isPresent();
      c.disconnect();
    } finally {
      broker.stop();
    }
  }
}
