package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** MQTT 3.1.1 end to end with the HiveMQ MQTT client, and across clients (HiveMQ ↔ Paho). */
class HiveMqClientTest {
  @RegisterExtension final TestBroker tb = new TestBroker();
  private final List<Mqtt3BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void disconnectAll() {
    for (Mqtt3BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  private Mqtt3BlockingClient client(String id) {
    Mqtt3BlockingClient c = Mqtt3Client.builder()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(tb.port())
        .buildBlocking();
    clients.add(c);
    return c;
  }

  private static String text(Mqtt3Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void hiveMqClientsExchangeMessagesAtEveryQos() throws Exception {
    tb.start();
    Mqtt3BlockingClient sub = client("hive-sub");
    sub.connect();
    Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("plant/#").qos(MqttQos.EXACTLY_ONCE).send();
    Mqtt3BlockingClient pub = client("hive-pub");
    pub.connect();
    for (MqttQos qos : MqttQos.values()) {
      pub.publishWith().topic("plant/line/" + qos.getCode()).qos(qos).payload(("q" + qos.getCode()).getBytes()).send();
      Optional<Mqtt3Publish> got = publishes.receive(5, TimeUnit.SECONDS);
      assertThat(got).isPresent();
      assertThat(text(got.get())).isEqualTo("q" + qos.getCode());
      assertThat(got.get().getQos()).isEqualTo(qos);
      assertThat(got.get().getTopic().toString()).isEqualTo("plant/line/" + qos.getCode());
    }
    publishes.close();
  }

  @Test
  void retainedMessageReachesALateHiveMqSubscriber() throws Exception {
    tb.start();
    Mqtt3BlockingClient pub = client("hive-pub");
    pub.connect();
    pub.publishWith().topic("cfg/site").qos(MqttQos.AT_LEAST_ONCE).retain(true).payload("v1".getBytes()).send();
    pub.publishWith().topic("cfg/site").qos(MqttQos.AT_LEAST_ONCE).retain(true).payload("v2".getBytes()).send();
    Mqtt3BlockingClient sub = client("hive-sub");
    sub.connect();
    Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("cfg/+").qos(MqttQos.AT_LEAST_ONCE).send();
    Optional<Mqtt3Publish> got = publishes.receive(5, TimeUnit.SECONDS);
    assertThat(got).isPresent();
    assertThat(got.get().isRetain()).isTrue();
    assertThat(text(got.get())).isEqualTo("v2");
    assertThat(publishes.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    publishes.close();
  }

  @Test
  void persistentHiveMqSessionGetsWhatWasPublishedWhileItWasAway() throws Exception {
    tb.start();
    Mqtt3BlockingClient sub = client("hive-durable");
    sub.connectWith().cleanSession(false).send();
    sub.subscribeWith().topicFilter("orders/#").qos(MqttQos.EXACTLY_ONCE).send();
    sub.disconnect();

    Mqtt3BlockingClient pub = client("hive-pub");
    pub.connect();
    pub.publishWith().topic("orders/1").qos(MqttQos.EXACTLY_ONCE).payload("o1".getBytes()).send();
    pub.publishWith().topic("orders/2").qos(MqttQos.AT_LEAST_ONCE).payload("o2".getBytes()).send();

    Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt3ConnAck ack = sub.connectWith().cleanSession(false).send();
    assertThat(ack.isSessionPresent()).isTrue();
    assertThat(publishes.receive(5, TimeUnit.SECONDS).map(HiveMqClientTest::text)).contains("o1");
    assertThat(publishes.receive(5, TimeUnit.SECONDS).map(HiveMqClientTest::text)).contains("o2");
    publishes.close();
  }

  @Test
  void pahoPublisherReachesHiveMqSubscriber() throws Exception {
    tb.start();
    Mqtt3BlockingClient sub = client("hive-sub");
    sub.connect();
    Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("x/+/z").qos(MqttQos.AT_LEAST_ONCE).send();
    MqttClient paho = new MqttClient(tb.uri(), "paho-pub", new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1);
    paho.connect(o);
    paho.publish("x/y/z", "from paho 3.1".getBytes(StandardCharsets.UTF_8), 1, false);
    Optional<Mqtt3Publish> got = publishes.receive(5, TimeUnit.SECONDS);
    assertThat(got.map(HiveMqClientTest::text)).contains("from paho 3.1");
    paho.disconnect();
    paho.close();
    publishes.close();
  }
}
