package io.tern.broker.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.Durability;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PubRec;
import io.tern.codec.ReasonCodes;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With durability fsync the acks wait for the sync: the broker's DISCONNECT must wait behind them. */
class FsyncAckOrderTest extends Mqtt5TestBase {
  private final ScheduledExecutorService syncer = Executors.newSingleThreadScheduledExecutor();

  /** An in-memory store in the fsync mode whose syncs come 5 ms later, on a thread of their own, as RocksDB's. */
  final class SyncingStore extends io.tern.broker.testsupport.DelegatingStore {
    @Override
    public Durability durability() {
      return Durability.FSYNC;
    }

    @Override
    public void afterSync(Runnable done) {
      syncer.schedule(done, 5, TimeUnit.MILLISECONDS);
    }
  }

  @BeforeEach
  void withStore() {
    useStore(new SyncingStore());
  }

  @AfterEach
  void stopSyncer() {
    syncer.shutdownNow();
  }

  @Test
  void receiveMaximumExceededInOneBurstGetsThePubrecsOfTheAllowedOnesFirst() {
    // The DISCONNECT left at once, the PUBRECs of the stored messages never: their client would
    // send them again as new messages.
    configure(b -> b.receiveMaximum(2));
    RawClient c = connect5("c");
    ByteArrayOutputStream burst = new ByteArrayOutputStream();
    for (int id = 1; id <= 3; id++) {
      burst.writeBytes(Packets.bytes(publish5("t", 2, id, "x", MqttProperties.EMPTY), MqttVersion.V5));
    }
    c.sendBytes(burst.toByteArray());
    assertThat(c.expect(PubRec.class).packetId()).isEqualTo(1);
    assertThat(c.expect(PubRec.class).packetId()).isEqualTo(2);
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED);
  }
}
