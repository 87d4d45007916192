package io.tern.broker.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.store.InMemoryStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The management API on a running broker, with HiveMQ MQTT 5 clients. */
class BrokerManagementTest {
  private final List<Broker> brokers = new ArrayList<>();
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    brokers.forEach(Broker::stop);
  }

  private Broker start(InMemoryStore store) {
    Broker b = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).store(store).build().start();
    brokers.add(b);
    return b;
  }

  /** What each client received: registered before it connects (HiveMQ may drop what arrives before). */
  private final java.util.Map<String, BlockingQueue<Mqtt5Publish>> received = new java.util.concurrent.ConcurrentHashMap<>();

  private Mqtt5BlockingClient connect(Broker b, String id, long expiry) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(b.port())
        .buildBlocking();
    BlockingQueue<Mqtt5Publish> in = new LinkedBlockingQueue<>();
    received.put(id, in);
    c.toAsync().publishes(MqttGlobalPublishFilter.ALL, in::add);
    c.connectWith().cleanStart(false).sessionExpiryInterval(expiry).send();
    clients.add(c);
    return c;
  }

  @Test
  void aSnapshotDescribesTheClientAndItsSession() {
    Broker b = start(null);
    Mqtt5BlockingClient c = connect(b, "snap", 600);
    c.subscribeWith().topicFilter("a/#").qos(MqttQos.AT_LEAST_ONCE).send();
    c.publishWith().topic("a/1").payload(new byte[10]).qos(MqttQos.AT_LEAST_ONCE).send();
    ClientSnapshot s = b.management().client("snap").orElseThrow();
    assertThat(s.connected()).isTrue();
    assertThat(s.protocolVersion()).isEqualTo("5.0");
    assertThat(s.sessionExpiryInterval()).isEqualTo(600);
    assertThat(s.cleanStart()).isFalse();
    assertThat(s.subscriptions()).isEqualTo(1);
    assertThat(s.bytesIn()).isGreaterThan(10);
    assertThat(b.management().subscriptions("snap").orElseThrow())
        .extracting(SubscriptionSnapshot::filter, SubscriptionSnapshot::qos).containsExactly(
            org.assertj.core.groups.Tuple.tuple("a/#", 1));
    assertThat(b.management().traffic().messagesReceived()[1]).isEqualTo(1);
    assertThat(b.management().client("nobody")).isEmpty();
  }

  @Test
  void aClientTracedBeforeItConnectsHasItsConnectAndConnAckTraced() {
    try (io.tern.broker.testsupport.LogCapture log = io.tern.broker.testsupport.LogCapture.of(
        "io.tern.broker.trace", ch.qos.logback.classic.Level.INFO)) {
      Broker b = start(null);
      b.management().trace("early", true);
      connect(b, "early", 0).disconnect();
      assertThat(log.messages()).startsWith(
          "Client early sent CONNECT (V5, clean=false, keepAlive=60s, user null)")
          .anyMatch(m -> m.startsWith("Client early received ConnAck["))
          .anyMatch(m -> m.startsWith("Client early sent Disconnect"));
    }
  }

  @Test
  void atMostMaxTracedClientIdsAreTracedAtOnce() {
    Broker b = start(null);
    for (int i = 0; i < BrokerManagement.MAX_TRACED; i++) {
      assertThat(b.management().trace("id-" + i, true)).isTrue();
    }
    assertThat(b.management().trace("one-more", true)).isFalse();
    assertThat(b.management().traced()).hasSize(BrokerManagement.MAX_TRACED).doesNotContain("one-more");
    assertThat(b.management().trace("id-0", true)).as("already traced").isTrue();
    assertThat(b.management().trace("id-0", false)).isTrue();
    assertThat(b.management().trace("one-more", true)).isTrue();
    assertThat(b.management().traced()).hasSize(BrokerManagement.MAX_TRACED).contains("one-more");
  }

  @Test
  void theDisconnectAnOperatorSendsATracedClientIsTraced() {
    try (io.tern.broker.testsupport.LogCapture log = io.tern.broker.testsupport.LogCapture.of(
        "io.tern.broker.trace", ch.qos.logback.classic.Level.INFO)) {
      Broker b = start(null);
      b.management().trace("kicked", true);
      Mqtt5BlockingClient c = connect(b, "kicked", 0);
      assertThat(b.management().disconnect("kicked")).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> !c.getState().isConnected());
      assertThat(log.messages()).anyMatch(m -> m.startsWith("Client kicked received Disconnect") && m.contains("152"));
    }
  }

  @Test
  void disconnectSendsAdministrativeActionAndKeepsAPersistentSession() {
    Broker b = start(null);
    Mqtt5BlockingClient c = connect(b, "kick", 600);
    assertThat(b.management().disconnect("kick")).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> !c.getState().isConnected());
    await().atMost(Duration.ofSeconds(5)).until(() -> !b.management().client("kick").orElseThrow().connected());
    assertThat(b.management().session("kick")).isPresent();
    assertThat(b.management().disconnect("kick")).isFalse();
  }

  @Test
  void aDeletedPersistentSessionIsGoneFromTheStoreToo() {
    InMemoryStore store = new InMemoryStore();
    Broker b = start(store);
    Mqtt5BlockingClient online = connect(b, "online", 3600);
    online.subscribeWith().topicFilter("keep/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient offline = connect(b, "offline", 3600);
    offline.subscribeWith().topicFilter("keep/#").qos(MqttQos.AT_LEAST_ONCE).send();
    offline.disconnect();
    b.publish("keep/1", "x".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(b.management().deleteSession("offline")).isTrue();
    assertThat(b.management().deleteSession("online")).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> b.management().sessions().isEmpty());
    assertThat(b.management().subscriptions()).isEmpty();
    b.stop();
    Broker again = start(store); // the same store, read back
    assertThat(again.management().sessions()).isEmpty();
  }

  @Test
  void subscribeOnBehalfSendsRetainedMessagesAndIsStored() throws Exception {
    InMemoryStore store = new InMemoryStore();
    Broker b = start(store);
    b.publish("cfg/1", "one".getBytes(StandardCharsets.UTF_8), 1, true);
    Mqtt5BlockingClient c = connect(b, "worker", 3600);
    assertThat(b.management().subscribe("worker", "cfg/+", 1, false, false, 0)).isTrue();
    Mqtt5Publish retained = received.get("worker").poll(5, TimeUnit.SECONDS);
    assertThat(retained).isNotNull();
    assertThat(retained.getTopic().toString()).isEqualTo("cfg/1");
    assertThat(retained.isRetain()).isTrue();
    assertThatThrownBy(() -> b.management().subscribe("worker", "a/#/b", 0, false, false, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(b.management().subscribe("nobody", "a", 0, false, false, 0)).isFalse();
    c.disconnect();
    b.stop();
    Broker again = start(store);
    assertThat(again.management().subscriptions("worker").orElseThrow())
        .extracting(SubscriptionSnapshot::filter).containsExactly("cfg/+");
    assertThat(again.management().unsubscribe("worker", "cfg/+")).isEqualTo(BrokerManagement.Unsubscribed.DONE);
    assertThat(again.management().unsubscribe("worker", "cfg/+"))
        .isEqualTo(BrokerManagement.Unsubscribed.NO_SUCH_SUBSCRIPTION);
    assertThat(again.management().unsubscribe("nobody", "cfg/+")).isEqualTo(BrokerManagement.Unsubscribed.NO_SUCH_SESSION);
  }

  @Test
  void retainedMessagesAreListedAndDeletedWithoutBeingPublished() {
    Broker b = start(null);
    b.publish("r/1", "a".getBytes(StandardCharsets.UTF_8), 0, true);
    b.publish("r/2", "b".getBytes(StandardCharsets.UTF_8), 0, true);
    b.publish("$SYS/x", "c".getBytes(StandardCharsets.UTF_8), 0, true);
    assertThat(b.management().retained("#")).extracting(RetainedMessage::topic).containsExactlyInAnyOrder("r/1", "r/2");
    assertThat(b.management().retained("$SYS/#")).extracting(RetainedMessage::topic).containsExactly("$SYS/x");
    assertThat(b.management().retainedMessage("r/1").orElseThrow().payload()).containsExactly('a');
    long received = b.stats().messagesReceived();
    assertThat(b.management().deleteRetained("r/1")).isTrue();
    assertThat(b.management().deleteRetained("r/1")).isFalse();
    assertThat(b.management().retainedMessage("r/1")).isEmpty();
    assertThat(b.stats().messagesReceived()).isEqualTo(received);
  }

  @Test
  void aListingReadsTopicsWithoutPayloadsAndAMessageWithAtMostTheBytesAsked() {
    Broker b = start(null);
    byte[] big = new byte[100_000];
    java.util.Arrays.fill(big, (byte) 'x');
    big[0] = 'a';
    b.publish("r/big", big, 0, true);
    b.publish("r/small", "s".getBytes(StandardCharsets.UTF_8), 0, true);
    b.publish("$SYS/x", "c".getBytes(StandardCharsets.UTF_8), 0, true);
    assertThat(b.management().retainedTopics("#")).containsExactlyInAnyOrder("r/big", "r/small");
    assertThat(b.management().retainedTopics("$SYS/#")).containsExactly("$SYS/x");
    RetainedMessage cut = b.management().retainedMessage("r/big", 10).orElseThrow();
    assertThat(cut.payload()).hasSize(10).startsWith('a', 'x');
    assertThat(cut.payloadSize()).isEqualTo(100_000);
    assertThat(cut.truncated()).isTrue();
    RetainedMessage small = b.management().retainedMessage("r/small", 10).orElseThrow();
    assertThat(small.payload()).containsExactly('s');
    assertThat(small.truncated()).isFalse();
    RetainedMessage whole = b.management().retainedMessage("r/big").orElseThrow();
    assertThat(whole.payload()).isEqualTo(big);
    assertThat(whole.truncated()).isFalse();
    assertThat(b.management().retainedMessage("r/none", 10)).isEmpty();
  }
}
