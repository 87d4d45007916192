package io.tern.store.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.store.Durability;
import io.tern.store.rocksdb.RocksDbStore.OnCorrupt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT 5 Message Expiry across a restart of a broker on the RocksDB store, seen by the HiveMQ client
 * (v5): the time the broker was down counts, so a queued or retained message comes back with its
 * remaining interval, and one that expired meanwhile is not delivered (v5 section 3.3.2.3.3).
 */
@Timeout(60)
class MessageExpiryAcrossRestartTest {
  @TempDir Path tmp;
  private RocksDbStore store;
  private Broker broker;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    stopBroker();
  }

  private void startBroker() {
    store = RocksDbStore.open(tmp.resolve("data"), Durability.PROCESS, OnCorrupt.FAIL);
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).store(store).build().start();
  }

  private void stopBroker() {
    if (broker != null) {
      broker.stop();
      broker = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
  }

  private Mqtt5BlockingClient connect(String id, boolean cleanStart) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .buildBlocking();
    c.connectWith().cleanStart(cleanStart).sessionExpiryInterval(cleanStart ? 0 : 3600).send();
    clients.add(c);
    return c;
  }

  private static void publish(Mqtt5BlockingClient c, String topic, long expirySeconds, boolean retain) {
    c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(retain).messageExpiryInterval(expirySeconds)
        .payload(topic.getBytes(StandardCharsets.UTF_8)).send();
  }

  private static List<Mqtt5Publish> receiveAll(Mqtt5BlockingClient.Mqtt5Publishes in) throws InterruptedException {
    List<Mqtt5Publish> got = new ArrayList<>();
    Optional<Mqtt5Publish> p;
    // The first within 5 s; then whatever else comes within a second (a late one would come with it).
    while ((p = in.receive(got.isEmpty() ? 5 : 1, TimeUnit.SECONDS)).isPresent()) {
      got.add(p.get());
    }
    return got;
  }

  @Test
  void queuedAndRetainedMessagesKeepCountingDownWhileTheBrokerIsDown() throws Exception {
    startBroker();
    Mqtt5BlockingClient sub = connect("sub", false);
    sub.subscribeWith().topicFilter("q/#").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect(); // its session stays, with expiry 3600 s: messages now queue for it
    Mqtt5BlockingClient pub = connect("pub", true);
    long publishedAt = System.currentTimeMillis();
    publish(pub, "q/long", 60, false);
    publish(pub, "q/short", 2, false);
    publish(pub, "r/long", 60, true);
    publish(pub, "r/short", 2, true);
    pub.disconnect();
    stopBroker();

    // Down for longer than the short interval: wall-clock time, not the broker's.
    await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(10))
        .until(() -> System.currentTimeMillis() >= publishedAt + 3000);
    startBroker();

    Mqtt5BlockingClient back = Mqtt5Client.builder().identifier("sub").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    clients.add(back);
    try (Mqtt5BlockingClient.Mqtt5Publishes in = back.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      assertThat(back.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().isSessionPresent()).isTrue();
      List<Mqtt5Publish> queued = receiveAll(in);
      assertThat(queued).extracting(p -> p.getTopic().toString()).containsExactly("q/long");
      long remaining = queued.get(0).getMessageExpiryInterval().orElseThrow();
      assertThat(remaining).as("60 s less the time since it was published, downtime included")
          .isBetween(1L, 57L);
    }

    Mqtt5BlockingClient reader = connect("reader", true);
    try (Mqtt5BlockingClient.Mqtt5Publishes in = reader.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      reader.subscribeWith().topicFilter("r/#").qos(MqttQos.AT_LEAST_ONCE).send();
      List<Mqtt5Publish> retained = receiveAll(in);
      assertThat(retained).extracting(p -> p.getTopic().toString()).containsExactly("r/long");
      assertThat(retained.get(0).getMessageExpiryInterval().orElseThrow()).isBetween(1L, 57L);
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(store.recover().retained()).as("the expired retained message left the store").containsOnlyKeys("r/long");
    });
    assertThat(broker.storeSizeBytes()).as("the store reports its size").isPositive();
  }
}
