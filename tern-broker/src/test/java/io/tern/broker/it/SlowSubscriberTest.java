package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A subscriber that stops reading must not stall publishers nor other subscribers for good; one that
 * reads, only slowly, loses no QoS 1 message by default: its publishers wait for it.
 */
class SlowSubscriberTest {
  @RegisterExtension final TestBroker tb = new TestBroker();

  /**
   * Four publishers as fast as QoS 1 allows into one subscriber that takes ~2,000 messages a
   * second (Paho v3, whose callback sleeps): with {@code slow_subscriber: wait} (the default)
   * every message arrives and nothing is dropped; with {@code drop} the same load overruns its
   * queue of 200 and loses messages, which shows that the load does outrun it.
   */
  @Test
  void aConnectedSubscriberSlowerThanItsPublishersLosesNothingAtQos1() throws Exception {
    assertThat(fanInIntoSlowSubscriber(io.tern.broker.SlowSubscriberPolicy.WAIT)).isZero();
    assertThat(tb.broker().memoryStats().slowSubscriberPauses()).as("the publishers waited").isPositive();
  }

  @Test
  void withSlowSubscriberDropTheSameLoadOverrunsTheQueue() throws Exception {
    assertThat(fanInIntoSlowSubscriber(io.tern.broker.SlowSubscriberPolicy.DROP)).isPositive();
    assertThat(tb.broker().memoryStats().slowSubscriberPauses()).isZero();
  }

  /**
   * A shared subscription spreads the load: with one member that takes ~500 messages a second (Paho
   * v3, sleeping) and one that reads as fast as it can (the HiveMQ client), the slow one gets
   * messages only while its queue has room, the fast one the rest, and nothing is lost. (Strict
   * turns would give each half, and the publishers would wait for the slow member.)
   */
  @Test
  void aSlowMemberOfASharedSubscriptionIsPassedOverWhileAnotherHasRoom() throws Exception {
    tb.start(b -> b.maxQueuedMessages(200).outboundStallTimeout(Duration.ofSeconds(60))); // as below
    int publishers = 4;
    int each = 2_000;
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger slowGot = new AtomicInteger();
    AtomicInteger fastGot = new AtomicInteger();
    MqttClient slow = new MqttClient(tb.uri(), "slow", new MemoryPersistence());
    slow.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) throws Exception {
        slowGot.incrementAndGet();
        if (!seen.add(topic + "/" + new String(m.getPayload(), java.nio.charset.StandardCharsets.UTF_8))) {
          duplicates.incrementAndGet();
        }
        Thread.sleep(2);
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
    });
    slow.connect();
    slow.subscribe("$share/g/fan/#", 1);
    Mqtt3AsyncClient fast = Mqtt3Client.builder().identifier("fast").serverHost("127.0.0.1")
        .serverPort(tb.port()).buildAsync();
    fast.connect().get(5, TimeUnit.SECONDS);
    fast.subscribeWith().topicFilter("$share/g/fan/#").qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
      fastGot.incrementAndGet();
      if (!seen.add(p.getTopic() + "/" + new String(p.getPayloadAsBytes(), java.nio.charset.StandardCharsets.UTF_8))) {
        duplicates.incrementAndGet();
      }
    }).send().get(5, TimeUnit.SECONDS);
    java.util.List<Mqtt3AsyncClient> pubs = publishQos1(publishers, each);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(seen).hasSize(publishers * each));
    assertThat(duplicates.get()).isZero();
    assertThat(tb.broker().stats().messagesDropped()).isZero();
    assertThat(fastGot.get()).as("the fast member took most (slow one: %s)", slowGot.get())
        .isGreaterThan(3 * slowGot.get());
    for (Mqtt3AsyncClient pub : pubs) {
      pub.disconnect().get(5, TimeUnit.SECONDS);
    }
    fast.disconnect().get(5, TimeUnit.SECONDS);
    slow.disconnect();
    slow.close();
  }

  /**
   * {@code publishers} HiveMQ clients each publish {@code each} QoS 1 messages to {@code fan/P}
   * (payload: the message's number), as fast as the broker takes them; returns once all are
   * acknowledged, with the clients still connected.
   */
  private java.util.List<Mqtt3AsyncClient> publishQos1(int publishers, int each) throws Exception {
    java.util.List<Mqtt3AsyncClient> pubs = new java.util.ArrayList<>();
    java.util.List<java.util.concurrent.CompletableFuture<?>> acks = new java.util.ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      Mqtt3AsyncClient pub = Mqtt3Client.builder().identifier("pub" + p).serverHost("127.0.0.1")
          .serverPort(tb.port()).buildAsync();
      pub.connect().get(5, TimeUnit.SECONDS);
      pubs.add(pub);
    }
    for (int i = 0; i < each; i++) {
      for (int p = 0; p < publishers; p++) {
        acks.add(pubs.get(p).publishWith().topic("fan/" + p).qos(MqttQos.AT_LEAST_ONCE)
            .payload(Integer.toString(i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).send());
      }
    }
    java.util.concurrent.CompletableFuture.allOf(acks.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
        .get(60, TimeUnit.SECONDS);
    return pubs;
  }

  /** Writes CONNECT {@code clientId} (MQTT 3.1.1, clean session) and SUBSCRIBE {@code filter} at QoS 1. */
  private static void connectAndSubscribe(OutputStream out, String clientId, String filter) throws java.io.IOException {
    byte[] id = clientId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] f = filter.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(new byte[] {0x10, (byte) (12 + id.length), 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00,
        (byte) id.length});
    b.write(id);
    b.write(new byte[] {(byte) 0x82, (byte) (5 + f.length), 0x00, 0x01, 0x00, (byte) f.length});
    b.write(f);
    b.write(0x01);
    out.write(b.toByteArray());
    out.flush();
  }

  /** Returns the messages the broker dropped; asserts that every message not dropped arrived once. */
  private long fanInIntoSlowSubscriber(io.tern.broker.SlowSubscriberPolicy policy) throws Exception {
    // A stall timeout far above the test's length: on a starved machine (a CI host, this JVM's
    // publishers and subscriber on two cores) a subscriber that took nothing for the default 5 s
    // counts as stalled and drops by design (one run on a loaded machine dropped 154 messages,
    // reaching the bound of 200); here only the policy is tested.
    tb.start(b -> b.maxQueuedMessages(200).slowSubscriber(policy).outboundStallTimeout(Duration.ofSeconds(60)));
    int publishers = 4;
    int each = 2_000;
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicInteger duplicates = new AtomicInteger();
    MqttClient sub = new MqttClient(tb.uri(), "slow", new MemoryPersistence());
    MqttConnectOptions so = new MqttConnectOptions();
    so.setCleanSession(true);
    sub.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) throws Exception {
        if (!seen.add(topic + "/" + new String(m.getPayload(), java.nio.charset.StandardCharsets.UTF_8))) {
          duplicates.incrementAndGet();
        }
        Thread.sleep(0, 500_000);
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
    });
    sub.connect(so);
    sub.subscribe("fan/#", 1);
    java.util.List<Mqtt3AsyncClient> pubs = publishQos1(publishers, each);
    await().atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(seen.size() + tb.broker().stats().messagesDropped())
            .isEqualTo(publishers * each));
    assertThat(duplicates.get()).isZero();
    for (Mqtt3AsyncClient pub : pubs) {
      pub.disconnect().get(5, TimeUnit.SECONDS);
    }
    sub.disconnect();
    sub.close();
    return tb.broker().stats().messagesDropped();
  }

  /**
   * A client subscribed to what it publishes, that reads nothing: it is never paused for its own
   * session (that would stop the acks its session waits for), so its own queue keeps its bound and
   * drops, under slow_subscriber: wait too. (Taking batches past the bound for publishers that wait
   * must not apply to it: nothing would ever make it wait.)
   */
  @Test
  void aClientThatReceivesItsOwnMessagesAndReadsNothingKeepsItsQueueBound() throws Exception {
    tb.start(b -> b.maxQueuedMessages(200));
    try (Socket self = new Socket("127.0.0.1", tb.port())) {
      self.setSoTimeout(5000);
      OutputStream out = self.getOutputStream();
      connectAndSubscribe(out, "self", "self/#"); // then read nothing after the SUBACK
      InputStream in = self.getInputStream();
      assertThat(in.readNBytes(4 + 5)).as("CONNACK, SUBACK").hasSize(9);
      java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
      int n = 3000;
      for (int i = 1; i <= n; i++) { // PUBLISH QoS 1 "self/x", packet id i, payload "p"
        burst.write(new byte[] {0x32, 0x0b, 0x00, 0x06, 's', 'e', 'l', 'f', '/', 'x', (byte) (i >> 8), (byte) i, 'p'});
      }
      out.write(burst.toByteArray());
      out.flush();
      await().atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(tb.broker().stats().messagesDropped()).isGreaterThan(n / 2));
    }
  }

  @Test
  void subscriberThatNeverReadsQueuesToItsBoundThenDropsWhileOthersAreServed() throws Exception {
    tb.start(b -> b.maxQueuedMessages(1000));
    try (Socket stuck = new Socket("127.0.0.1", tb.port())) {
      stuck.setReceiveBufferSize(4096);
      OutputStream out = stuck.getOutputStream();
      connectAndSubscribe(out, "stuck", "load/#"); // never read anything
      InputStream in = stuck.getInputStream();
      await().atMost(Duration.ofSeconds(5)).until(() -> tb.broker().stats().subscriptions() == 1);

      // The reference subscriber is the Netty-based HiveMQ client at QoS 0: it reads as fast as the
      // broker writes. (Paho v3 reads headers a byte at a time and, sharing this JVM's two cores,
      // can pause long enough to fill its own queue; its QoS 1 acks also go out under Nagle.)
      Mqtt3AsyncClient fast = Mqtt3Client.builder().identifier("fast").serverHost("127.0.0.1")
          .serverPort(tb.port()).buildAsync();
      fast.connect().get(5, TimeUnit.SECONDS);
      AtomicInteger received = new AtomicInteger();
      fast.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_MOST_ONCE)
          .callback(p -> received.incrementAndGet()).send().get(5, TimeUnit.SECONDS);
      MqttConnectOptions o = new MqttConnectOptions();
      o.setMaxInflight(1000);

      MqttClient pub = new MqttClient(tb.uri(), "pub", new MemoryPersistence());
      pub.connect(o);
      // 2 KiB: Paho v3 writes a larger PUBLISH in two segments without TCP_NODELAY, and Nagle with
      // delayed ACKs then costs ~40 ms per publish against any broker (seen with Mosquitto too).
      byte[] payload = new byte[2 * 1024];
      int n = 6000; // 12 MB towards a subscriber that reads nothing
      for (int i = 0; i < n; i++) {
        pub.publish("load/" + (i % 10), payload, 1, false);
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(received.get()).isEqualTo(n));
      // The stuck session holds at most 1000 queued + 32 in flight; kernel and Netty buffers take a
      // few MB more. Everything else for it is dropped, and counted.
      assertThat(tb.broker().stats().messagesDropped()).isGreaterThan(n / 4);
      assertThat(in.available()).isGreaterThanOrEqualTo(0); // the stuck socket is still open
      pub.disconnect();
      pub.close();
      fast.disconnect().get(5, TimeUnit.SECONDS);
    }
  }
}
