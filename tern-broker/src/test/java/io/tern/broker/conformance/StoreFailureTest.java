package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connAck;
import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.InMemoryStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoreException;
import io.tern.codec.ConnAck;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A store that cannot be written (a full disk, a failing device): clients get the spec's answers,
 * nothing is acknowledged that was not stored, and the broker serves again once the store works.
 */
class StoreFailureTest extends BrokerTestBase {
  private final FailingStore store = new FailingStore();

  @BeforeEach
  void withStore() {
    useStore(store);
  }

  /** An {@link InMemoryStore} whose writes fail while {@link #failing} is set, as RocksDB's do on a full disk. */
  static final class FailingStore extends io.tern.broker.testsupport.DelegatingStore {
    volatile boolean failing;
    final AtomicInteger failed = new AtomicInteger();

    @Override
    public void write(StoreBatch batch) {
      if (failing) {
        failed.incrementAndGet();
        new InMemoryStore().write(batch); // what the batch held is lost, as RocksDB clears its batch
        throw new StoreException("store write failed: IO error: No space left on device (test)");
      }
      inner.write(batch);
    }
  }

  @Test
  void aPersistentClientIsRefusedWithServerUnavailableNotLeftWithoutConnAckAndAcceptedOnceTheStoreWorks() {
    RawClient witness = witness();
    store.failing = true;
    RawClient v3 = open("persistent v3");
    v3.send(connectPacket("persistent-v3").cleanSession(false).build());
    v3.expect(connAck(false, ReasonCodes.V3_SERVER_UNAVAILABLE));
    v3.expectClosed();
    RawClient v5 = open("persistent v5", io.tern.codec.MqttVersion.V5);
    v5.send(Packets.v5("persistent-v5").properties(io.tern.codec.MqttProperties.builder()
        .sessionExpiryInterval(60).build()).build());
    assertThat(v5.expect(ConnAck.class).reasonCode()).isEqualTo(ReasonCodes.SERVER_UNAVAILABLE);
    v5.expectClosed();
    assertThat(store.failed.get()).isPositive();
    RawClient clean = connect("clean"); // nothing of it to store: served as usual
    clean.send(publish("witness/x", 0, 0, "still served"));
    assertThat(Packets.text(witness.expect(Publish.class))).isEqualTo("still served");

    store.failing = false;
    connect(connectPacket("persistent-v3").cleanSession(false), false);
    assertBrokerServesOthers();
  }

  @Test
  void aQos1MessageThatCannotBeStoredIsNotAcknowledgedAndItsPublisherIsDisconnected() {
    RawClient sub = connect(connectPacket("sub").cleanSession(false), false);
    subscribe(sub, "t", 1);
    sub.close();
    eventually(() -> broker().stats().connections() == 0);
    store.failing = true;
    RawClient pub = connect("pub");
    pub.send(publish("t", 1, 7, "must be stored"));
    pub.expectClosed(); // no PUBACK: the client sends it again on its next connection
    store.failing = false;
    RawClient again = connect("pub2");
    again.send(publish("t", 1, 8, "stored"));
    again.expect(Packets.pubAck(8));
    RawClient back = connect(connectPacket("sub").cleanSession(false), true);
    assertThat(Packets.text(back.expect(Publish.class))).isEqualTo("stored");
  }

  @Test
  void anMqtt5PublisherGetsItsDisconnectWithoutTheAcksOfTheMessagesThatWereNotStored() {
    RawClient sub = connect(connectPacket("sub5").cleanSession(false), false);
    subscribe(sub, "t5", 2);
    sub.close();
    eventually(() -> broker().stats().connections() == 0);
    store.failing = true;
    RawClient pub = open("pub v5", io.tern.codec.MqttVersion.V5);
    pub.send(Packets.v5("pub5").build()); // clean, no session expiry: nothing to store
    assertThat(pub.expect(ConnAck.class).reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
    // In one write, as a client with a window of several sends them: one read, one store write.
    // The PUBACK and PUBRECs of this read left with the DISCONNECT: acknowledged, never stored.
    java.io.ByteArrayOutputStream window = new java.io.ByteArrayOutputStream();
    window.writeBytes(Packets.bytes(publish("t5", 1, 1, "one"), io.tern.codec.MqttVersion.V5));
    window.writeBytes(Packets.bytes(publish("t5", 2, 2, "two"), io.tern.codec.MqttVersion.V5));
    window.writeBytes(Packets.bytes(publish("t5", 1, 3, "three"), io.tern.codec.MqttVersion.V5));
    pub.sendBytes(window.toByteArray());
    assertThat(pub.expect(io.tern.codec.Disconnect.class).reasonCode()).as("the first packet after the CONNACK")
        .isEqualTo(ReasonCodes.UNSPECIFIED_ERROR);
    pub.expectClosed();
    store.failing = false;
    assertBrokerServesOthers();
  }
}
