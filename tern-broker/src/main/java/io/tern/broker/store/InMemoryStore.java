package io.tern.broker.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * A {@link MessageStore} in the JVM's memory: what it holds outlives a {@link io.tern.broker.Broker}
 * that is stopped and replaced by another in the same process (handy in tests), never the process.
 * Its durability is therefore {@link Durability#NONE}.
 *
 * <p>Thread-safe: concurrent maps, and batches applied without a global lock.
 */
public final class InMemoryStore implements MessageStore {
  private record SessionRecord(long expiryInterval, long disconnectedAtMillis, long sentThroughSeq) {}

  private final Map<String, SessionRecord> sessions = new ConcurrentHashMap<>();
  private final Map<String, Map<String, StoredSubscription>> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentSkipListMap<Long, StoredQueued>> queues = new ConcurrentHashMap<>();
  private final Map<String, Set<Integer>> inbound = new ConcurrentHashMap<>();
  private final Map<Long, StoredMessage> messages = new ConcurrentHashMap<>();
  private final Map<String, Long> retained = new ConcurrentHashMap<>();
  private final Map<String, StoredWill> wills = new ConcurrentHashMap<>();
  private volatile long aliveAtMillis;

  @Override
  public Durability durability() {
    return Durability.NONE;
  }

  @Override
  public StoredState recover() {
    List<StoredSession> list = new ArrayList<>();
    sessions.forEach((id, r) -> list.add(new StoredSession(id, r.expiryInterval(), r.disconnectedAtMillis(),
        new ArrayList<>(subscriptions.getOrDefault(id, Map.of()).values()),
        new ArrayList<>(queues.getOrDefault(id, new ConcurrentSkipListMap<>()).values()),
        Set.copyOf(inbound.getOrDefault(id, Set.of())), r.sentThroughSeq())));
    return new StoredState(list, new HashMap<>(messages), new HashMap<>(retained), new HashMap<>(wills),
        aliveAtMillis);
  }

  @Override
  public StoreBatch newBatch() {
    return new Batch();
  }

  @Override
  public void write(StoreBatch batch) {
    Batch b = (Batch) batch;
    for (Consumer<InMemoryStore> op : b.ops) {
      op.accept(this);
    }
    b.ops.clear();
  }

  @Override
  public void afterSync(Runnable done) {
    done.run();
  }

  /** A rough estimate: the payloads and topics of the stored messages, plus the references. */
  @Override
  public long sizeBytes() {
    long size = 0;
    for (StoredMessage m : messages.values()) {
      size += m.publish().payload().length + m.publish().topic().length() + 32;
    }
    for (Map<Long, StoredQueued> q : queues.values()) {
      size += 48L * q.size();
    }
    return size;
  }

  @Override
  public void close() {}

  private static Set<Integer> newIdSet(String k) {
    return ConcurrentHashMap.newKeySet();
  }

  private final class Batch implements StoreBatch {
    final List<Consumer<InMemoryStore>> ops = new ArrayList<>();

    @Override
    public void putSession(String clientId, long expiryInterval, long disconnectedAtMillis) {
      putSession(clientId, expiryInterval, disconnectedAtMillis, StoredSession.UNKNOWN);
    }

    @Override
    public void putSession(String clientId, long expiryInterval, long disconnectedAtMillis, long sentThroughSeq) {
      ops.add(s -> s.sessions.put(clientId, new SessionRecord(expiryInterval, disconnectedAtMillis, sentThroughSeq)));
    }

    @Override
    public void removeSession(String clientId) {
      ops.add(s -> {
        s.sessions.remove(clientId);
        s.subscriptions.remove(clientId);
        s.queues.remove(clientId);
        s.inbound.remove(clientId);
        s.wills.remove(clientId);
      });
    }

    @Override
    public void putSubscription(String clientId, StoredSubscription sub) {
      ops.add(s -> s.subscriptions.computeIfAbsent(clientId, k -> new ConcurrentHashMap<>()).put(sub.filter(), sub));
    }

    @Override
    public void removeSubscription(String clientId, String filter) {
      ops.add(s -> s.subscriptions.getOrDefault(clientId, new HashMap<>()).remove(filter));
    }

    @Override
    public void putMessage(long messageId, StoredMessage message) {
      ops.add(s -> s.messages.put(messageId, message));
    }

    @Override
    public void removeMessage(long messageId) {
      ops.add(s -> s.messages.remove(messageId));
    }

    @Override
    public void putQueued(String clientId, StoredQueued queued) {
      ops.add(s -> s.queues.computeIfAbsent(clientId, k -> new ConcurrentSkipListMap<>()).put(queued.seq(), queued));
    }

    @Override
    public void removeQueued(String clientId, long seq) {
      ops.add(s -> {
        Map<Long, StoredQueued> q = s.queues.get(clientId);
        if (q != null) {
          q.remove(seq);
        }
      });
    }

    @Override
    public void putInboundQos2(String clientId, int packetId) {
      ops.add(s -> s.inbound.computeIfAbsent(clientId, InMemoryStore::newIdSet).add(packetId));
    }

    @Override
    public void removeInboundQos2(String clientId, int packetId) {
      ops.add(s -> {
        Set<Integer> ids = s.inbound.get(clientId);
        if (ids != null) {
          ids.remove(packetId);
        }
      });
    }

    @Override
    public void putRetained(String topic, long messageId) {
      ops.add(s -> s.retained.put(topic, messageId));
    }

    @Override
    public void removeRetained(String topic) {
      ops.add(s -> s.retained.remove(topic));
    }

    @Override
    public void putWill(String clientId, StoredWill will) {
      ops.add(s -> s.wills.put(clientId, will));
    }

    @Override
    public void putAliveAt(long millis) {
      ops.add(s -> s.aliveAtMillis = millis);
    }

    @Override
    public void removeWill(String clientId) {
      ops.add(s -> s.wills.remove(clientId));
    }

    @Override
    public boolean isEmpty() {
      return ops.isEmpty();
    }
  }
}
