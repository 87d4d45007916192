package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client whose packets are costly cannot hold its event loop for what it sent at once: past its
 * turn ({@link MqttConnection#TURN_NANOS}) the rest waits behind the other clients on the loop,
 * in order, and nothing is lost. Here a publish hook makes each message to {@code slow} take a
 * millisecond (as a topic that walks many wildcard filters does) and one client sends 3,000 of
 * them in one write, on a broker of one event loop.
 */
class LoopTurnTest {
  private static final int FLOOD = 3000;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void aFloodOfCostlyPacketsLetsTheOtherClientsOnItsLoopIn() throws Exception {
    AtomicInteger slowSeen = new AtomicInteger();
    startWithSlowTopic(slowSeen, 1_000_000);

    Mqtt5BlockingClient subscriber = client("sub");
    subscriber.connect();
    subscriber.subscribeWith().topicFilter("slow").qos(MqttQos.AT_MOST_ONCE).send();
    List<Integer> received = new CopyOnWriteArrayList<>();
    subscriber.toAsync().publishes(MqttGlobalPublishFilter.ALL,
        p -> received.add(ByteBuffer.wrap(p.getPayloadAsBytes()).getInt()));
    Mqtt5BlockingClient canary = client("canary");
    canary.connect();

    try (Socket flooder = new Socket("127.0.0.1", broker.port())) {
      OutputStream out = flooder.getOutputStream();
      out.write(new byte[] {0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 3, 'f', 'l', 'o'});
      out.flush();
      flooder.setSoTimeout(5000);
      byte[] connAck = flooder.getInputStream().readNBytes(4);
      assertThat(connAck).containsExactly(0x20, 2, 0, 0);
      ByteArrayOutputStream flood = new ByteArrayOutputStream();
      for (int i = 0; i < FLOOD; i++) { // QoS 0 PUBLISH "slow" with a 4-byte sequence number
        flood.write(new byte[] {0x30, 10, 0, 4, 's', 'l', 'o', 'w'});
        flood.write(ByteBuffer.allocate(4).putInt(i).array());
      }
      out.write(flood.toByteArray());
      out.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> slowSeen.get() > 0);

      // The canary's QoS 1 PUBLISH comes after the flood began: answered at the end of a turn.
      canary.publishWith().topic("fast").qos(MqttQos.AT_LEAST_ONCE)
          .payload("here".getBytes(StandardCharsets.UTF_8)).send();
      int seenWhenAnswered = slowSeen.get();
      assertThat(seenWhenAnswered).as("costly packets processed before another client's was").isLessThan(FLOOD / 2);

      await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == FLOOD);
      for (int i = 0; i < FLOOD; i++) {
        assertThat(received.get(i)).as("message %d", i).isEqualTo(i);
      }
    }
    assertThat(Internals.core(broker).stats().turnsEnded()).isPositive();
    canary.disconnect();
    subscriber.disconnect();
  }

  /**
   * A client that sends its costly PUBLISHes, DISCONNECT and closes the socket: the end of the
   * stream comes while the rest of its read waits for its next turn. What waited is still
   * processed: every message is delivered, and its DISCONNECT counts (no will). Also when the
   * socket is reset (a client that closes with answers unread), which Netty reports as an error.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "reset {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void whatWaitsForTheNextTurnCountsWhenTheClientClosesMeanwhile(boolean reset) throws Exception {
    AtomicInteger slowSeen = new AtomicInteger();
    startWithSlowTopic(slowSeen, 500_000);
    List<String> received = new CopyOnWriteArrayList<>();
    Mqtt5BlockingClient subscriber = watchSlowAndWill(received);

    int messages = 1000;
    try (Socket flooder = new Socket("127.0.0.1", broker.port())) {
      OutputStream out = connectWithWill(flooder);
      ByteArrayOutputStream flood = new ByteArrayOutputStream();
      for (int i = 0; i < messages; i++) {
        flood.write(new byte[] {0x30, 10, 0, 4, 's', 'l', 'o', 'w'});
        flood.write(ByteBuffer.allocate(4).putInt(i).array());
      }
      flood.write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
      out.write(flood.toByteArray());
      out.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> slowSeen.get() > 0);
      if (reset) {
        flooder.setSoLinger(true, 0); // the close sends RST
      }
    } // closed while most of it waits
    await().atMost(Duration.ofSeconds(30)).until(() -> slowSeen.get() == messages);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= messages);
    Thread.sleep(300); // a will would come now
    assertThat(received).hasSize(messages).doesNotContain("will");
    subscriber.disconnect();
  }

  /**
   * A burst of QoS 1 PUBLISHes larger than one socket buffer (64 KiB), DISCONNECT, and a close with
   * the PUBACKs unread: when they reach the closed socket, the client's kernel resets it, and what
   * the broker's kernel still holds is gone. The broker reads what the socket holds before the
   * acks of a read leave, so none is lost (the acks of the part processed when the turn ended had
   * left first: 23 of 2,500 kept in a probe).
   */
  @Test
  void aBurstClosedWithItsAcksUnreadIsReadWholeBeforeTheAcksLeave() throws Exception {
    AtomicInteger slowSeen = new AtomicInteger();
    startWithSlowTopic(slowSeen, 200_000);
    List<String> received = new CopyOnWriteArrayList<>();
    Mqtt5BlockingClient subscriber = watchSlowAndWill(received);

    int messages = 5000; // 90,000 bytes
    try (Socket flooder = new Socket("127.0.0.1", broker.port())) {
      OutputStream out = connectWithWill(flooder);
      ByteArrayOutputStream flood = new ByteArrayOutputStream();
      for (int i = 0; i < messages; i++) { // QoS 1 PUBLISH "slow", packet id, 4-byte sequence number
        int id = i % 65535 + 1;
        flood.write(new byte[] {0x32, 12, 0, 4, 's', 'l', 'o', 'w', (byte) (id >> 8), (byte) id});
        flood.write(ByteBuffer.allocate(4).putInt(i).array());
      }
      flood.write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
      out.write(flood.toByteArray());
      out.flush();
    } // closed at once, the PUBACKs unread
    await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= messages || received.contains("will"));
    Thread.sleep(300); // a will would come now
    assertThat(received).hasSize(messages).doesNotContain("will");
    subscriber.disconnect();
  }

  /** A client that records the topics of what it gets on {@code slow} and {@code will}. */
  private Mqtt5BlockingClient watchSlowAndWill(List<String> received) {
    Mqtt5BlockingClient subscriber = client("sub");
    subscriber.connect();
    subscriber.subscribeWith().topicFilter("slow").qos(MqttQos.AT_MOST_ONCE).send();
    subscriber.subscribeWith().topicFilter("will").qos(MqttQos.AT_MOST_ONCE).send();
    subscriber.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> received.add(p.getTopic().toString()));
    return subscriber;
  }

  /** MQTT 3.1.1 CONNECT on {@code flooder}, clean session, will "will" / "gone" at QoS 0; CONNACK read. */
  private static OutputStream connectWithWill(Socket flooder) throws java.io.IOException {
    OutputStream out = flooder.getOutputStream();
    out.write(new byte[] {0x10, 27, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 0, 0, 3, 'f', 'l', 'o',
        0, 4, 'w', 'i', 'l', 'l', 0, 4, 'g', 'o', 'n', 'e'});
    out.flush();
    flooder.setSoTimeout(5000);
    assertThat(flooder.getInputStream().readNBytes(4)).containsExactly(0x20, 2, 0, 0);
    return out;
  }

  /**
   * Starts a broker of one event loop whose publish hook spends {@code nanos} on each message to
   * {@code slow} (as a topic that walks many wildcard filters does), counting them in {@code seen}.
   */
  private void startWithSlowTopic(AtomicInteger seen, long nanos) {
    PublishHook slow = (client, message) -> {
      if (message.topic().equals("slow")) {
        seen.incrementAndGet();
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      }
      return PublishDecision.CONTINUE;
    };
    broker = Broker.builder()
        // Room for a whole burst in the subscriber's queue: a read's messages are handed over at once.
        .config(BrokerConfig.builder().listener(Listener.tcp("127.0.0.1", 0)).ioThreads(1).maxQueuedMessages(100_000)
            .build())
        .hook(slow).build().start();
  }

  private Mqtt5BlockingClient client(String id) {
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
  }

}
