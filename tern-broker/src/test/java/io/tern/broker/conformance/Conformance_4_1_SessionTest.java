package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.pubComp;
import static io.tern.broker.conformance.Packets.pubRec;
import static io.tern.broker.conformance.Packets.pubRel;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.sub;
import static io.tern.broker.conformance.Packets.subAck;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.DropPolicy;
import io.tern.codec.Disconnect;
import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT 3.1.1 section 4.1 Storing state, with the Clean Session rules of 3.1.2.4: what a session
 * keeps while its client is away, and what it delivers when the client is back.
 */
class Conformance_4_1_SessionTest extends BrokerTestBase {

  /** Connects with Clean Session 0, subscribes, and goes away with DISCONNECT. */
  private void subscribeAndLeave(String clientId, String filter, int qos) {
    RawClient c = connect(connectPacket(clientId).cleanSession(false), false);
    subscribe(c, filter, qos);
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    // The session is offline once the broker has seen the connection end.
    eventually(() -> broker().stats().connections() == 0);
  }

  private RawClient comeBack(String clientId) {
    return connect(connectPacket(clientId).cleanSession(false), true);
  }

  private static void publishQos1(RawClient pub, String topic, int packetId, String payload) {
    pub.send(publish(topic, 1, packetId, payload));
    pub.expect(pubAck(packetId));
  }

  private static void publishQos2(RawClient pub, String topic, int packetId, String payload) {
    pub.send(publish(topic, 2, packetId, payload));
    pub.expect(pubRec(packetId));
    pub.send(pubRel(packetId));
    pub.expect(pubComp(packetId));
  }

  @Test
  @DisplayName("MQTT-3.1.2-4/5: QoS 1 and 2 messages are stored while the client is away and delivered in order")
  void qos1And2MessagesAreQueuedWhileOfflineAndDeliveredInOrder() {
    subscribeAndLeave("sub", "s/#", 2);
    RawClient pub = connect("pub");
    publishQos1(pub, "s/1", 1, "a");
    publishQos2(pub, "s/2", 2, "b");
    publishQos1(pub, "s/1", 3, "c");
    publishQos2(pub, "s/2", 4, "d");

    RawClient sub = comeBack("sub");
    String[] payloads = {"a", "b", "c", "d"};
    int[] qos = {1, 2, 1, 2};
    for (int i = 0; i < 4; i++) {
      Publish p = sub.expect(Publish.class);
      assertThat(p).isEqualTo(publish(i % 2 == 0 ? "s/1" : "s/2", qos[i], false, false, p.packetId(), payloads[i]));
    }
  }

  @Test
  @DisplayName("MQTT-3.1.2-5: QoS 0 messages are not stored for an offline client (the default)")
  void qos0MessagesAreNotQueuedWhileOffline() {
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    pub.send(publish("s", 0, 0, "qos0 while away"));
    publishQos1(pub, "s", 1, "qos1 while away");

    RawClient sub = comeBack("sub");
    Publish p = sub.expect(Publish.class);
    assertThat(text(p)).isEqualTo("qos1 while away");
    sub.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.2-4: the subscriptions of a persistent session survive the connection")
  void subscriptionsSurviveTheConnection() {
    subscribeAndLeave("sub", "s", 1);
    RawClient sub = comeBack("sub");
    RawClient pub = connect("pub");
    publishQos1(pub, "s", 1, "live");
    assertThat(text(sub.expect(Publish.class))).isEqualTo("live");
  }

  @Test
  @DisplayName("MQTT-3.1.2-4/5: messages arriving while the client is away keep their granted QoS on delivery")
  void storedMessagesAreDowngradedToTheGrantedQos() {
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    publishQos2(pub, "s", 1, "m");
    RawClient sub = comeBack("sub");
    Publish p = sub.expect(Publish.class);
    assertThat(p).isEqualTo(publish("s", 1, false, false, p.packetId(), "m"));
  }

  @Test
  @DisplayName("Queue bound (maxQueuedMessages 10, drop new): 20 published while away, the first 10 arrive")
  void offlineQueueKeepsTheFirstMessagesWhenFull() {
    configure(b -> b.maxQueuedMessages(10).dropPolicy(DropPolicy.DROP_NEW));
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    for (int i = 0; i < 20; i++) {
      publishQos1(pub, "s", i + 1, "m" + i);
    }
    eventually(() -> broker().stats().messagesDropped() == 10);

    RawClient sub = comeBack("sub");
    for (int i = 0; i < 10; i++) {
      Publish p = sub.expect(Publish.class);
      assertThat(text(p)).isEqualTo("m" + i);
      sub.send(pubAck(p.packetId()));
    }
    pub.send(publish("s", 1, 99, "after"));
    assertThat(text(sub.expect(Publish.class))).as("the next delivery").isEqualTo("after");
  }

  @Test
  @DisplayName("MQTT-3.1.2-6: Clean Session 1 discards the stored subscriptions")
  void cleanSessionDiscardsSubscriptions() {
    subscribeAndLeave("sub", "s", 1);
    RawClient clean = connect(connectPacket("sub").cleanSession(true), false);
    subscribe(clean, "barrier", 0);
    RawClient pub = connect("pub");
    publishQos1(pub, "s", 1, "not for the new session");
    pub.send(publish("barrier", 0, 0, "barrier"));
    assertThat(text(clean.expect(Publish.class))).isEqualTo("barrier");
  }

  @Test
  @DisplayName("MQTT-3.1.2-6: Clean Session 1 discards the stored messages")
  void cleanSessionDiscardsStoredMessages() {
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    publishQos1(pub, "s", 1, "stored");
    RawClient clean = connect(connectPacket("sub").cleanSession(true), false);
    clean.ping(); // nothing stored is delivered
    clean.send(Disconnect.NORMAL);
    clean.expectClosed();
    RawClient again = connect(connectPacket("sub").cleanSession(false), false);
    again.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.2-6: a Clean Session 1 client's subscriptions end with its connection")
  void cleanSessionSubscriptionsEndWithTheConnection() {
    RawClient c = subscriber("sub", "s", 1);
    c.close();
    eventually(() -> broker().stats().subscriptions() == 0);
    RawClient again = connect(connectPacket("sub").cleanSession(false), false);
    subscribe(again, "barrier", 0);
    RawClient pub = connect("pub");
    publishQos1(pub, "s", 1, "m");
    pub.send(publish("barrier", 0, 0, "barrier"));
    assertThat(text(again.expect(Publish.class))).isEqualTo("barrier");
  }

  @Test
  @DisplayName("MQTT-3.1.2-4: a session moves between connections that are served by different threads")
  void sessionFollowsTheClientAcrossConnections() {
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    for (int round = 0; round < 6; round++) {
      publishQos1(pub, "s", round + 1, "r" + round);
      RawClient sub = comeBack("sub");
      Publish p = sub.expect(Publish.class);
      assertThat(text(p)).isEqualTo("r" + round);
      sub.send(pubAck(p.packetId()));
      sub.send(Disconnect.NORMAL);
      sub.expectClosed();
      eventually(() -> broker().stats().connections() == 1);
    }
  }

  @Test
  @DisplayName("MQTT-3.1.2-4: a multi-filter subscription of a persistent session is kept whole")
  void multiFilterSubscriptionIsKept() {
    RawClient c = connect(connectPacket("sub").cleanSession(false), false);
    c.send(Packets.subscribe(1, sub("x", 1), sub("y", 2)));
    c.expect(subAck(1, 1, 2));
    c.close();
    eventually(() -> broker().stats().connections() == 0);
    RawClient pub = connect("pub");
    publishQos1(pub, "x", 1, "X");
    publishQos2(pub, "y", 2, "Y");
    RawClient again = comeBack("sub");
    assertThat(text(again.expect(Publish.class))).isEqualTo("X");
    assertThat(text(again.expect(Publish.class))).isEqualTo("Y");
  }

  @Test
  @DisplayName("MQTT-3.1.2-4 / MQTT-4.4.0-1: no QoS 1 message is lost when a session is taken over mid-stream")
  void noMessageIsLostWhenTheSessionIsTakenOverMidStream() {
    int total = 200;
    RawClient first = connect(connectPacket("sub").cleanSession(false), false);
    subscribe(first, "s", 1);
    RawClient pub = connect("pub");
    for (int i = 0; i < total; i++) {
      pub.send(publish("s", 1, i + 1, "m" + i)); // PUBACKs are left unread: no waiting
    }
    java.util.BitSet seen = new java.util.BitSet(total);
    for (int i = 0; i < 50; i++) {
      Publish p = first.expect(Publish.class);
      seen.set(Integer.parseInt(text(p).substring(1)));
      first.send(pubAck(p.packetId()));
    }
    RawClient second = connect(connectPacket("sub").cleanSession(false), true);
    int highestNew = -1;
    while (seen.cardinality() < total) {
      Publish p = second.expect(Publish.class);
      int n = Integer.parseInt(text(p).substring(1));
      if (!seen.get(n)) {
        // MQTT-4.6.0-6: a message seen for the first time comes after every earlier first-timer
        assertThat(n).as("first delivery of m%d after m%d", n, highestNew).isGreaterThan(highestNew);
        highestNew = n;
      }
      seen.set(n);
      second.send(pubAck(p.packetId()));
    }
    first.expectClosedAfterPendingPackets();
  }

  @Test
  @DisplayName("Queue bound (maxQueuedMessages 10, drop oldest): 20 published while away, the last 10 arrive")
  void offlineQueueKeepsTheLastMessagesWithDropOldest() {
    configure(b -> b.maxQueuedMessages(10).dropPolicy(DropPolicy.DROP_OLDEST));
    subscribeAndLeave("sub", "s", 1);
    RawClient pub = connect("pub");
    for (int i = 0; i < 20; i++) {
      publishQos1(pub, "s", i + 1, "m" + i);
    }
    eventually(() -> broker().stats().messagesDropped() == 10);
    RawClient sub = comeBack("sub");
    for (int i = 10; i < 20; i++) {
      Publish p = sub.expect(Publish.class);
      assertThat(text(p)).isEqualTo("m" + i);
      sub.send(pubAck(p.packetId()));
    }
    sub.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.2-5: QoS 0 messages are stored for an offline client when configured to")
  void qos0MessagesAreQueuedWhenConfigured() {
    configure(b -> b.queueQos0WhenOffline(true));
    subscribeAndLeave("sub", "s", 0);
    RawClient pub = connect("pub");
    pub.send(publish("s", 0, 0, "kept for you"));
    pub.ping();
    eventually(() -> broker().stats().messagesReceived() == 1);
    RawClient sub = comeBack("sub");
    assertThat(sub.expect(Publish.class)).isEqualTo(publish("s", 0, 0, "kept for you"));
  }
}
