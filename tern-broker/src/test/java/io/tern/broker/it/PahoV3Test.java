package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1 and 3.1.1 behaviour end to end with the Eclipse Paho Java v3 client. */
class PahoV3Test {
  @RegisterExtension final TestBroker tb = new TestBroker();
  private final List<MqttClient> clients = new ArrayList<>();

  @AfterEach
  void closeClients() {
    for (MqttClient c : clients) {
      try {
        if (c.isConnected()) {
          c.disconnectForcibly(100, 100);
        }
        c.close(true);
      } catch (MqttException ignored) {
        // best effort
      }
    }
  }

  private MqttClient client(String id) throws MqttException {
    MqttClient c = new MqttClient(tb.uri(), id, new MemoryPersistence());
    c.setTimeToWait(15_000); // Paho otherwise waits forever on a token (seen once: a connect that never ran)
    clients.add(c);
    return c;
  }

  private static MqttConnectOptions options(int version, boolean clean) {
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(version);
    o.setCleanSession(clean);
    o.setConnectionTimeout(5);
    o.setMaxInflight(1000); // Paho's count of in-flight publishes lags behind their completion
    return o;
  }

  private MqttClient connected(String id, int version, boolean clean) throws MqttException {
    MqttClient c = client(id);
    c.connect(options(version, clean));
    return c;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "MQTT version option {0}")
  @ValueSource(ints = {MqttConnectOptions.MQTT_VERSION_3_1, MqttConnectOptions.MQTT_VERSION_3_1_1})
  void messagesFlowAtEveryQosDowngradedToTheGrantedQos(int version) throws Exception {
    tb.start();
    MqttClient sub = connected("sub", version, true);
    MqttClient pub = connected("pub", version, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    sub.subscribe("sensors/+/temp", 1, (t, m) -> got.add(m));
    for (int qos = 0; qos <= 2; qos++) {
      pub.publish("sensors/k" + qos + "/temp", utf8("m" + qos), qos, false);
      MqttMessage m = got.poll(5, TimeUnit.SECONDS);
      assertThat(m).as("QoS %d message", qos).isNotNull();
      assertThat(new String(m.getPayload(), StandardCharsets.UTF_8)).isEqualTo("m" + qos);
      assertThat(m.getQos()).isEqualTo(Math.min(qos, 1));
      assertThat(m.isRetained()).isFalse();
    }
  }

  @ParameterizedTest(name = "subscribed at QoS {0}")
  @ValueSource(ints = {0, 1, 2})
  void aWideFilterGetsEveryRetainedMessageWhateverTheQueueBound(int qos) throws Exception {
    // MQTT-3.3.1-6: every matching topic's retained message is sent, more of them than
    // max_queued_messages (the default, 1000) included; live messages still arrive behind them.
    tb.start();
    int topics = 5_000;
    for (int i = 0; i < topics; i++) {
      tb.broker().publish("fleet/" + (i / 100) + "/" + (i % 100), utf8("r" + i), 1, true);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().retainedMessages() == topics);
    MqttClient sub = connected("wide", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    java.util.Set<String> retained = java.util.concurrent.ConcurrentHashMap.newKeySet();
    BlockingQueue<String> live = new LinkedBlockingQueue<>();
    sub.subscribe("fleet/#", qos, (t, m) -> {
      if (m.isRetained()) {
        retained.add(t);
      } else {
        live.add(t);
      }
    });
    tb.broker().publish("fleet/live", utf8("now"), 1, false);
    await().atMost(Duration.ofSeconds(30)).until(() -> retained.size() == topics);
    assertThat(live.poll(10, TimeUnit.SECONDS)).isEqualTo("fleet/live");
    assertThat(tb.broker().stats().messagesDropped()).isZero();
  }

  @Test
  void theQueueBoundDropsLiveMessagesBehindARetainedBacklogNotTheRetainedOnes() throws Exception {
    // drop_oldest, 10 queued at most, 5 in flight: the subscriber holds its acks, so 45 retained
    // messages wait in its queue; 30 live ones arrive behind them and 20 of those go, no retained one.
    tb.start(b -> b.maxQueuedMessages(10).maxInflight(5).dropPolicy(io.tern.broker.DropPolicy.DROP_OLDEST));
    retainFleet(50);
    MqttClient sub = holdingAcks("held");
    List<MqttMessage> held = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.Set<String> retained = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<String> live = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Boolean> acking = new AtomicReference<>(false);
    sub.subscribe("fleet/#", 1, (t, m) -> {
      if (m.isRetained()) {
        retained.add(t);
      } else {
        live.add(new String(m.getPayload(), StandardCharsets.UTF_8));
      }
      if (acking.get()) {
        sub.messageArrivedComplete(m.getId(), m.getQos());
      } else {
        held.add(m);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 5);
    for (int i = 0; i < 30; i++) {
      tb.broker().publish("fleet/live", utf8("l" + i), 1, false);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().messagesDropped() == 20);
    acking.set(true);
    synchronized (held) {
      for (MqttMessage m : held) {
        sub.messageArrivedComplete(m.getId(), m.getQos());
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> retained.size() == 50 && live.size() == 10);
    // Which ten is drop_oldest's business (a burst faster than the loop drains is also bounded at
    // twice the bound on its way in); that they come in order and none twice is the queue's.
    assertThat(live).doesNotHaveDuplicates()
        .isSortedAccordingTo(java.util.Comparator.comparingInt(l -> Integer.parseInt(l.substring(1))));
    assertThat(tb.broker().stats().messagesDropped()).isEqualTo(20);
  }

  @Test
  void aClientRepeatingAWideSubscribeIsHeldToOneCopyOfTheRetainedStore() throws Exception {
    // Retained messages for new subscriptions waiting in a session are bounded by the store's size
    // plus max_queued_messages (here 50 + 10): subscribing to "fleet/#" three times while the client
    // holds its acks keeps 60 of the 150 waiting (5 more may already be in flight, not waiting), and
    // the others are dropped and counted. Whatever is not dropped arrives.
    tb.start(b -> b.maxQueuedMessages(10).maxInflight(5));
    retainFleet(50);
    MqttClient sub = holdingAcks("repeater");
    List<MqttMessage> got = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Boolean> acking = new AtomicReference<>(false);
    org.eclipse.paho.client.mqttv3.IMqttMessageListener listener = (t, m) -> {
      got.add(m);
      if (acking.get()) {
        sub.messageArrivedComplete(m.getId(), m.getQos());
      }
    };
    for (int i = 0; i < 3; i++) {
      sub.subscribe("fleet/#", 1, listener);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().messagesDropped() >= 85);
    long dropped = tb.broker().stats().messagesDropped();
    assertThat(dropped).isBetween(85L, 90L);
    acking.set(true);
    synchronized (got) {
      for (MqttMessage m : new ArrayList<>(got)) {
        sub.messageArrivedComplete(m.getId(), m.getQos());
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 150 - dropped);
    Thread.sleep(200);
    assertThat(got).hasSize((int) (150 - dropped));
    assertThat(tb.broker().stats().messagesDropped()).isEqualTo(dropped);
  }

  /** Retains "r<i>" on fleet/r<i> for i below {@code n}, from inside the process. */
  private void retainFleet(int n) {
    for (int i = 0; i < n; i++) {
      tb.broker().publish("fleet/r" + i, utf8("r" + i), 1, true);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().retainedMessages() == n);
  }

  /** A connected 3.1.1 client that acknowledges a message only when told (messageArrivedComplete). */
  private MqttClient holdingAcks(String id) throws MqttException {
    MqttClient c = client(id);
    c.setManualAcks(true);
    c.connect(options(MqttConnectOptions.MQTT_VERSION_3_1_1, true));
    return c;
  }

  @Test
  void retainedMessageIsSentOnSubscribeWithRetainFlagAndClearedByEmptyPayload() throws Exception {
    tb.start();
    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("home/lamp", utf8("on"), 1, true);
    MqttClient sub = connected("sub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    sub.subscribe("home/#", 1, (t, m) -> got.add(m));
    MqttMessage m = got.poll(5, TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.isRetained()).isTrue();
    assertThat(new String(m.getPayload(), StandardCharsets.UTF_8)).isEqualTo("on");

    pub.publish("home/lamp", new byte[0], 1, true); // clears, and is forwarded with RETAIN 0
    MqttMessage cleared = got.poll(5, TimeUnit.SECONDS);
    assertThat(cleared).isNotNull();
    assertThat(cleared.getPayload()).isEmpty();
    assertThat(cleared.isRetained()).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> tb.broker().stats().retainedMessages() == 0);

    MqttClient late = connected("late", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> lateGot = new LinkedBlockingQueue<>();
    late.subscribe("home/#", 1, (t, msg) -> lateGot.add(msg));
    assertThat(lateGot.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void persistentSessionKeepsSubscriptionsAndQueuesQos1WhileOfflineInOrder() throws Exception {
    tb.start();
    MqttClient sub = connected("durable", MqttConnectOptions.MQTT_VERSION_3_1_1, false);
    sub.subscribe("jobs/#", 1);
    sub.disconnect();

    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    for (int i = 0; i < 20; i++) {
      pub.publish("jobs/" + i, utf8("job" + i), 1, false);
    }
    pub.publish("jobs/qos0", utf8("not queued"), 0, false);

    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    sub.setCallback(new CollectingCallback(got));
    sub.connect(options(MqttConnectOptions.MQTT_VERSION_3_1_1, false));
    List<String> received = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String s = got.poll(5, TimeUnit.SECONDS);
      assertThat(s).as("message %d", i).isNotNull();
      received.add(s);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected.add("job" + i);
    }
    assertThat(received).containsExactlyElementsOf(expected);
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).as("QoS 0 is not queued offline").isNull();
  }

  @Test
  void sessionPresentReflectsAResumedPersistentSession() throws Exception {
    tb.start();
    MqttClient c = client("sp");
    assertThat(c.connectWithResult(options(MqttConnectOptions.MQTT_VERSION_3_1_1, false)).getSessionPresent())
        .isFalse();
    c.disconnect();
    assertThat(c.connectWithResult(options(MqttConnectOptions.MQTT_VERSION_3_1_1, false)).getSessionPresent())
        .isTrue();
    c.disconnect();
    assertThat(c.connectWithResult(options(MqttConnectOptions.MQTT_VERSION_3_1_1, true)).getSessionPresent())
        .isFalse();
  }

  @Test
  void cleanSessionDiscardsSubscriptions() throws Exception {
    tb.start();
    MqttClient sub = connected("c1", MqttConnectOptions.MQTT_VERSION_3_1_1, false);
    sub.subscribe("x/#", 1);
    sub.disconnect();
    sub.connect(options(MqttConnectOptions.MQTT_VERSION_3_1_1, true));
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    sub.setCallback(new CollectingCallback(got));
    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("x/1", utf8("hello"), 1, false);
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
    assertThat(tb.broker().stats().subscriptions()).isZero();
  }

  @Test
  void secondConnectionWithSameClientIdTakesOverAndClosesTheFirst() throws Exception {
    tb.start();
    MqttClient first = client("same-id");
    AtomicReference<Throwable> lost = new AtomicReference<>();
    first.setCallback(new CollectingCallback(new LinkedBlockingQueue<>()) {
      @Override
      public void connectionLost(Throwable cause) {
        lost.set(cause);
      }
    });
    MqttConnectOptions o = options(MqttConnectOptions.MQTT_VERSION_3_1_1, false);
    first.connect(o);
    first.subscribe("t", 1);

    MqttClient second = client("same-id");
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    second.setCallback(new CollectingCallback(got));
    assertThat(second.connectWithResult(o).getSessionPresent()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> lost.get() != null);
    assertThat(first.isConnected()).isFalse();

    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("t", utf8("to the new owner"), 1, false);
    assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("to the new owner");
  }

  @Test
  void willIsPublishedWhenTheConnectionDropsWithoutDisconnect() throws Exception {
    tb.start();
    MqttClient sub = connected("watcher", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    sub.subscribe("status/#", 2, (t, m) -> got.add(m));

    MqttClient dying = client("dying");
    MqttConnectOptions o = options(MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    o.setWill("status/dying", utf8("gone"), 2, true);
    dying.connect(o);
    // Paho has no "drop the socket" call: a takeover by a raw connection ends its connection
    // without DISCONNECT, which must publish the will.
    try (Socket s = new Socket("127.0.0.1", tb.port())) {
      OutputStream out = s.getOutputStream();
      out.write(new byte[] {0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x05,
          'd', 'y', 'i', 'n', 'g'});
      out.flush();
      MqttMessage will = got.poll(5, TimeUnit.SECONDS);
      assertThat(will).isNotNull();
      assertThat(new String(will.getPayload(), StandardCharsets.UTF_8)).isEqualTo("gone");
      assertThat(will.getQos()).isEqualTo(2);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> tb.broker().stats().retainedMessages() == 1);
  }

  @Test
  void willIsNotPublishedAfterDisconnect() throws Exception {
    tb.start();
    MqttClient sub = connected("watcher", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    sub.subscribe("status/#", 1, (t, m) -> got.add(m));
    MqttClient polite = client("polite");
    MqttConnectOptions o = options(MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    o.setWill("status/polite", utf8("gone"), 1, false);
    polite.connect(o);
    polite.disconnect();
    assertThat(got.poll(500, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void overlappingSubscriptionsDeliverOnceAtTheHighestQos() throws Exception {
    tb.start();
    MqttClient sub = connected("overlap", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    // One client-wide callback: Paho calls every matching per-subscription listener for one message.
    sub.setCallback(new CollectingCallback(new LinkedBlockingQueue<>()) {
      @Override
      public void messageArrived(String topic, MqttMessage message) {
        got.add(message);
      }
    });
    sub.subscribe(new String[] {"a/#", "a/+", "a/b"}, new int[] {0, 2, 1});
    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("a/b", utf8("once"), 2, false);
    MqttMessage m = got.poll(5, TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.getQos()).isEqualTo(2);
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void unsubscribeStopsDelivery() throws Exception {
    tb.start();
    MqttClient sub = connected("unsub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    sub.subscribe("u/t", 1, (t, m) -> got.add(m));
    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("u/t", utf8("1"), 1, false);
    assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
    sub.unsubscribe("u/t");
    pub.publish("u/t", utf8("2"), 1, false);
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void dollarTopicsAreNotMatchedByLeadingWildcards() throws Exception {
    tb.start();
    MqttClient sub = connected("dollar", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    sub.setCallback(new CollectingCallback(got));
    sub.subscribe(new String[] {"#", "+/x", "$app/#"}, new int[] {1, 1, 1});
    MqttClient pub = connected("pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    pub.publish("$app/x", utf8("d"), 1, false);
    assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("d");
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void manyQos2MessagesArriveExactlyOnceInOrder() throws Exception {
    tb.start();
    MqttClient sub = connected("eo-sub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    sub.subscribe("eo", 2, (t, m) -> got.add(new String(m.getPayload(), StandardCharsets.UTF_8)));
    MqttClient pub = connected("eo-pub", MqttConnectOptions.MQTT_VERSION_3_1_1, true);
    int n = 500;
    for (int i = 0; i < n; i++) {
      pub.publish("eo", utf8(Integer.toString(i)), 2, false);
    }
    for (int i = 0; i < n; i++) {
      assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo(Integer.toString(i));
    }
    assertThat(got.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }

  /** Collects payloads as UTF-8 strings. */
  static class CollectingCallback implements MqttCallback {
    private final BlockingQueue<String> sink;

    CollectingCallback(BlockingQueue<String> sink) {
      this.sink = sink;
    }

    @Override
    public void connectionLost(Throwable cause) {}

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      sink.add(new String(message.getPayload(), StandardCharsets.UTF_8));
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {}
  }
}
