package io.tern.store.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.store.Durability;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoredMessage;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredSession;
import io.tern.broker.store.StoredState;
import io.tern.broker.store.StoredSubscription;
import io.tern.broker.store.StoredWill;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.store.rocksdb.RocksDbStore.OnCorrupt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStoreTest {
  @TempDir Path tmp;
  private RocksDbStore store;
  private final List<StoreBatch> batches = new ArrayList<>();

  @AfterEach
  void close() {
    batches.forEach(StoreBatch::close); // native and direct memory: the leak detector reports them
    if (store != null) {
      store.close();
    }
  }

  /** A new batch of {@code s}, closed after the test. */
  private StoreBatch batch(RocksDbStore s) {
    StoreBatch b = s.newBatch();
    batches.add(b);
    return b;
  }

  private Path dir() {
    return tmp.resolve("data");
  }

  private RocksDbStore open() {
    return open(OnCorrupt.FAIL);
  }

  private RocksDbStore open(OnCorrupt onCorrupt) {
    if (store != null) {
      store.close();
    }
    store = RocksDbStore.open(dir(), Durability.PROCESS, onCorrupt);
    return store;
  }

  private static Publish publish(String topic, int qos, boolean retain, String payload, MqttProperties props) {
    return new Publish(topic, qos, retain, false, 0, payload.getBytes(StandardCharsets.UTF_8), props);
  }

  @Test
  void everyKindOfRecordIsReadBackAsWritten() {
    MqttProperties props = MqttProperties.builder()
        .set(Property.CONTENT_TYPE, "text/plain")
        .set(Property.MESSAGE_EXPIRY_INTERVAL, 60L)
        .build();
    StoredMessage m1 = new StoredMessage(publish("a/b", 2, false, "one", props), "pub");
    StoredMessage m2 = new StoredMessage(publish("r/t", 1, true, "kept", MqttProperties.EMPTY), null);
    StoredSubscription sub = new StoredSubscription("a/#", 2, true, true, 1, 42);
    StoredQueued q1 = new StoredQueued(1, 10, 2, false, List.of(42), 7, true);
    StoredQueued q2 = new StoredQueued(2, 10, 1, true, List.of(), 0, false, null, 0, true); // retained, new subscription
    StoredQueued inline = new StoredQueued(3, 0, 2, false, List.of(5, 6), 9, false, m1);
    StoredWill will = new StoredWill(publish("will/t", 1, false, "gone", MqttProperties.EMPTY), 123456789L);

    RocksDbStore s = open();
    assertThat(s.recover().sessions()).isEmpty();
    StoreBatch b = batch(s);
    b.putSession("c1", StoredSession.NEVER, 0);
    b.putSession("c2", 30, 1000);
    b.putSession("c3", 30, 2000, 42); // what may have been sent when the client went away
    b.putSubscription("c1", sub);
    b.putMessage(10, m1);
    b.putMessage(11, m2);
    b.putQueued("c1", q2);
    b.putQueued("c1", q1);
    b.putQueued("c1", inline);
    b.putInboundQos2("c1", 65535);
    b.putInboundQos2("c1", 3);
    b.putRetained("r/t", 11);
    b.putWill("c2", will);
    s.write(b);
    assertThat(b.isEmpty()).as("a written batch is emptied").isTrue();

    StoredState state = open().recover();
    assertThat(state.sessions()).containsExactlyInAnyOrder(
        new StoredSession("c1", StoredSession.NEVER, 0, List.of(sub), List.of(q1, q2, inline), Set.of(3, 65535)),
        new StoredSession("c2", 30, 1000, List.of(), List.of(), Set.of()),
        new StoredSession("c3", 30, 2000, List.of(), List.of(), Set.of(), 42));
    assertThat(state.sessions()).filteredOn(x -> x.clientId().equals("c2"))
        .extracting(StoredSession::sentThroughSeq).containsExactly(StoredSession.UNKNOWN);
    StoredMessage back = state.messages().get(10L);
    assertThat(back.origin()).isEqualTo("pub");
    assertThat(back.publish().topic()).isEqualTo("a/b");
    assertThat(back.publish().qos()).isEqualTo(2);
    assertThat(back.publish().payload()).isEqualTo("one".getBytes(StandardCharsets.UTF_8));
    assertThat(back.publish().properties()).isEqualTo(props);
    assertThat(state.messages().get(11L).origin()).isNull();
    assertThat(state.messages().get(11L).publish().retain()).isTrue();
    assertThat(state.retained()).containsExactlyEntriesOf(java.util.Map.of("r/t", 11L));
    assertThat(state.wills().get("c2").publishAtMillis()).isEqualTo(123456789L);
    assertThat(state.wills().get("c2").will().topic()).isEqualTo("will/t");
  }

  @Test
  void theLatestAliveStampIsReadBack() {
    RocksDbStore s = open();
    assertThat(s.recover().aliveAtMillis()).as("a new store knows no time").isZero();
    for (long t : new long[] {1_700_000_000_000L, 1_700_000_001_000L}) {
      StoreBatch b = batch(s);
      b.putAliveAt(t);
      assertThat(b.isEmpty()).isFalse();
      s.write(b);
    }
    assertThat(open().recover().aliveAtMillis()).isEqualTo(1_700_000_001_000L);
  }

  @Test
  void aRunComesBackAsOneReferenceEachAndGoesWithOneRemoval() {
    MqttProperties expiring = MqttProperties.builder().set(Property.MESSAGE_EXPIRY_INTERVAL, 60L).build();
    StoredMessage inline = new StoredMessage(publish("t/1", 1, false, "one", expiring), "pub", 1_700_000_060_000L);
    StoredMessage shared = new StoredMessage(publish("t/2", 1, false, "two", MqttProperties.EMPTY), null);
    StoredQueued r1 = new StoredQueued(5, 0, 1, false, List.of(7), 0, false, inline, 5);
    StoredQueued r2 = new StoredQueued(6, 9, 1, true, List.of(), 0, false, null, 5, true);
    StoredQueued r3 = new StoredQueued(7, 0, 1, false, List.of(1, 2), 0, false, inline, 5);
    StoredQueued qos2 = new StoredQueued(8, 9, 2, false, List.of(), 0, false);
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    b.putSession("c", StoredSession.NEVER, 0);
    b.putQueued("c", r1);
    b.putMessage(9, shared); // the broker stores a shared message between the references of a run
    b.putQueued("c", r2);
    b.putQueued("c", r3);
    b.putQueued("c", qos2);
    s.write(b);

    StoredState state = open().recover();
    assertThat(state.sessions().get(0).queue()).containsExactly(r1, r2, r3, qos2);
    assertThat(state.sessions().get(0).queue()).extracting(StoredQueued::retainedOnSubscribe)
        .containsExactly(false, true, false, false);
    assertThat(state.sessions().get(0).queue().get(0).message().expiresAtMillis()).isEqualTo(1_700_000_060_000L);
    assertThat(state.messages()).containsOnlyKeys(9L);

    b = batch(store);
    b.removeRun("c", 5, 3);
    store.write(b);
    assertThat(open().recover().sessions().get(0).queue()).containsExactly(qos2);
  }

  /**
   * Sessions are read back one at a time as an iteration reaches them, every family going along
   * in the order of the client ids: ids that are prefixes of others, or sort between them, keep
   * their own records.
   */
  @Test
  void eachSessionReadBackHasItsOwnRecords() {
    List<String> ids = List.of("a", "ab", "a/b", "aa", "b", "\u00e9t\u00e9", "empty", "z");
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    b.putMessage(1, new StoredMessage(new Publish("t", 1, false, false, 0, new byte[1], MqttProperties.EMPTY), "p"));
    int seq = 0;
    for (String id : ids) {
      b.putSession(id, StoredSession.NEVER, 0);
      if (id.equals("empty")) {
        continue;
      }
      b.putSubscription(id, new StoredSubscription("f/" + id, 1, false, false, 0, 0));
      b.putQueued(id, new StoredQueued(++seq, 1, 1, false, List.of(), 0, false)); // on its own
      int run = ++seq;
      b.putQueued(id, new StoredQueued(run, 1, 1, false, List.of(), 0, false, null, run)); // a run of two
      b.putQueued(id, new StoredQueued(++seq, 1, 1, false, List.of(), 0, false, null, run));
      b.putInboundQos2(id, id.length());
    }
    s.write(b);

    StoredState state = open().recover();
    assertThat(state.sessions()).hasSize(ids.size());
    for (int pass = 0; pass < 2; pass++) { // an iteration reads them again
      for (StoredSession x : state.sessions()) {
        if (x.clientId().equals("empty")) {
          assertThat(x.subscriptions()).isEmpty();
          assertThat(x.queue()).isEmpty();
          assertThat(x.inboundQos2()).isEmpty();
          continue;
        }
        assertThat(x.subscriptions()).extracting(StoredSubscription::filter).containsExactly("f/" + x.clientId());
        assertThat(x.queue()).hasSize(3);
        assertThat(x.queue().get(2).seq() - x.queue().get(0).seq()).isEqualTo(2);
        assertThat(x.inboundQos2()).containsExactly(x.clientId().length());
      }
    }
    assertThat(state.sessions()).extracting(StoredSession::clientId).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(state.sessions().get(1).queue()).hasSize(3); // by seeks
    java.util.Iterator<StoredSession> left = state.sessions().iterator();
    left.next();
    store.close(); // with an iteration going: its iterators are closed first
    store = null;
  }

  /**
   * A batch lives as long as its event loop, and lets go of what a large write made it hold (a
   * WriteBatch keeps its largest size; so does the run's buffer): it is replaced, and goes on.
   */
  @Test
  void aBatchGoesOnAfterAWriteLargerThanItKeeps() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    byte[] big = new byte[(int) RocksDbStore.KEEP_BYTES * 2];
    big[big.length - 1] = 7;
    b.putSession("c", StoredSession.NEVER, 0);
    b.putMessage(1, new StoredMessage(new Publish("big", 1, false, false, 0, big, MqttProperties.EMPTY), "p"));
    List<StoredQueued> run = new ArrayList<>();
    for (int i = 0; i < 2000; i++) { // a run's value of ~20 KB, over its buffer's initial 4 KB
      run.add(new StoredQueued(100 + i, 1, 1, false, List.of(), 0, false, null, 100));
    }
    run.forEach(q -> b.putQueued("c", q));
    s.write(b);

    StoredQueued d1 = new StoredQueued(500, 2, 1, false, List.of(), 0, false, null, 500);
    StoredQueued d2 = new StoredQueued(501, 2, 1, false, List.of(), 0, false, null, 500);
    b.putSession("d", StoredSession.NEVER, 0);
    b.putMessage(2, new StoredMessage(new Publish("small", 1, false, false, 0, new byte[10], MqttProperties.EMPTY), "p"));
    b.putQueued("d", d1);
    b.putQueued("d", d2);
    s.write(b);

    StoredState state = open().recover();
    assertThat(state.messages().get(1L).publish().payload()).isEqualTo(big);
    assertThat(state.sessions()).filteredOn(x -> x.clientId().equals("c")).singleElement()
        .satisfies(c -> assertThat(c.queue()).containsExactlyElementsOf(run));
    assertThat(state.sessions()).filteredOn(x -> x.clientId().equals("d")).singleElement()
        .satisfies(d -> assertThat(d.queue()).containsExactly(d1, d2));
  }

  @Test
  void aPartlyAcknowledgedRunIsReplacedByItsRemainingReferencesInOneBatch() {
    // What the broker writes when a client goes away with a run partly acknowledged: the run's record
    // goes, and the references still pending come back one record each (no run).
    StoredMessage m = new StoredMessage(publish("t", 1, false, "x", MqttProperties.EMPTY), null);
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    b.putSession("c", StoredSession.NEVER, 0);
    b.putMessage(9, m);
    for (long seq = 5; seq <= 8; seq++) {
      b.putQueued("c", new StoredQueued(seq, 9, 1, false, List.of(), 0, false, null, 5));
    }
    s.write(b);

    StoredQueued q7 = new StoredQueued(7, 9, 1, false, List.of(), 0, false);
    StoredQueued q8 = new StoredQueued(8, 9, 1, false, List.of(), 0, false);
    b = batch(store);
    b.removeRun("c", 5, 4);
    b.putQueued("c", q7);
    b.putQueued("c", q8);
    store.write(b);
    assertThat(open().recover().sessions().get(0).queue()).containsExactly(q7, q8);

    b = batch(store);
    b.removeQueued("c", 7);
    store.write(b);
    assertThat(open().recover().sessions().get(0).queue()).containsExactly(q8);
  }

  @Test
  void aFormat1DirectoryIsReadAndUpgradedInPlace() throws Exception {
    // A directory as format 1 wrote it: seven families, version 1 records (no expiry deadline).
    Files.createDirectories(dir());
    Files.writeString(dir().resolve(RocksDbStore.FORMAT_FILE), "1\n");
    Publish p = publish("t", 1, false, "old", MqttProperties.EMPTY);
    io.netty.buffer.ByteBuf packet = io.netty.buffer.Unpooled.buffer();
    io.tern.codec.MqttEncoder.encodePublish(p, 1, false, false, 1, io.tern.codec.MqttVersion.V5, packet);
    byte[] message = new byte[4 + packet.readableBytes()];
    message[0] = 1; // version, no origin, origin length 0
    packet.readBytes(message, 4, message.length - 4);
    byte[] queued = new byte[16 + message.length];
    queued[0] = 1; // version; message id 0 (inline), QoS 1, no retain, packet id 0, not released, no ids
    queued[9] = 1;
    System.arraycopy(message, 0, queued, 16, message.length);
    try (org.rocksdb.DBOptions o = new org.rocksdb.DBOptions().setCreateIfMissing(true)
             .setCreateMissingColumnFamilies(true);
         org.rocksdb.ColumnFamilyOptions cfo = new org.rocksdb.ColumnFamilyOptions()) {
      List<org.rocksdb.ColumnFamilyDescriptor> d = new java.util.ArrayList<>();
      d.add(new org.rocksdb.ColumnFamilyDescriptor(org.rocksdb.RocksDB.DEFAULT_COLUMN_FAMILY, cfo));
      for (String f : List.of("sessions", "subscriptions", "queue", "inbound", "messages", "retained", "wills")) {
        d.add(new org.rocksdb.ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cfo));
      }
      List<org.rocksdb.ColumnFamilyHandle> h = new java.util.ArrayList<>();
      try (org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, dir().toString(), d, h)) {
        db.put(h.get(1), "c".getBytes(StandardCharsets.UTF_8), Records.session(StoredSession.NEVER, 0, -1));
        db.put(h.get(3), Records.seqKey("c", 4), queued);
        db.put(h.get(5), Records.longKey(2), message);
        db.put(h.get(6), "t".getBytes(StandardCharsets.UTF_8), Records.longKey(2));
        h.forEach(org.rocksdb.ColumnFamilyHandle::close);
      }
    }

    StoredState state = open().recover();
    StoredQueued q = state.sessions().get(0).queue().get(0);
    assertThat(q.seq()).isEqualTo(4);
    assertThat(q.run()).isZero();
    assertThat(q.message().publish().payload()).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
    assertThat(q.message().expiresAtMillis()).as("format 1 kept no deadline").isZero();
    assertThat(state.messages().get(2L).origin()).isNull();
    assertThat(state.retained()).containsEntry("t", 2L);
    assertThat(Files.readString(dir().resolve(RocksDbStore.FORMAT_FILE)).trim())
        .isEqualTo(String.valueOf(RocksDbStore.FORMAT_VERSION));
  }

  @Test
  void compactionReclaimsTheSpaceOfRemovedRuns() {
    RocksDbStore s = open();
    byte[] payload = new byte[8 * 1024];
    java.util.Random random = new java.util.Random(2);
    StoreBatch b = batch(s);
    b.putSession("c", StoredSession.NEVER, 0);
    for (int run = 0; run < 200; run++) { // 16 MB that do not compress, in runs of 10
      for (int i = 0; i < 10; i++) {
        random.nextBytes(payload);
        StoredMessage m = new StoredMessage(new Publish("t", 1, false, false, 0, payload.clone(), MqttProperties.EMPTY), "p");
        b.putQueued("c", new StoredQueued(run * 10 + i + 1, 0, 1, false, List.of(), 0, false, m, run * 10 + 1));
      }
      s.write(b);
    }
    s.compact();
    long full = s.sizeBytes();
    assertThat(full).isGreaterThan(8L * 1024 * 1024);
    assertThat(open().recover().sessions().get(0).queue()).hasSize(2000);
    b = batch(store);
    for (int run = 0; run < 200; run++) {
      b.removeRun("c", run * 10 + 1, 10);
    }
    store.write(b);
    store.compact();
    assertThat(store.sizeBytes()).as("after removal and compaction (was %d)", full).isLessThan(full / 4);
    assertThat(open().recover().sessions().get(0).queue()).isEmpty();
  }

  @Test
  void queueEntriesComeBackInSequenceOrder() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    b.putSession("c", StoredSession.NEVER, 0);
    for (long seq : new long[] {300, 2, 70_000, 1, 256}) {
      b.putQueued("c", new StoredQueued(seq, 1, 1, false, List.of(), 0, false));
    }
    s.write(b);
    List<StoredQueued> q = open().recover().sessions().get(0).queue();
    assertThat(q).extracting(StoredQueued::seq).containsExactly(1L, 2L, 256L, 300L, 70_000L);
  }

  @Test
  void removingASessionRemovesItsRecordsAndNoOtherSessions() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    for (String id : List.of("a", "ab")) { // "a" is a prefix of "ab"
      b.putSession(id, StoredSession.NEVER, 0);
      b.putSubscription(id, new StoredSubscription("t", 1, false, false, 0, 0));
      b.putQueued(id, new StoredQueued(1, 1, 1, false, List.of(), 0, false));
      b.putInboundQos2(id, 1);
    }
    s.write(b);
    b.removeSession("a");
    s.write(b);
    StoredState state = open().recover();
    assertThat(state.sessions()).extracting(StoredSession::clientId).containsExactly("ab");
    assertThat(state.sessions().get(0).subscriptions()).hasSize(1);
    assertThat(state.sessions().get(0).queue()).hasSize(1);
    assertThat(state.sessions().get(0).inboundQos2()).containsExactly(1);
  }

  /** A session with the given records, put in {@code b} (not written). */
  private static void putSessionWithRecords(StoreBatch b, String id, int queued) {
    b.putSession(id, StoredSession.NEVER, 0);
    b.putSubscription(id, new StoredSubscription("t/1", 1, false, false, 0, 0));
    b.putSubscription(id, new StoredSubscription("t/+", 2, false, false, 0, 0));
    for (int i = 1; i <= queued; i++) {
      b.putQueued(id, new StoredQueued(i, i, 1, false, List.of(), 0, false));
    }
    b.putInboundQos2(id, 7);
  }

  /**
   * A removed session leaves no record behind that a new session of the same client id would be
   * given after a restart (records of sessions that no longer exist are dropped at the open, so
   * the client id comes back first): removed one by one when few, by a range when many, and by a
   * range when the same batch added them (not in the store yet, where the removal looks).
   */
  @Test
  void aRemovedSessionLeavesNothingForTheNextSessionOfItsClientId() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    putSessionWithRecords(b, "few", 3);
    putSessionWithRecords(b, "many", RocksDbStore.POINT_DELETES + 10);
    putSessionWithRecords(b, "other", 3);
    s.write(b);
    s.compact();
    b.removeSession("few");
    s.write(b);
    assertThat(s.rangeDeletionsInMemtables()).as("a few records are deleted one by one").isZero();
    b.removeSession("many");
    s.write(b);
    assertThat(s.rangeDeletionsInMemtables()).as("the queue of many by a range").isEqualTo(1);
    putSessionWithRecords(b, "same", 3);
    b.removeSession("same"); // in the batch that added them
    for (String id : List.of("few", "many", "same")) {
      b.putSession(id, StoredSession.NEVER, 0);
    }
    s.write(b);
    StoredState state = open().recover();
    assertThat(state.sessions()).extracting(StoredSession::clientId).containsExactlyInAnyOrder("few", "many", "same", "other");
    for (StoredSession session : state.sessions()) {
      boolean old = session.clientId().equals("other");
      assertThat(session.subscriptions()).as(session.clientId()).hasSize(old ? 2 : 0);
      assertThat(session.queue()).as(session.clientId()).hasSize(old ? 3 : 0);
      assertThat(session.inboundQos2()).as(session.clientId()).hasSize(old ? 1 : 0);
    }
  }

  @Test
  void recordsOfSessionsThatNoLongerExistAreDroppedWhenOpened() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    b.putQueued("gone", new StoredQueued(1, 1, 1, false, List.of(), 0, false));
    b.putSubscription("gone", new StoredSubscription("t", 1, false, false, 0, 0));
    s.write(b);
    assertThat(open().recover().sessions()).isEmpty();
    b = batch(store);
    b.putSession("gone", StoredSession.NEVER, 0); // the session record alone finds nothing left
    store.write(b);
    StoredSession back = open().recover().sessions().get(0);
    assertThat(back.queue()).isEmpty();
    assertThat(back.subscriptions()).isEmpty();
  }

  @Test
  void compactionReclaimsTheSpaceOfRemovedMessages() {
    RocksDbStore s = open();
    byte[] payload = new byte[8 * 1024];
    java.util.Random random = new java.util.Random(1);
    StoreBatch b = batch(s);
    for (int i = 1; i <= 2000; i++) { // 16 MB that do not compress
      random.nextBytes(payload);
      b.putMessage(i, new StoredMessage(new Publish("t/" + i, 1, false, false, 0, payload.clone(), MqttProperties.EMPTY), "p"));
      if (i % 100 == 0) {
        s.write(b);
      }
    }
    s.compact(); // out of the memtable and the log, into table files
    long full = s.sizeBytes();
    assertThat(full).isGreaterThan(8L * 1024 * 1024);
    for (int i = 1; i <= 2000; i++) {
      b.removeMessage(i);
    }
    s.write(b);
    s.compact();
    assertThat(s.sizeBytes()).as("after removal and compaction (was %d)", full).isLessThan(full / 4);
    assertThat(open().recover().messages()).isEmpty();
  }

  @Test
  void aCorruptDirectoryStopsWithThePathAndTheWayOut() throws Exception {
    open();
    StoreBatch b = batch(store);
    b.putSession("c", StoredSession.NEVER, 0);
    store.write(b);
    store.close();
    store = null;
    Files.writeString(dir().resolve("CURRENT"), "MANIFEST-999999\n"); // names a manifest that is not there

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("its CURRENT file, or the MANIFEST it names, is missing or cannot be read")
        .hasMessageContaining(dir().toAbsolutePath().toString())
        .hasMessageContaining("on_corrupt_store: quarantine");
    assertThat(dir().resolve("CURRENT")).as("left as it was").exists();
  }

  /**
   * Bytes damaged in the middle of the write-ahead log: corruption, not a clean end of the log.
   * RocksDB's default recovery stopped at the damaged record and opened without a word, every
   * record after it gone (a black-box probe lost 10,208 of 20,000 acknowledged messages this way).
   */
  @Test
  void aRecordDamagedInTheMiddleOfTheLogIsCorruption() throws Exception {
    open();
    for (int i = 1; i <= 200; i++) { // 200 writes, each its own record in the log
      StoreBatch b = batch(store);
      b.putMessage(i, new StoredMessage(new Publish("t/" + i, 1, false, false, 0, new byte[100], MqttProperties.EMPTY), "p"));
      store.write(b);
    }
    store.close(); // the log synced, the memtable not flushed: everything is in the log alone
    store = null;
    Path wal;
    try (var logs = Files.list(dir())) {
      wal = logs.filter(f -> f.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
    }
    long size = Files.size(wal);
    assertThat(size).as("the records are in the log").isGreaterThan(200 * 100);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(wal, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}), size / 2);
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("Corruption")
        .hasMessageContaining(dir().toAbsolutePath().toString());
    assertThat(wal).as("left as it was, for the operator").exists().hasSize(size);
  }

  /** A store with a session, a queued message and a retained one, closed with its writes in the log alone. */
  private void storeWithQueuedAndRetained() {
    open();
    StoreBatch b = batch(store);
    b.putSession("c", StoredSession.NEVER, 0);
    b.putMessage(7, new StoredMessage(publish("t", 1, true, "kept", MqttProperties.EMPTY), "p"));
    b.putRetained("t", 7);
    b.putQueued("c", new StoredQueued(1, 7, 1, false, List.of(), 0, false, null, 0));
    store.write(b);
    store.close();
    store = null;
  }

  private void assertQueuedAndRetainedAreBack() {
    StoredState state = open().recover();
    assertThat(state.sessions()).hasSize(1);
    assertThat(state.sessions().get(0).queue()).hasSize(1);
    assertThat(state.retained()).containsEntry("t", 7L);
  }

  /** Every file of the data directory with its contents, to see that a refused open changed nothing. */
  private Map<String, String> files() throws Exception {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(dir())) {
      for (Path f : (Iterable<Path>) list::iterator) {
        files.put(f.getFileName().toString(), java.util.HexFormat.of().formatHex(
            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
      }
    }
    return files;
  }

  private Path manifest() throws Exception {
    try (Stream<Path> list = Files.list(dir())) {
      return list.filter(f -> f.getFileName().toString().startsWith("MANIFEST-")).findFirst().orElseThrow();
    }
  }

  /**
   * A MANIFEST read only up to damage in its middle lists fewer column families than the store
   * has. RocksDB, told to create missing families, opened it with them empty and skipped the log's
   * records for them: a black-box probe got 0 of 220 acknowledged messages back, without a word.
   */
  @Test
  void aManifestDamagedInItsMiddleIsCorruptionAndTheRefusalChangesNothing() throws Exception {
    storeWithQueuedAndRetained();
    Path manifest = manifest();
    byte[] intact = Files.readAllBytes(manifest);
    // The records of RocksDB's log format: checksum (4 bytes), length (2), type (1), data. Damage
    // the length and type of the record in the middle, as the probe's 4 bytes flipped did.
    List<Integer> records = new ArrayList<>();
    for (int at = 0; at + 7 <= intact.length; at += 7 + ((intact[at + 4] & 0xff) | (intact[at + 5] & 0xff) << 8)) {
      records.add(at);
    }
    byte[] damage = intact.clone();
    int middle = records.get(records.size() / 2);
    for (int i = middle + 5; i < middle + 9; i++) {
      damage[i] ^= (byte) 0xff;
    }
    Files.write(manifest, damage);
    Map<String, String> damaged = files();

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("MANIFEST is damaged or cut short: it lacks the column families")
        .hasMessageContaining(dir().toAbsolutePath().toString())
        .hasMessageContaining("on_corrupt_store: quarantine");
    assertThatThrownBy(this::open).as("refused again").isInstanceOf(StoreCorruptException.class);
    assertThat(files()).as("no file written, none removed").isEqualTo(damaged);

    Files.write(manifest, intact);
    assertQueuedAndRetainedAreBack();
  }

  @Test
  void aManifestCutShortIsCorruption() throws Exception {
    storeWithQueuedAndRetained();
    Path manifest = manifest();
    byte[] intact = Files.readAllBytes(manifest);
    Files.write(manifest, java.util.Arrays.copyOf(intact, intact.length / 2));
    Map<String, String> cut = files();

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("MANIFEST is damaged or cut short");
    assertThat(files()).isEqualTo(cut);
  }

  /**
   * RocksDB refused a store without CURRENT, but its open had already written a new CURRENT and
   * MANIFEST: the next start (a service manager's restart, or quarantine as the error advises)
   * opened an empty store and deleted the log that held the data.
   */
  @Test
  void aMissingCurrentIsRefusedAtEveryStartAndQuarantinedAsItWas() throws Exception {
    storeWithQueuedAndRetained();
    Files.delete(dir().resolve("CURRENT"));
    Map<String, String> damaged = files();

    for (int start = 0; start < 2; start++) {
      assertThatThrownBy(this::open)
          .isInstanceOf(StoreCorruptException.class)
          .hasMessageContaining("it has no CURRENT file");
    }
    assertThat(files()).isEqualTo(damaged);

    assertThat(open(OnCorrupt.QUARANTINE).recover().sessions()).isEmpty();
    Path aside;
    try (Stream<Path> siblings = Files.list(tmp)) {
      aside = siblings.filter(p -> p.getFileName().toString().startsWith("data.corrupt-")).findFirst().orElseThrow();
    }
    store.close();
    store = null;
    Files.move(dir(), tmp.resolve("empty"));
    Files.move(aside, dir());
    assertThat(files()).as("moved aside as it was").isEqualTo(damaged);
    Files.writeString(dir().resolve("CURRENT"), manifest().getFileName() + "\n");
    assertQueuedAndRetainedAreBack();
  }

  @Test
  void aFirstStartStoppedBeforeRocksDbWroteLeavesANewStore() throws Exception {
    Files.createDirectories(dir());
    Files.writeString(dir().resolve(RocksDbStore.FORMAT_FILE), RocksDbStore.FORMAT_VERSION + "\n");
    assertThat(open().recover().sessions()).isEmpty();
  }

  @Test
  void anUnreadableRecordIsCorruptionToo() throws Exception {
    open();
    StoreBatch b = batch(store);
    b.putSession("c", StoredSession.NEVER, 0);
    store.write(b);
    store.close();
    store = null;
    // A record the format cannot have, written behind the store's back.
    try (org.rocksdb.DBOptions o = new org.rocksdb.DBOptions();
         org.rocksdb.ColumnFamilyOptions cfo = new org.rocksdb.ColumnFamilyOptions()) {
      List<org.rocksdb.ColumnFamilyDescriptor> d = new java.util.ArrayList<>();
      d.add(new org.rocksdb.ColumnFamilyDescriptor(org.rocksdb.RocksDB.DEFAULT_COLUMN_FAMILY, cfo));
      for (String f : List.of("sessions", "subscriptions", "queue", "inbound", "messages", "retained", "wills", "runs")) {
        d.add(new org.rocksdb.ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cfo));
      }
      List<org.rocksdb.ColumnFamilyHandle> h = new java.util.ArrayList<>();
      try (org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, dir().toString(), d, h)) {
        db.put(h.get(1), "c".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9});
        h.forEach(org.rocksdb.ColumnFamilyHandle::close);
      }
    }
    assertThatThrownBy(this::open)
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("unreadable record in sessions")
        .hasMessageContaining(dir().toAbsolutePath().toString());
  }

  @Test
  void aDataDirectoryTheStoreCreatesIsItsUsersOnlyAndOneThatExistsIsLeftAsItIs() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path nested = tmp.resolve("a/b/data");
    RocksDbStore.open(nested, Durability.PROCESS, OnCorrupt.FAIL).close();
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(nested)))
        .isEqualTo("rwx------");
    assertThat(Files.getPosixFilePermissions(tmp.resolve("a/b"))).as("parents as usual")
        .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
    Files.createDirectories(dir());
    Files.setPosixFilePermissions(dir(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    open().close();
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir())))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void aDirectoryThatIsNotATernStoreIsRefused() throws Exception {
    Files.createDirectories(dir());
    Files.writeString(dir().resolve("notes.txt"), "mine");
    assertThatThrownBy(this::open).isInstanceOf(StoreCorruptException.class).hasMessageContaining("not a Tern store");
  }

  @Test
  void aNewerFormatIsRefusedEvenWithQuarantine() throws Exception {
    open().close();
    store = null;
    Files.writeString(dir().resolve(RocksDbStore.FORMAT_FILE), (RocksDbStore.FORMAT_VERSION + 1) + "\n");
    assertThatThrownBy(() -> open(OnCorrupt.QUARANTINE))
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("newer Tern")
        .satisfies(e -> assertThat(((StoreCorruptException) e).quarantinable()).isFalse());
    assertThat(dir()).as("not moved").exists();
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertThat(siblings).hasSize(1);
    }
  }

  @Test
  void quarantineMovesACorruptDirectoryAsideAndStartsEmpty() throws Exception {
    open();
    StoreBatch b = batch(store);
    b.putSession("c", StoredSession.NEVER, 0);
    store.write(b);
    store.close();
    store = null;
    Files.writeString(dir().resolve("CURRENT"), "garbage");

    StoredState state = open(OnCorrupt.QUARANTINE).recover();
    assertThat(state.sessions()).isEmpty();
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("data.corrupt-"))
          .contains("data");
    }
  }

  private static boolean corruption(org.rocksdb.Status.Code code, org.rocksdb.Status.SubCode sub, String message) {
    return RocksDbStore.corruption(new org.rocksdb.RocksDBException(message, new org.rocksdb.Status(code, sub, message)));
  }

  @Test
  void aFailingDiskIsNotCorruptionAndBadContentsAre() {
    // What a full disk gave in a probe: quarantine moved a sound store aside, and the broker started empty.
    assertThat(corruption(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.NoSpace,
        "While appending to file: /data/000012.log: No space left on device")).isFalse();
    assertThat(corruption(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.None,
        "While open a file for appending: /data/LOG: Read-only file system")).isFalse();
    assertThat(corruption(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.None,
        "While opening a file for sequentially reading: /data/MANIFEST-999999: No such file or directory")).isTrue();
    assertThat(corruption(org.rocksdb.Status.Code.Corruption, org.rocksdb.Status.SubCode.None,
        "block checksum mismatch")).isTrue();
  }

  @Test
  void whatAFirstStartOnAFullDiskLeftIsANewStore() throws Exception {
    Files.createDirectories(dir());
    Files.writeString(dir().resolve(RocksDbStore.FORMAT_FILE), ""); // written in place by earlier versions
    Files.writeString(dir().resolve(RocksDbStore.FORMAT_FILE + ".tmp"), "2");
    assertThat(open().recover().sessions()).isEmpty();
    assertThat(Files.readString(dir().resolve(RocksDbStore.FORMAT_FILE)).trim())
        .isEqualTo(String.valueOf(RocksDbStore.FORMAT_VERSION));
    assertThat(dir().resolve(RocksDbStore.FORMAT_FILE + ".tmp")).doesNotExist();
  }

  @Test
  void aDirectoryInUseByAnotherStoreIsNotQuarantined() {
    RocksDbStore first = open();
    assertThatThrownBy(() -> RocksDbStore.open(dir(), Durability.PROCESS, OnCorrupt.QUARANTINE))
        .isInstanceOf(StoreCorruptException.class)
        .hasMessageContaining("in use by another process");
    assertThat(first.recover().sessions()).isEmpty(); // still open and usable
  }

  @Test
  void fsyncModeCallsBackAfterTheSharedSync() throws Exception {
    store = RocksDbStore.open(dir(), Durability.FSYNC, OnCorrupt.FAIL);
    CountDownLatch done = new CountDownLatch(100);
    StoreBatch b = batch(store);
    for (int i = 0; i < 100; i++) {
      b.putInboundQos2("c", i + 1);
      store.write(b);
      store.afterSync(done::countDown);
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void expiredSessionsAreRemovedWhenTheBrokerStarts() {
    RocksDbStore s = open();
    StoreBatch b = batch(s);
    long now = System.currentTimeMillis();
    b.putSession("expired", 10, now - 60_000); // went away a minute ago, 10 s expiry
    b.putQueued("expired", new StoredQueued(1, 5, 1, false, List.of(), 0, false));
    b.putMessage(5, new StoredMessage(publish("t", 1, false, "x", MqttProperties.EMPTY), "p"));
    b.putSession("alive", 3600, now - 60_000);
    b.putSession("forever", StoredSession.NEVER, now - 86_400_000L);
    b.putSession("soon", 1, now); // expires one second after the start, while the broker runs
    s.write(b);

    Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).store(s).build().start();
    try {
      assertThat(broker.stats().sessions()).isEqualTo(3);
      await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().sessions() == 2);
    } finally {
      broker.stop();
    }
    StoredState state = open().recover();
    assertThat(state.sessions()).extracting(StoredSession::clientId).containsExactlyInAnyOrder("alive", "forever");
    assertThat(state.messages()).as("the expired session's message went with it").isEmpty();
  }
}
