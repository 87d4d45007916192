package io.tern.broker.testsupport;

import io.tern.broker.store.Durability;
import io.tern.broker.store.InMemoryStore;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoredState;

/**
 * A store that passes everything to another ({@link InMemoryStore} by default): tests override the
 * one call they make fail, slow or count (a full disk, a later sync, a compaction).
 */
public class DelegatingStore implements MessageStore {
  protected final MessageStore inner;

  public DelegatingStore() {
    this(new InMemoryStore());
  }

  public DelegatingStore(MessageStore inner) {
    this.inner = inner;
  }

  @Override
  public Durability durability() {
    return inner.durability();
  }

  @Override
  public StoredState recover() {
    return inner.recover();
  }

  @Override
  public StoreBatch newBatch() {
    return inner.newBatch();
  }

  @Override
  public void write(StoreBatch batch) {
    inner.write(batch);
  }

  @Override
  public void afterSync(Runnable done) {
    inner.afterSync(done);
  }

  @Override
  public void compact() {
    inner.compact();
  }

  @Override
  public long sizeBytes() {
    return inner.sizeBytes();
  }

  @Override
  public void close() {
    inner.close();
  }
}
