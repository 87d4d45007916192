package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connAck;
import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.subAck;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import io.tern.broker.store.InMemoryStore;
import io.tern.broker.store.MessageStore;
import io.tern.broker.conformance.Packets.ConnectBuilder;
import io.tern.codec.MqttVersion;
import io.tern.codec.MqttPacket;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;

/**
 * The frame of every conformance test: one embedded broker per test on 127.0.0.1 (any free port),
 * started on first use with the configuration the test asked for, and the raw clients the test
 * opened, all closed after it. Each test has a hard time limit on top of the bounded reads.
 */
@Timeout(20)
abstract class BrokerTestBase {
  private Consumer<BrokerConfig.Builder> config = b -> b.ioThreads(2);
  private Broker broker;
  /**
   * The store of this test's broker: none, unless the test asks for one ({@link #useStore}) or the
   * suite runs with {@code -Dtern.test.inMemoryStore=true} (a second surefire execution runs every
   * conformance test so, to prove that the store changes nothing a client can see).
   */
  private MessageStore store = Boolean.getBoolean("tern.test.inMemoryStore") ? new InMemoryStore() : null;
  private final List<RawClient> clients = new ArrayList<>();
  private RawClient witness;

  /** Changes the broker configuration for this test; only before the broker is first used. */
  void configure(Consumer<BrokerConfig.Builder> change) {
    if (broker != null) {
      throw new IllegalStateException("the broker is already running");
    }
    config = config.andThen(change);
  }

  /** The broker of this test, started on first use. */
  Broker broker() {
    if (broker == null) {
      broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).configure(config).store(store).build().start();
    }
    return broker;
  }

  /** Gives this test's broker a store; only before the broker is first used. */
  void useStore(MessageStore s) {
    if (broker != null) {
      throw new IllegalStateException("the broker is already running");
    }
    store = s;
  }

  /**
   * Stops the broker (its clients see their connections close) and starts a new one with the same
   * configuration and store, on a new port.
   */
  void restartBroker() {
    for (RawClient c : clients) {
      c.close();
    }
    clients.clear();
    witness = null;
    broker().stop();
    broker = null;
    broker();
  }

  @AfterEach
  void stopBroker() {
    for (RawClient c : clients) {
      c.close();
    }
    clients.clear();
    witness = null;
    if (broker != null) {
      broker.stop();
      broker = null;
    }
  }

  /** A TCP connection to the broker speaking MQTT 3.1.1, before any CONNECT. */
  RawClient open(String name) {
    return open(name, MqttVersion.V3_1_1);
  }

  RawClient open(String name, MqttVersion version) {
    RawClient c = RawClient.open(broker().port(), version, name);
    clients.add(c);
    return c;
  }

  /** A client connected with Clean Session 1 (CONNACK accepted, session present 0). */
  RawClient connect(String clientId) {
    return connect(connectPacket(clientId), false);
  }

  /** Sends the CONNECT and expects it accepted with this session present flag. */
  RawClient connect(ConnectBuilder c, boolean sessionPresent) {
    RawClient client = open(c.clientId().isEmpty() ? "(empty id)" : c.clientId(), c.version());
    client.send(c.build());
    client.expect(connAck(sessionPresent, 0));
    return client;
  }

  /** A clean-session client subscribed to one filter (SUBACK checked). */
  RawClient subscriber(String clientId, String filter, int qos) {
    RawClient c = connect(clientId);
    subscribe(c, filter, qos);
    return c;
  }

  /** Subscribes with packet id 1 and expects the SUBACK granting {@code qos}. */
  static void subscribe(RawClient c, String filter, int qos) {
    c.send(Packets.subscribe(1, filter, qos));
    c.expect(subAck(1, qos));
  }

  /**
   * A client connected before a test misbehaves on another connection, subscribed to
   * "witness/#": {@link #assertBrokerServesOthers()} then also checks that it is still served.
   */
  RawClient witness() {
    witness = subscriber("witness", "witness/#", 1);
    return witness;
  }

  /**
   * Proves the broker still serves others after whatever a test did to one connection: a new
   * client subscribes, publishes at QoS 1 to itself and receives the message; and the {@link
   * #witness()}, when the test has one, receives a message too.
   */
  void assertBrokerServesOthers() {
    RawClient c = connect("bystander-" + System.nanoTime());
    c.send(Packets.subscribe(1, "bystander/check", 1));
    c.expect(subAck(1, 1));
    c.send(publish("bystander/check", 1, 7, "still here"));
    // The PUBACK and the delivery may come in either order.
    boolean acked = false;
    boolean delivered = false;
    for (int i = 0; i < 2; i++) {
      MqttPacket p = c.expectPacket();
      if (p instanceof PubAck a && a.packetId() == 7) {
        acked = true;
      } else if (p instanceof Publish pub && Packets.text(pub).equals("still here")) {
        delivered = true;
      }
    }
    if (!acked || !delivered) {
      throw new AssertionError("a new client was not served: acked=" + acked + ", delivered=" + delivered);
    }
    if (witness != null) {
      c.send(publish("witness/check", 1, 8, "to the witness"));
      c.expect(Packets.pubAck(8));
      Publish p = witness.expect(Publish.class);
      if (!Packets.text(p).equals("to the witness")) {
        throw new AssertionError("the witness received " + p);
      }
    }
  }

  /** Waits (at most 2 s, polling) until the condition holds: Awaitility, never a sleep. */
  static void eventually(Callable<Boolean> condition) {
    Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(condition);
  }
}
