package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code max_heap_usage}: while the heap in use after a collection is over the mark, a CONNECT
 * gets Server busy (MQTT 3: Server unavailable), and the clients already connected go on. The
 * real heap is not filled here (the jar test {@code HeapLimitJarIT} does that); the guard is
 * given the figure a GC notification would carry.
 */
class HeapGuardTest {
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void overTheMarkOnlyAfterACollectionLeavesMoreThanItInUse() {
    HeapGuard g = new HeapGuard(90);
    long max = g.maxHeap();
    assertThat(g.over()).isFalse();
    assertThat(g.usedAfterGc()).isEqualTo(-1);
    g.update(max * 90 / 100);
    assertThat(g.over()).isFalse();
    g.update(max * 90 / 100 + 1024);
    assertThat(g.over()).isTrue();
    assertThat(g.usedAfterGc()).isEqualTo(max * 90 / 100 + 1024);
    g.update(max / 2);
    assertThat(g.over()).isFalse();
  }

  @Test
  void zeroNeverRefuses() {
    HeapGuard g = new HeapGuard(0);
    g.update(g.maxHeap());
    assertThat(g.over()).isFalse();
  }

  @Test
  void theBrokerWatchesRealCollections() throws Exception {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).build().start();
    System.gc(); // a notification arrives on the JVM's own thread shortly after
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> broker.memoryStats().heapUsedAfterGc() > 0);
    assertThat(broker.memoryStats().overMaxHeapUsage()).isFalse();
  }

  @Test
  void overTheMarkNewClientsAndSubscriptionsAreRefusedAndConnectedClientsGoOn() throws Exception {
    broker = Broker.builder().config(BrokerConfig.builder().listener(Listener.tcp("127.0.0.1", 0)).maxHeapUsage(80)
        .build()).build().start();
    HeapGuard guard = Internals.core(broker).heapGuard();
    guard.stop(); // real collections would set the figure back meanwhile
    Mqtt5BlockingClient early = client("early");
    early.connect();
    Mqtt5BlockingClient sub = client("sub");
    sub.connect();
    sub.subscribeWith().topicFilter("t").send();
    Mqtt5BlockingClient.Mqtt5Publishes received = sub.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL);

    guard.update(guard.maxHeap() * 81 / 100);

    assertThatThrownBy(() -> client("late").connect())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class,
            e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SERVER_BUSY));
    MqttClient v3 = new MqttClient("tcp://127.0.0.1:" + broker.port(), "late-v3", new MemoryPersistence());
    MqttConnectOptions v311 = new MqttConnectOptions();
    v311.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); // the default would try 3.1 after a refusal
    assertThatThrownBy(() -> v3.connect(v311))
        .isInstanceOfSatisfying(MqttException.class,
            e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_BROKER_UNAVAILABLE));
    early.publishWith().topic("t").payload("still served".getBytes(StandardCharsets.UTF_8)).send();
    assertThat(received.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(
        p -> assertThat(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("still served"));
    assertThat(broker.memoryStats().connectionsRefusedMemory()).isEqualTo(2);
    assertThat(broker.memoryStats().overMaxHeapUsage()).isTrue();
    assertThat(broker.stats().protocolErrors()).isZero();

    // Nor new subscriptions of the clients connected (each within its bounds, together they may
    // still fill the heap); a filter the session holds may be subscribed again.
    assertThatThrownBy(() -> sub.subscribeWith().topicFilter("new/filter").send())
        .isInstanceOfSatisfying(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException.class,
            e -> assertThat(e.getMqttMessage().getReasonCodes()).containsExactly(
                com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode.QUOTA_EXCEEDED));
    assertThat(sub.subscribeWith().topicFilter("t").send().getReasonCodes())
        .containsExactly(com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode.GRANTED_QOS_2); // the client's default QoS

    guard.update(guard.maxHeap() / 2);
    assertThat(sub.subscribeWith().topicFilter("new/filter").send().getReasonCodes())
        .containsExactly(com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode.GRANTED_QOS_2); // the client's default QoS
    Mqtt5BlockingClient later = client("later");
    later.connect();
    later.disconnect();
    v3.connect(v311);
    v3.disconnect();
    v3.close();
    early.disconnect();
    sub.disconnect();
  }

  private Mqtt5BlockingClient client(String id) {
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
  }
}
