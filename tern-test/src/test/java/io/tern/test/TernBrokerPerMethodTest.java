package io.tern.test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.Broker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A fresh broker for each test method, stopped after it. */
@TernBroker(scope = TernBroker.Scope.METHOD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TernBrokerPerMethodTest {
  private static final List<Broker> earlier = new ArrayList<>();

  @TernInject TernTestBroker field;

  @Test
  @Order(1)
  void eachMethodHasItsOwnBroker(TernTestBroker broker) {
    assertThat(broker).isSameAs(field);
    assertThat(broker.isRunning()).isTrue();
    earlier.add(broker.broker());
  }

  @Test
  @Order(2)
  void andTheBrokerOfAnEarlierMethodIsStopped(Broker broker) {
    assertThat(earlier).hasSize(1).doesNotContain(broker);
    assertThat(earlier.get(0).isRunning()).isFalse();
    earlier.add(broker);
  }

  @Test
  @Order(3)
  void aPahoV5SubscriberReceivesWhatTheTestPublishes(TernTestBroker broker) throws Exception {
    assertThat(earlier).doesNotContain(broker.broker()).allSatisfy(b -> assertThat(b.isRunning()).isFalse());
    CompletableFuture<String> received = new CompletableFuture<>();
    MqttClient paho = new MqttClient(broker.uri(), "paho-v5", new MemoryPersistence());
    paho.setTimeToWait(10_000);
    paho.setCallback(new MqttCallback() {
      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.complete(topic + "=" + new String(message.getPayload(), UTF_8));
      }

      @Override
      public void disconnected(MqttDisconnectResponse response) {}

      @Override
      public void mqttErrorOccurred(MqttException exception) {}

      @Override
      public void deliveryComplete(IMqttToken token) {}

      @Override
      public void connectComplete(boolean reconnect, String serverURI) {}

      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {}
    });
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setConnectionTimeout(10);
    paho.connect(options);
    paho.subscribe("cmd/#", 1);
    broker.publish("cmd/led", "on".getBytes(UTF_8), 1, false);
    assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("cmd/led=on");
    paho.disconnect();
    paho.close();
    assertThat(broker.stats().messagesSent()).isEqualTo(1);
    try (TernMessages none = broker.capture("#")) {
      none.assertNone(Duration.ofMillis(50));
    }
  }
}
