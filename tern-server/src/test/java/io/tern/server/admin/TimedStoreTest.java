package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoreException;
import org.junit.jupiter.api.Test;

/** A store that cannot be written shows in the metrics and in readiness, until a write succeeds again. */
class TimedStoreTest {
  /** Fails while {@link #full} is set, as RocksDB on a full disk. */
  static final class FullDisk extends io.tern.broker.testsupport.DelegatingStore {
    volatile boolean full;

    @Override
    public void write(StoreBatch batch) {
      if (full) {
        throw new StoreException("store write failed: No space left on device (test)");
      }
      inner.write(batch);
    }
  }

  @Test
  void aFailedWriteMakesTheStoreUnwritableUntilOneSucceeds() {
    try (ServerMetrics metrics = new ServerMetrics()) {
      assertThat(metrics.storeWritable()).as("no store").isTrue();
      FullDisk disk = new FullDisk();
      var store = metrics.timed(disk);
      store.write(batch(store));
      assertThat(metrics.storeWritable()).isTrue();
      disk.full = true;
      assertThatThrownBy(() -> store.write(batch(store))).isInstanceOf(StoreException.class);
      assertThatThrownBy(() -> store.write(batch(store))).isInstanceOf(StoreException.class);
      assertThat(metrics.storeWritable()).isFalse();
      assertThat(metrics.scrape()).contains("tern_store_writable 0.0", "tern_store_write_failures_total 2.0");
      disk.full = false;
      store.write(batch(store));
      assertThat(metrics.storeWritable()).isTrue();
      assertThat(metrics.scrape()).contains("tern_store_writable 1.0", "tern_store_write_failures_total 2.0");
    }
  }

  private static StoreBatch batch(io.tern.broker.store.MessageStore store) {
    StoreBatch b = store.newBatch();
    b.putAliveAt(System.currentTimeMillis());
    return b;
  }
}
