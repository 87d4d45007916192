package io.tern.server.admin;

import io.micrometer.core.instrument.Timer;
import io.tern.broker.store.Durability;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoredState;

/**
 * A {@link MessageStore} that times its writes: the store write latency of the metrics. One timer
 * record per batch write (a batch holds what one socket read or one pump changed), not per message.
 */
public final class TimedStore implements MessageStore {
  private final MessageStore store;
  private final Timer writes;
  private final io.micrometer.core.instrument.Counter failures;
  /** Whether the last write failed: set by a failure, cleared by the next write that succeeds. */
  private volatile boolean failing;

  public TimedStore(MessageStore store, Timer writes, io.micrometer.core.instrument.Counter failures) {
    this.store = store;
    this.writes = writes;
    this.failures = failures;
  }

  /**
   * Whether the store takes writes: false from a failed write (a full disk) until one succeeds.
   * The broker writes at least once a second (its alive stamp), so this follows the store.
   */
  public boolean writable() {
    return !failing;
  }

  @Override
  public Durability durability() {
    return store.durability();
  }

  @Override
  public StoredState recover() {
    return store.recover();
  }

  @Override
  public StoreBatch newBatch() {
    return store.newBatch();
  }

  @Override
  public void write(StoreBatch batch) {
    long start = System.nanoTime();
    try {
      store.write(batch);
      if (failing) {
        failing = false;
      }
    } catch (io.tern.broker.store.StoreException e) {
      failing = true;
      failures.increment();
      throw e;
    } finally {
      writes.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void afterSync(Runnable done) {
    store.afterSync(done);
  }

  @Override
  public void compact() {
    store.compact();
  }

  @Override
  public long sizeBytes() {
    return store.sizeBytes();
  }

  @Override
  public void close() {
    store.close();
  }
}
