package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.InMemoryStore;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoredMessage;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredState;
import io.tern.broker.store.StoredSubscription;
import io.tern.broker.store.StoredWill;
import io.tern.broker.store.StoredSession;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import io.tern.codec.Will;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5 features with a store behind the broker (the in-memory store): what is stored is the
 * granted Session Expiry Interval, a session that expires while the broker runs leaves the store,
 * delayed wills outlive a restart, expired messages and shared-subscription redelivery keep the
 * stored queues right.
 */
class Mqtt5StoreTest extends Mqtt5TestBase {
  private final InMemoryStore store = new InMemoryStore();

  @BeforeEach
  void withStore() {
    useStore(store);
  }

  private static MqttProperties expiry(long seconds) {
    return MqttProperties.builder().sessionExpiryInterval(seconds).build();
  }

  private StoredSession stored(String clientId) {
    return store.recover().sessions().stream().filter(s -> s.clientId().equals(clientId)).findFirst().orElse(null);
  }

  /**
   * A client that goes away before its new session is ready (its CONNACK not yet sent) leaves the
   * session as if it had connected and dropped: listed, and stored. It was kept in memory only: a
   * soak probe's TLS clients that closed before reading their CONNACK lost 395 of 400 sessions at
   * a clean restart while the broker listed them. Made to happen every time by holding the loop of
   * the session taken over (a publish hook) while the new client sends CONNECT with Clean Start
   * and closes; the old session is then replaced, and the new one must be in the store.
   */
  @Test
  void aNewSessionWhoseClientLeftBeforeItsConnAckIsStored() throws Exception {
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    broker().addHook((io.tern.broker.hook.PublishHook) (client, m) -> {
      if (m.topic().equals("hold")) {
        holding.countDown();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return io.tern.broker.hook.PublishDecision.CONTINUE;
    });
    RawClient old = connect5(v5("x").cleanSession(false).properties(expiry(300)), false);
    old.send(Packets.publish("hold", 0, 0, "h"));
    assertThat(holding.await(2, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    RawClient gone = open("gone", io.tern.codec.MqttVersion.V5);
    gone.send(v5("x").properties(expiry(200)).build());
    gone.close();
    eventually(() -> broker().management().sessions().stream()
        .anyMatch(s -> s.clientId().equals("x") && !s.online()));
    eventually(() -> {
      StoredSession s = stored("x"); // once: the old session's removal and the new one's write are two steps
      return s != null && s.expiryInterval() == 200;
    });
  }

  @Test
  @DisplayName("the stored expiry interval is the one granted; MQTT 3.1.1 Clean Session 0 is 0xFFFFFFFF")
  void storedExpiryIsTheGrantedOne() {
    configure(b -> b.maxSessionExpiryInterval(30));
    connect5(v5("v5").cleanSession(false).properties(expiry(100)), false);
    connect(connectPacket("v3").cleanSession(false), false);
    eventually(() -> stored("v5") != null && stored("v3") != null);
    assertThat(stored("v5").expiryInterval()).isEqualTo(30);
    assertThat(stored("v3").expiryInterval()).isEqualTo(30); // held to max_session_expiry too
  }

  @Test
  @DisplayName("a v3 persistent session is stored as never expiring")
  void v3SessionNeverExpires() {
    connect(connectPacket("v3").cleanSession(false), false);
    eventually(() -> stored("v3") != null);
    assertThat(stored("v3").expiryInterval()).isEqualTo(StoredSession.NEVER);
  }

  @Test
  @DisplayName("a session that expires while the broker runs is removed from the store with its messages")
  void expiryWhileRunningRemovesTheStoredSession() {
    RawClient s = connect5(v5("s").cleanSession(false).properties(expiry(1)), false);
    subscribe5(s, sub("t", 1));
    s.close();
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "queued", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    eventually(() -> stored("s") != null && stored("s").queue().size() == 1);
    eventually(() -> store.recover().sessions().isEmpty());
    assertThat(store.recover().messages()).isEmpty();
    restartBroker();
    connect5(v5("s").cleanSession(false).properties(expiry(60)), false); // session present 0
  }

  @Test
  @DisplayName("a delayed will waits in the store across a restart and is published when its delay ends")
  void delayedWillSurvivesARestart() {
    Will w = new Will("will/c", "gone".getBytes(StandardCharsets.UTF_8), 0, false,
        MqttProperties.builder().set(Property.WILL_DELAY_INTERVAL, 2L).build());
    connect5(v5("c").cleanSession(false).will(w).properties(expiry(60)), false).close();
    eventually(() -> store.recover().wills().containsKey("c"));
    restartBroker();
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    assertThat(Packets.text(watcher.expect(Publish.class, Duration.ofSeconds(5)))).isEqualTo("gone");
    eventually(() -> !store.recover().wills().containsKey("c"));
  }

  @Test
  @DisplayName("after a crash, an armed will waits its whole delay from the end of the last alive stamp's period, never less")
  void afterACrashAnArmedWillIsNotPublishedBeforeItsDelay() {
    // What a crash leaves: "c" connected (no disconnect time), its will armed with a Will Delay of
    // 10 s, the last alive stamp 9 s old; and an offline session subscribed to the will. The broker
    // died within the stamp's period (1 s) after the stamp: the will is not due before 11 s after
    // it, whatever the moment of the death was.
    long aliveAt = System.currentTimeMillis() - 9_000;
    Publish will = new Publish("will/c", 1, false, false, 0, "gone".getBytes(StandardCharsets.UTF_8), MqttProperties.EMPTY);
    StoredState crashed = new StoredState(
        List.of(new StoredSession("c", 60, 0, List.of(), List.of(), java.util.Set.of()),
            new StoredSession("watcher", 60, aliveAt, List.of(new StoredSubscription("will/#", 1, false, false, 0, 0)),
                List.of(), java.util.Set.of())),
        java.util.Map.of(), java.util.Map.of(), java.util.Map.of("c", StoredWill.armed(will, 10)), aliveAt);
    useStore(recovering(crashed));
    RawClient watcher = connect5(v5("watcher").cleanSession(false).properties(expiry(60)), true);
    assertThat(Packets.text(watcher.expect(Publish.class, Duration.ofSeconds(10)))).isEqualTo("gone");
    assertThat(System.currentTimeMillis()).as("received at (the will was due at %s)", aliveAt + 11_000)
        .isGreaterThanOrEqualTo(aliveAt + 11_000);
  }

  @Test
  @DisplayName("after a crash, an armed will is stored with its time: a second crash does not start its delay again")
  void afterACrashAnArmedWillIsStoredWithItsTime() {
    // "c" was connected at the crash, its will armed with a Will Delay of 30 s: it is due 30 s after
    // the end of the last alive stamp's period (1 s). Left armed in the store, a second crash
    // before then counted the delay from that crash instead (a probe: 26-29 s for a 20 s delay).
    long aliveAt = System.currentTimeMillis() - 2_000;
    Publish will = new Publish("will/c", 1, false, false, 0, "gone".getBytes(StandardCharsets.UTF_8), MqttProperties.EMPTY);
    useStore(recovering(new StoredState(List.of(new StoredSession("c", 60, 0, List.of(), List.of(), java.util.Set.of())),
        java.util.Map.of(), java.util.Map.of(), java.util.Map.of("c", StoredWill.armed(will, 30)), aliveAt)));
    broker();
    eventually(() -> store.recover().wills().containsKey("c"));
    StoredWill stored = store.recover().wills().get("c");
    assertThat(stored.armed()).isFalse();
    assertThat(stored.publishAtMillis()).isEqualTo(aliveAt + 1_000 + 30_000);
  }

  /** A store that recovers {@code state} (what a crash left) and writes to {@link #store}. */
  private MessageStore recovering(StoredState state) {
    return new io.tern.broker.testsupport.DelegatingStore(store) {
      @Override
      public StoredState recover() {
        return state;
      }
    };
  }

  /**
   * {@link #store} as a restart finds it after the broker was down past the deadline of every
   * message with a Message Expiry Interval, once {@code downPastExpiry} is set.
   */
  private final class Downtime extends io.tern.broker.testsupport.DelegatingStore {
    volatile boolean downPastExpiry;

    Downtime() {
      super(store);
    }

    @Override
    public StoredState recover() {
      StoredState s = inner.recover();
      if (!downPastExpiry) {
        return s;
      }
      long past = System.currentTimeMillis() - 1;
      java.util.function.UnaryOperator<StoredMessage> expire =
          m -> m == null || m.expiresAtMillis() == 0 ? m : new StoredMessage(m.publish(), m.origin(), past);
      List<StoredSession> sessions = s.sessions().stream().map(ss -> new StoredSession(ss.clientId(),
          ss.expiryInterval(), ss.disconnectedAtMillis(), ss.subscriptions(), ss.queue().stream()
              .map(q -> new StoredQueued(q.seq(), q.messageId(), q.qos(), q.retain(), q.subscriptionIds(),
                  q.packetId(), q.released(), expire.apply(q.message()), q.run(), q.retainedOnSubscribe()))
              .toList(), ss.inboundQos2(), ss.sentThroughSeq())).toList();
      java.util.Map<Long, StoredMessage> messages = new java.util.HashMap<>();
      s.messages().forEach((id, m) -> messages.put(id, expire.apply(m)));
      return new StoredState(sessions, messages, s.retained(), s.wills(), s.aliveAtMillis());
    }
  }

  /** A QoS 2 message published (and its flow completed) by {@code p}, with this Message Expiry Interval. */
  private static void publishQos2(RawClient p, int packetId, String topic, MqttProperties props) {
    p.send(publish5(topic, 2, packetId, topic, props));
    p.expect(Packets.pubRec(packetId));
    p.send(Packets.pubRel(packetId));
    p.expect(Packets.pubComp(packetId));
  }

  /**
   * MQTT-4.4.0-1 and MQTT-3.3.2-5 across a restart: a message whose onward delivery has begun is
   * not deleted when it expires, also while the broker is down. The PUBLISH the client has not
   * acknowledged is resent with DUP and its packet id, the PUBREL of a released one is resent, and
   * those ids stay taken until PUBCOMP: new messages get ids past them. The restart removed both
   * flows with their expired messages and gave their ids to the next messages, which a client still
   * waiting for that PUBREL takes for resends and drops (a durability audit, also after a kill).
   */
  @Test
  @DisplayName("4.4.0-1 after a restart: QoS 2 flows whose message expired while the broker was down go on, and keep their ids")
  void inFlightQos2FlowsWhoseMessageExpiredWhileTheBrokerWasDownGoOn() {
    Downtime downtime = new Downtime();
    useStore(downtime);
    RawClient s = connect5(v5("s").cleanSession(false).properties(expiry(60)), false);
    subscribe5(s, sub("e/#", 2));
    RawClient p = connect5("p");
    MqttProperties expiring = MqttProperties.builder().messageExpiryInterval(60).build();
    for (int i = 0; i < 3; i++) {
      publishQos2(p, i + 1, "e/" + i, expiring);
    }
    Publish done = s.expect(Publish.class);
    Publish released = s.expect(Publish.class);
    Publish sent = s.expect(Publish.class);
    s.send(Packets.pubRec(done.packetId()));
    s.expect(Packets.pubRel(done.packetId()));
    s.send(Packets.pubComp(done.packetId())); // its id is free again
    s.send(Packets.pubRec(released.packetId()));
    s.expect(Packets.pubRel(released.packetId())); // PUBCOMP outstanding; "sent": PUBREC outstanding
    downtime.downPastExpiry = true;
    restartBroker();

    RawClient again = connect5(v5("s").cleanSession(false).properties(expiry(60)), true);
    again.expect(Packets.pubRel(released.packetId()));
    Publish resent = again.expect(Publish.class);
    assertThat(resent.dup()).as("DUP of %s", resent).isTrue();
    assertThat(resent.packetId()).isEqualTo(sent.packetId());
    assertThat(Packets.text(resent)).isEqualTo("e/2");
    publishQos2(connect5("p2"), 1, "e/3", MqttProperties.EMPTY);
    Publish next = again.expect(Publish.class);
    assertThat(Packets.text(next)).isEqualTo("e/3");
    assertThat(next.packetId()).as("the id of the next message, after %s and %s in flight",
        released.packetId(), sent.packetId()).isGreaterThan(sent.packetId());
    again.send(Packets.pubComp(released.packetId()));
    for (Publish q : List.of(resent, next)) {
      again.send(Packets.pubRec(q.packetId()));
      again.expect(Packets.pubRel(q.packetId()));
      again.send(Packets.pubComp(q.packetId()));
    }
    again.ping();
    eventually(() -> stored("s").queue().isEmpty());
    assertThat(store.recover().messages()).as("the expired messages leave the store with their flows").isEmpty();
  }

  /**
   * {@link #store}, read back at a restart as it was at {@link #kill}: what a killed broker leaves
   * (every write committed until then; nothing its stop writes).
   */
  private final class Killable extends io.tern.broker.testsupport.DelegatingStore {
    private volatile StoredState atKill;

    Killable() {
      super(store);
    }

    void kill() {
      atKill = inner.recover();
    }

    @Override
    public StoredState recover() {
      StoredState s = atKill;
      return s == null ? inner.recover() : s;
    }
  }

  /** A v5 client "c" leaves a stored session subscribed to {@code filter}, with a message queued for it. */
  private void storedSessionWithAMessageQueued(String filter, int qos) {
    RawClient c = connect5(v5("c").cleanSession(false).properties(expiry(3600)), false);
    subscribe5(c, sub(filter, qos));
    c.close();
    eventually(() -> broker().stats().connections() == 0);
    RawClient p = connect5("p");
    publishQos2(p, 1, "x/1", MqttProperties.EMPTY);
    p.close();
    eventually(() -> broker().stats().connections() == 0);
    assertThat(stored("c").queue()).hasSize(1);
  }

  /**
   * v5 section 3.1.2.11.2: a session resumed with Session Expiry Interval 0 ends when its network
   * connection closes, and a crash closes it too; after the restart it does not exist (CONNACK
   * Session Present 0, MQTT-3.2.2-2). Its records stayed in the store until the session's end,
   * which a killed broker never reaches: it came back in its old state (its old subscriptions,
   * not those made since, and its old expiry; a durability audit, SIGKILL).
   */
  @Test
  @DisplayName("3.1.2.11.2 a stored session resumed with Session Expiry Interval 0 does not come back after a crash")
  void aStoredSessionResumedWithExpiry0DoesNotComeBackAfterACrash() {
    Killable killable = new Killable();
    useStore(killable);
    storedSessionWithAMessageQueued("x/#", 1);
    RawClient c = connect5(v5("c").cleanSession(false), true); // no Session Expiry Interval: 0
    Publish queued = c.expect(Publish.class);
    c.send(new PubAck(queued.packetId()));
    subscribe5(c, sub("y/#", 1));
    killable.kill();
    restartBroker();

    connect5(v5("c").cleanSession(false).properties(expiry(3600)), false);
  }

  /**
   * A session resumed with Session Expiry Interval 0 has left the store: sending a stored QoS 2
   * message writes no record of it (with its packet id), which would have outlived the session and
   * come back, resent, with the client's next stored session.
   */
  @Test
  @DisplayName("a stored session resumed with Session Expiry Interval 0 leaves no record behind for the next one")
  void aStoredSessionResumedWithExpiry0LeavesNoRecordForTheNextSession() {
    storedSessionWithAMessageQueued("x/#", 2);
    RawClient c = connect5(v5("c").cleanSession(false), true);
    c.expect(Publish.class); // not acknowledged
    c.close(); // the session ends
    eventually(() -> broker().stats().connections() == 0);
    connect5(v5("c").cleanSession(false).properties(expiry(3600)), false).close();
    eventually(() -> broker().stats().connections() == 0);
    assertThat(stored("c").queue()).isEmpty();
  }

  @Test
  @DisplayName("a delayed will is removed from the store when the client is back in time")
  void delayedWillCancelledWhenClientReturns() {
    Will w = new Will("will/c", "gone".getBytes(StandardCharsets.UTF_8), 0, false,
        MqttProperties.builder().set(Property.WILL_DELAY_INTERVAL, 30L).build());
    connect5(v5("c").cleanSession(false).will(w).properties(expiry(60)), false).close();
    eventually(() -> store.recover().wills().containsKey("c"));
    connect5(v5("c").cleanSession(false).properties(expiry(60)), true);
    eventually(() -> store.recover().wills().isEmpty());
  }

  @Test
  @DisplayName("an expired message is dropped from a stored queue, and from the store")
  void expiredMessageLeavesTheStoredQueue() {
    RawClient s = connect5(v5("s").cleanSession(false).properties(expiry(60)), false);
    subscribe5(s, sub("t", 1));
    s.close();
    // Until the broker has seen the subscriber leave, "short" could still go out on its dead
    // connection, and a message whose onward delivery has started is resent after a reconnect
    // however old it is (MQTT-3.3.2-5 only stops the ones not yet sent).
    eventually(() -> broker().stats().connections() == 0);
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "short", MqttProperties.builder().messageExpiryInterval(1).build()));
    p.expect(PubAck.class);
    p.send(publish5("t", 1, 2, "long", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    eventually(() -> stored("s") != null && stored("s").queue().size() == 2);
    sleep(1200);
    RawClient again = connect5(v5("s").cleanSession(false).properties(expiry(60)), true);
    Publish got = again.expect(Publish.class);
    assertThat(Packets.text(got)).isEqualTo("long");
    again.send(new PubAck(got.packetId()));
    again.ping();
    eventually(() -> stored("s").queue().isEmpty());
    assertThat(store.recover().messages()).isEmpty();
  }

  @Test
  @DisplayName("4.8.2 with a store: unacknowledged messages of an ended member go to a persistent member, stored")
  void sharedRedeliveryIsStoredForTheOtherMember() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t", 1));
    RawClient p = connect5("p");
    for (int i = 1; i <= 2; i++) {
      p.send(publish5("t", 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
    }
    a.expect(Publish.class);
    a.expect(Publish.class);
    RawClient b = connect5(v5("b").cleanSession(false).properties(expiry(60)), false);
    subscribe5(b, sub("$share/g/t", 1));
    b.close(); // offline: what it is handed waits in its stored queue
    eventually(() -> stored("b") != null);
    a.close(); // session expiry 0: its session ends with the connection
    eventually(() -> stored("b").queue().size() == 2);
    restartBroker();
    RawClient again = connect5(v5("b").cleanSession(false).properties(expiry(60)), true);
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Publish pub = again.expect(Publish.class);
      got.add(Packets.text(pub));
      again.send(new PubAck(pub.packetId()));
    }
    assertThat(got).containsExactlyInAnyOrder("m1", "m2");
    again.ping();
    eventually(() -> stored("b").queue().isEmpty());
    assertThat(store.recover().messages()).isEmpty();
  }

  @Test
  @DisplayName("4.8.2 after a restart: a restored member's unacknowledged messages still go to another member")
  void sharedRedeliveryAfterARestart() {
    RawClient a = connect5(v5("a").cleanSession(false).properties(expiry(60)), false);
    subscribe5(a, sub("$share/g/t", 1));
    a.close();
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "m1", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    eventually(() -> stored("a") != null && stored("a").queue().size() == 1);
    restartBroker();
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g/t", 1));
    // a comes back with session expiry 0 and without acking: its session ends when it goes
    RawClient a2 = connect5(v5("a").cleanSession(false).properties(expiry(0)), true);
    a2.expect(Publish.class);
    a2.close();
    assertThat(Packets.text(b.expect(Publish.class))).isEqualTo("m1");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
