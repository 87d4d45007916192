package io.tern.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means kept: the built jar with its default store (RocksDB, durability process) is
 * killed with SIGKILL while two publishers (HiveMQ client, QoS 1 and QoS 2) stream to persistent
 * subscribers (Paho v3), one offline and one online; restarted on the same data directory, every
 * acknowledged message reaches both subscribers, in order per publisher, duplicated only at QoS 1
 * and then flagged DUP; retained messages and subscriptions survived.
 */
@Timeout(90)
class DurabilityIT {
  @TempDir Path workDir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  /** One received PUBLISH, as the subscriber's application saw it. */
  private record Received(String topic, String payload, int qos, boolean dup) {}

  /** A Paho v3 client with a persistent session, its received messages in arrival order. */
  private final class Subscriber {
    final org.eclipse.paho.client.mqttv3.MqttClient client;
    final List<Received> received = new CopyOnWriteArrayList<>();
    final MqttConnectOptions options = new MqttConnectOptions();

    Subscriber(int port, String clientId) throws Exception {
      client = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
      options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      options.setCleanSession(false);
      options.setConnectionTimeout(5);
      options.setMaxInflight(1000);
      client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
        @Override
        public void connectionLost(Throwable cause) {}

        @Override
        public void messageArrived(String topic, MqttMessage m) {
          received.add(new Received(topic, new String(m.getPayload(), StandardCharsets.UTF_8), m.getQos(), m.isDuplicate()));
        }

        @Override
        public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
      });
      toClose.add(() -> {
        if (client.isConnected()) {
          client.disconnectForcibly(500, 500);
        }
        client.close(true);
      });
    }

    void connect() throws Exception {
      client.connect(options);
    }

    /** Sequence numbers received from one publisher, in arrival order, with duplicates. */
    List<Received> from(String publisher) {
      return received.stream().filter(r -> r.topic().equals("d/" + publisher)).toList();
    }
  }

  /** A HiveMQ client publishing "name:seq" to d/name with up to 64 messages in flight. */
  private final class Publisher {
    final String name;
    final Mqtt3AsyncClient client;
    final MqttQos qos;
    final NavigableSet<Integer> acked = new ConcurrentSkipListSet<>();
    volatile boolean running = true;
    final Thread thread;

    Publisher(int port, String name, MqttQos qos) throws Exception {
      this.name = name;
      this.qos = qos;
      client = MqttClient.builder().useMqttVersion3().identifier(name).serverHost("127.0.0.1").serverPort(port)
          .buildAsync();
      client.connect().get(5, TimeUnit.SECONDS);
      thread = new Thread(this::run, "publisher-" + name);
      thread.start();
      toClose.add(this::stop);
    }

    private void run() {
      Semaphore window = new Semaphore(64);
      for (int seq = 1; running; seq++) {
        try {
          while (!window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            if (!running) {
              return;
            }
          }
        } catch (InterruptedException e) {
          return;
        }
        int s = seq;
        client.publishWith().topic("d/" + name).qos(qos).payload((name + ":" + s).getBytes(StandardCharsets.UTF_8))
            .send()
            .whenComplete((ok, failed) -> {
              if (failed == null) {
                acked.add(s); // PUBACK (QoS 1) or PUBCOMP (QoS 2): the broker answered for it
              }
              window.release();
            });
      }
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5000);
    }
  }

  /** The jar's config for these tests: its RocksDB store with durability process, in the work dir. */
  /** Starts the jar on the config (again, after a kill: the same work dir, so the same store). */
  private TernProcess startJar(Path config) throws Exception {
    TernProcess tern = TernProcess.start(workDir, "--config", config.toString()).awaitStarted();
    toClose.add(tern);
    return tern;
  }

  /** A persistent session subscribed to {@code filter} whose client has gone away. */
  private void offlineSubscriber(int port, String clientId, String filter, int qos) throws Exception {
    Subscriber s = new Subscriber(port, clientId);
    s.connect();
    s.client.subscribe(filter, qos);
    s.client.disconnect();
  }

  private Path durableConfig(int port, int maxQueuedMessages) throws java.io.IOException {
    Path config = workDir.resolve("tern.yaml");
    Files.writeString(config, """
        listeners: [{bind: 127.0.0.1, port: %d}]
        limits: {max_queued_messages: %d}
        storage: {durability: process, data_dir: %s}
        """.formatted(port, maxQueuedMessages, workDir.resolve("data")));
    return config;
  }

  @Test
  void everyAcknowledgedMessageSurvivesSigkill() throws Exception {
    int port = TernProcess.freePort();
    Path config = durableConfig(port, 1_000_000);
    TernProcess tern = startJar(config);

    Subscriber offline = new Subscriber(port, "offline-sub");
    offline.connect();
    offline.client.subscribe("d/#", 2);
    offline.client.disconnect(); // a persistent session whose client is away
    Subscriber online = new Subscriber(port, "online-sub");
    online.connect();
    online.client.subscribe("d/#", 2);

    Mqtt3AsyncClient retainer = MqttClient.builder().useMqttVersion3().identifier("retainer")
        .serverHost("127.0.0.1").serverPort(port).buildAsync();
    retainer.connect().get(5, TimeUnit.SECONDS);
    for (String[] r : new String[][] {{"r/kept", "kept"}, {"r/cleared", "soon gone"}, {"r/cleared", ""}}) {
      retainer.publishWith().topic(r[0]).qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(r[1].getBytes(StandardCharsets.UTF_8)).send().get(5, TimeUnit.SECONDS);
    }

    Publisher qos1 = new Publisher(port, "p1", MqttQos.AT_LEAST_ONCE);
    Publisher qos2 = new Publisher(port, "p2", MqttQos.EXACTLY_ONCE);
    await("both publishers acknowledged").atMost(Duration.ofSeconds(30))
        .until(() -> qos1.acked.size() >= 2000 && qos2.acked.size() >= 1000);
    tern.kill(); // SIGKILL mid-stream: no shutdown hook, nothing flushed by us
    qos1.stop();
    qos2.stop();
    assertThat(tern.lines()).noneMatch(l -> l.contains("Stopping"));
    Map<String, Set<Integer>> acked = Map.of("p1", Set.copyOf(qos1.acked), "p2", Set.copyOf(qos2.acked));

    TernProcess again = startJar(config);
    assertThat(again.output()).contains("Store: 2 persistent sessions restored");
    online.connect(); // the same client: its session state (QoS 2 ids) carries on
    offline.connect();

    // Subscriptions survived: a message published after the restart reaches both.
    Mqtt3AsyncClient late = MqttClient.builder().useMqttVersion3().identifier("late")
        .serverHost("127.0.0.1").serverPort(port).buildAsync();
    late.connect().get(5, TimeUnit.SECONDS);
    late.publishWith().topic("d/late").qos(MqttQos.AT_LEAST_ONCE).payload("after".getBytes(StandardCharsets.UTF_8))
        .send().get(5, TimeUnit.SECONDS);

    for (Subscriber sub : List.of(offline, online)) {
      await(sub.client.getClientId() + " has every acknowledged message").atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> {
            for (String p : List.of("p1", "p2")) {
              assertThat(seqs(sub.from(p))).containsAll(acked.get(p));
            }
            assertThat(sub.from("late")).isNotEmpty();
          });
      checkOrderAndDuplicates(sub, "p1", 1);
      checkOrderAndDuplicates(sub, "p2", 2);
    }

    // Retained messages survived, and the cleared one stayed cleared.
    List<String> retained = new CopyOnWriteArrayList<>();
    Mqtt3AsyncClient reader = MqttClient.builder().useMqttVersion3().identifier("reader")
        .serverHost("127.0.0.1").serverPort(port).buildAsync();
    reader.connect().get(5, TimeUnit.SECONDS);
    reader.subscribeWith().topicFilter("r/#").qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> retained.add(p.getTopic() + "=" + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)))
        .send().get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> !retained.isEmpty());
    // A second, later subscription proves nothing else was coming: r/cleared would have come first.
    reader.subscribeWith().topicFilter("r/kept").qos(MqttQos.AT_LEAST_ONCE).send().get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> retained.size() >= 2);
    assertThat(retained).containsOnly("r/kept=kept");
    for (Mqtt3AsyncClient c : List.of(retainer, late, reader)) {
      c.disconnect();
    }
    assertThat(again.terminate()).isZero();
    assertThat(again.output()).contains("Store closed");
  }

  private static List<Integer> seqs(List<Received> received) {
    return received.stream().map(r -> Integer.parseInt(r.payload().substring(r.payload().indexOf(':') + 1))).toList();
  }

  /**
   * In order per publisher: each message seen for the first time comes after every message of that
   * publisher seen before. Seen again: only at QoS 1, and flagged DUP.
   */
  private static void checkOrderAndDuplicates(Subscriber sub, String publisher, int qos) {
    List<Received> got = sub.from(publisher);
    Set<Integer> seen = new HashSet<>();
    Map<Integer, Integer> copies = new HashMap<>();
    int highest = 0;
    for (Received r : got) {
      int seq = Integer.parseInt(r.payload().substring(r.payload().indexOf(':') + 1));
      assertThat(r.qos()).as("QoS of %s", r).isEqualTo(qos);
      if (seen.add(seq)) {
        assertThat(seq).as("%s: %s arrives in order (after %d)", sub.client.getClientId(), r, highest)
            .isGreaterThan(highest);
        highest = seq;
      } else {
        copies.merge(seq, 1, Integer::sum);
        assertThat(qos).as("%s: duplicate %s of a QoS 2 message", sub.client.getClientId(), r).isEqualTo(1);
        assertThat(r.dup()).as("%s: duplicate %s is flagged DUP", sub.client.getClientId(), r).isTrue();
      }
    }
  }

  @Test
  void theWillsOfPersistentClientsConnectedAtASigkillArePublishedAfterTheRestart() throws Exception {
    // MQTT 5 section 4.1: the will (and its delay) is part of the session state, and the client's
    // connection did close without a DISCONNECT: the will is owed.
    int port = TernProcess.freePort();
    Path config = durableConfig(port, 1000);
    TernProcess tern = startJar(config);
    offlineSubscriber(port, "watcher", "wills/#", 1); // the wills wait for it in its session
    // MQTT 3.1.1, Clean Session 0, a will at QoS 1; MQTT 5 with a session and a Will Delay of 1 s.
    org.eclipse.paho.client.mqttv3.MqttClient v3 = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + port, "dies-v3", new MemoryPersistence());
    toClose.add(() -> v3.close(true));
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(false);
    o.setWill("wills/v3", "v3 gone".getBytes(StandardCharsets.UTF_8), 1, false);
    v3.connect(o);
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient v5 = v5Client(port, "dies-v5");
    v5.connectWith().cleanStart(false).sessionExpiryInterval(600)
        .willPublish().topic("wills/v5").payload("v5 gone".getBytes(StandardCharsets.UTF_8))
        .qos(MqttQos.AT_LEAST_ONCE).delayInterval(1).applyWillPublish().send();
    // A third left with a DISCONNECT before the kill: its will is discarded (MQTT-3.14.4-3), also
    // from the store.
    org.eclipse.paho.client.mqttv3.MqttClient leaves = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + port, "leaves", new MemoryPersistence());
    toClose.add(() -> leaves.close(true));
    MqttConnectOptions lo = new MqttConnectOptions();
    lo.setCleanSession(false);
    lo.setWill("wills/leaves", "must not come".getBytes(StandardCharsets.UTF_8), 1, false);
    leaves.connect(lo);
    leaves.disconnect();
    // Paho returns once its DISCONNECT is sent: give the broker a moment to take it (killed before,
    // the will would rightly be owed).
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
    tern.kill();
    try {
      v3.disconnectForcibly(0, 0, false);
    } catch (org.eclipse.paho.client.mqttv3.MqttException alreadyLost) {
      // the kill may have been noticed first
    }

    TernProcess again = startJar(config);
    Subscriber back = new Subscriber(port, "watcher");
    back.connect();
    await("both wills").atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(back.received)
        .extracting(Received::topic, Received::payload).containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("wills/v3", "v3 gone"), org.assertj.core.groups.Tuple.tuple("wills/v5", "v5 gone")));
  }

  @Test
  void sessionsOfClientsConnectedAtASigkillExpireCountingFromTheKillNotFromTheRestart() throws Exception {
    // The client's connection ended when the broker died (MQTT-3.1.2-23 counts the Session Expiry
    // Interval from the end of the Network Connection). The broker stamps the store every second,
    // so a restart knows when that was.
    int port = TernProcess.freePort();
    Path config = durableConfig(port, 1000);
    TernProcess tern = startJar(config);
    offlineSubscriber(port, "watcher", "wills/#", 1);
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient brief = v5Client(port, "brief");
    brief.connectWith().cleanStart(true).sessionExpiryInterval(2)
        .willPublish().topic("wills/brief").payload("brief gone".getBytes(StandardCharsets.UTF_8))
        .qos(MqttQos.AT_LEAST_ONCE).delayInterval(60).applyWillPublish().send();
    brief.subscribeWith().topicFilter("brief/#").send();
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient lasting = v5Client(port, "lasting");
    lasting.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    lasting.subscribeWith().topicFilter("lasting/#").send();
    await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> true); // a stamp after the connects
    tern.kill();
    // Down for longer than "brief"'s 2 s: its session ended while the broker was down, and with
    // it the wait for its will (v5 section 3.1.3.2.2: the will goes at the end of the session).
    await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);

    TernProcess again = startJar(config);
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient briefBack = v5Client(port, "brief");
    assertThat(briefBack.connectWith().cleanStart(false).sessionExpiryInterval(2).send().isSessionPresent())
        .as("expired 2 s after the kill, while the broker was down").isFalse();
    briefBack.disconnect();
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient lastingBack = v5Client(port, "lasting");
    assertThat(lastingBack.connectWith().cleanStart(false).sessionExpiryInterval(600).send().isSessionPresent())
        .isTrue();
    lastingBack.disconnect();
    Subscriber back = new Subscriber(port, "watcher");
    back.connect();
    await("the will of the expired session").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(back.received)
        .extracting(Received::topic, Received::payload)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("wills/brief", "brief gone")));
  }

  private com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient v5Client(int port, String id) {
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5()
        .identifier(id).serverHost("127.0.0.1").serverPort(port).buildBlocking();
    toClose.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  @Test
  void retainedMessagesOwedToANewSubscriptionSurviveSigkillPastTheQueueBound() throws Exception {
    // MQTT-3.3.1-6: every matching retained message is sent on a new subscription, whatever
    // max_queued_messages says; a kill before they went out must not cut them down to it.
    int port = TernProcess.freePort();
    Path config = durableConfig(port, 5);
    TernProcess tern = startJar(config);
    Mqtt3AsyncClient retainer = MqttClient.builder().useMqttVersion3().identifier("retainer")
        .serverHost("127.0.0.1").serverPort(port).buildAsync();
    retainer.connect().get(5, TimeUnit.SECONDS);
    int topics = 60;
    for (int i = 0; i < topics; i++) {
      retainer.publishWith().topic("r/" + i).qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(("v" + i).getBytes(StandardCharsets.UTF_8)).send().get(5, TimeUnit.SECONDS);
    }

    // A persistent subscriber whose application holds the first retained message it is given: Paho
    // acknowledges nothing more, so the broker owes it all 60 (max_inflight 32 of them sent).
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    org.eclipse.paho.client.mqttv3.MqttClient first = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + port, "owed", new MemoryPersistence());
    toClose.add(() -> first.close(true));
    MqttConnectOptions persistent = new MqttConnectOptions();
    persistent.setCleanSession(false);
    first.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, MqttMessage m) throws InterruptedException {
        holding.countDown();
        release.await(30, TimeUnit.SECONDS);
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
    });
    toClose.add(release::countDown);
    first.connect(persistent);
    first.subscribe("r/#", 1);
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    tern.kill();
    try {
      first.disconnectForcibly(0, 0, false);
    } catch (org.eclipse.paho.client.mqttv3.MqttException alreadyLost) {
      // the kill may have been noticed first
    }
    release.countDown();

    TernProcess again = startJar(config);
    Subscriber owed = new Subscriber(port, "owed"); // the same client id, its session restored
    owed.connect();
    await("every retained topic arrives").atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(owed.received.stream().map(Received::topic).distinct().count()).isEqualTo(topics));
    assertThat(owed.received).allSatisfy(r -> assertThat(r.payload()).isEqualTo("v" + r.topic().substring(2)));
  }

  @Test
  void aCorruptDataDirectoryStopsTheJarWithOneErrorNamingItOrIsQuarantined() throws Exception {
    Path data = workDir.resolve("data");
    Files.createDirectories(data);
    Files.writeString(data.resolve("FORMAT"), "1\n");
    Files.writeString(data.resolve("CURRENT"), "not a manifest name");
    Path config = workDir.resolve("tern.yaml");
    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: 0}]\nstorage: {data_dir: %s}\n".formatted(data));

    TernProcess refused = TernProcess.start(workDir, "--config", config.toString());
    toClose.add(refused);
    assertThat(refused.awaitExit(Duration.ofSeconds(20))).isEqualTo(1);
    List<String> errors = refused.lines().stream().filter(l -> l.contains("ERROR")).toList();
    assertThat(errors).singleElement().asString()
        .contains("Cannot start")
        .contains(data.toAbsolutePath().toString())
        .contains("on_corrupt_store: quarantine");
    assertThat(refused.output()).doesNotContain("\tat ");

    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: 0}]\n"
        + "storage: {data_dir: %s, on_corrupt_store: quarantine}\n".formatted(data));
    TernProcess quarantined = startJar(config);
    assertThat(quarantined.output()).contains("STARTS EMPTY").contains("data.corrupt-");
    try (java.util.stream.Stream<Path> files = Files.list(workDir)) {
      assertThat(files.map(f -> f.getFileName().toString())).anyMatch(n -> n.startsWith("data.corrupt-"));
    }
    assertThat(quarantined.terminate()).isZero();
  }
}
