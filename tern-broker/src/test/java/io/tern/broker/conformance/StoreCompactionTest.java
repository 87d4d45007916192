package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A start compacts a store whose files hold much more than the messages still in it: a backlog
 * delivered before the stop otherwise stayed on disk (29 MB after 200,000 drained messages, through
 * restarts: RocksDB compacts only once enough more files pile up). Checked on RocksDB by hand
 * (29 MB to 0.6 MB); here the decision.
 */
class StoreCompactionTest extends BrokerTestBase {
  /** An in-memory store that says its files take {@link #size} bytes, and counts compactions. */
  static final class SizedStore extends io.tern.broker.testsupport.DelegatingStore {
    volatile long size;
    final AtomicInteger compactions = new AtomicInteger();

    @Override
    public void compact() {
      compactions.incrementAndGet();
    }

    @Override
    public long sizeBytes() {
      return size;
    }
  }

  private final SizedStore store = new SizedStore();

  @BeforeEach
  void withStore() {
    useStore(store);
  }

  @Test
  void aStartCompactsFilesThatHoldMuchMoreThanTheMessagesInThem() {
    RawClient sub = connect(connectPacket("sub").cleanSession(false), false);
    subscribe(sub, "t", 1);
    sub.close();
    eventually(() -> broker().stats().connections() == 0);
    RawClient pub = connect("pub");
    for (int i = 1; i <= 20; i++) {
      pub.send(publish("t", 1, i, "x".repeat(10_000)));
      pub.expect(pubAck(i));
    }
    // 20 messages of 10 kB queued: files of twice what they hold and 8 MiB more are left as they are.
    store.size = 8L * 1024 * 1024 + 300_000;
    restartBroker();
    assertThat(store.compactions.get()).as("files about the size of what they hold").isZero();

    RawClient back = connect(connectPacket("sub").cleanSession(false), true);
    for (int i = 1; i <= 20; i++) {
      back.send(pubAck(back.expect(io.tern.codec.Publish.class).packetId()));
    }
    back.ping();
    back.close();
    eventually(() -> broker().stats().connections() == 0);
    restartBroker(); // the backlog delivered, the files as large as before: compacted
    assertThat(store.compactions.get()).isEqualTo(1);
  }
}
