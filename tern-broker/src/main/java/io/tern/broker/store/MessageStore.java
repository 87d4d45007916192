package io.tern.broker.store;

/**
 * Where the broker keeps what must outlive it: persistent sessions with their subscriptions and
 * expiry, the messages queued and in flight for them with their QoS 2 state, inbound QoS 2 packet
 * ids awaiting PUBREL, retained messages and delayed wills.
 *
 * <pre>{@code
 * MessageStore store = new InMemoryStore();          // or RocksDbStore.open(...) from tern-store-rocksdb
 * Broker broker = Broker.builder().store(store).build().start();
 * ...
 * broker.stop();
 * store.close();                                      // the broker does not close the store it is given
 * }</pre>
 *
 * <p><b>How the broker uses it.</b> Each event loop fills its own {@link StoreBatch} while it
 * handles one socket read and writes it with {@link #write} before the acknowledgements of that
 * read leave (PUBACK, PUBREC, SUBACK): acknowledged means stored. In {@link Durability#FSYNC} the
 * connection further waits for {@link #afterSync} before it sends PUBACK/PUBREC/PUBCOMP. A message
 * delivered to many sessions is stored once ({@link StoreBatch#putMessage}) and referenced by each
 * ({@link StoreBatch#putQueued}); the broker removes it with the last reference.
 *
 * <p><b>Threading.</b> {@link #write} and {@link #afterSync} are called from many threads at once
 * and must not serialize callers behind one lock for longer than the write itself. {@link
 * #recover} is called once, before any write.
 */
public interface MessageStore extends AutoCloseable {
  Durability durability();

  /**
   * Everything stored, read once when the broker starts, before it accepts connections. Orphans
   * (queue entries of unknown sessions) are left out; the broker removes what it finds expired or
   * unreferenced.
   */
  StoredState recover();

  /** A new empty batch, to be filled by one thread. */
  StoreBatch newBatch();

  /**
   * Writes the batch, all or nothing, and empties it for reuse. When this returns, the batch
   * survives a killed process ({@link Durability#PROCESS} and {@link Durability#FSYNC}).
   *
   * @throws StoreException when the write fails (the broker then closes the connection it served)
   */
  void write(StoreBatch batch);

  /**
   * Runs {@code done} once every batch written before this call is as durable as {@link
   * #durability()} promises: at once (on the calling thread) unless {@link Durability#FSYNC}, where
   * it runs on the store's sync thread after a sync shared by every caller waiting at that time.
   * Never blocks.
   */
  void afterSync(Runnable done);

  /** Removes the space taken by deleted data now, rather than when the store gets to it. */
  default void compact() {}

  /** The space the store takes, in bytes (on disk, or an estimate in memory). */
  long sizeBytes();

  /** Flushes and releases the store. Idempotent. */
  @Override
  void close();
}
