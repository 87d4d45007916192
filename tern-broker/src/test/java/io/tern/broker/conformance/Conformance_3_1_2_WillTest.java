package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Disconnect;
import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 3.1.1 section 3.1.2.5 to 3.1.2.7: the Will Message and when it is published. */
class Conformance_3_1_2_WillTest extends BrokerTestBase {

  /** A client with a will on "will/{clientId}", payload "bye". */
  private RawClient clientWithWill(String clientId, int willQos, boolean willRetain) {
    return connect(connectPacket(clientId).will("will/" + clientId, "bye", willQos, willRetain), false);
  }

  /** Whether the watcher receives the will (true) or the barrier message published after it (false). */
  private static boolean willArrives(RawClient watcher, RawClient barrierPublisher) {
    barrierPublisher.send(publish("will/barrier", 0, 0, "barrier"));
    Publish p = watcher.expect(Publish.class);
    if (text(p).equals("barrier")) {
      return false;
    }
    assertThat(text(p)).isEqualTo("bye");
    return true;
  }

  @Test
  @DisplayName("MQTT-3.1.2-10: a DISCONNECT discards the will, also when the client connects again with its id at once")
  void aDisconnectFollowedAtOnceByAReconnectWithTheSameIdDiscardsTheWill() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    for (boolean persistent : new boolean[] {false, true}) {
      RawClient c = connect(connectPacket("c").cleanSession(!persistent).will("will/c", "bye", 0, false), false);
      for (int i = 0; i < 300; i++) { // the takeover overtook the DISCONNECT 1 to 2 times in 100
        c.send(Disconnect.NORMAL);
        c.close();
        c = connect(connectPacket("c").cleanSession(!persistent).will("will/c", "bye", 0, false), persistent);
      }
      c.send(Disconnect.NORMAL);
      assertThat(willArrives(watcher, connect("barrier-" + persistent))).as("a will was published").isFalse();
    }
  }

  @Test
  @DisplayName("a broker that stops publishes its clients' wills to the subscribers still connected, before closing them")
  void aStoppingBrokerPublishesTheWillsToTheSubscribersConnectedThen() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    java.util.List<String> expected = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      clientWithWill("c" + i, 0, false);
      expected.add("will/c" + i);
    }
    broker().stop();
    java.util.List<String> got = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      got.add(watcher.expect(Publish.class).topic());
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    watcher.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.1.2-8: the will is published when the network connection closes without DISCONNECT")
  void willIsPublishedOnNetworkClose() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 0, false);
    c.close();
    assertThat(watcher.expect(Publish.class)).isEqualTo(publish("will/c", 0, 0, "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-8 / MQTT-4.8.0-1: the will is published when the server closes for a protocol violation")
  void willIsPublishedOnProtocolViolation() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 0, false);
    c.sendHex("82 02 00 01"); // SUBSCRIBE without a filter
    c.expectClosed();
    assertThat(watcher.expect(Publish.class)).isEqualTo(publish("will/c", 0, 0, "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-8: the will is published when the server closes for a malformed packet")
  void willIsPublishedOnMalformedPacket() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 0, false);
    c.sendHex("30 02 00 09"); // topic length past the end of the packet
    c.expectClosed();
    assertThat(watcher.expect(Publish.class)).isEqualTo(publish("will/c", 0, 0, "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-8 / MQTT-3.1.4-2: the will of a connection that is taken over is published")
  void willIsPublishedOnTakeover() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient first = clientWithWill("c", 0, false);
    RawClient second = connect("c");
    first.expectClosed();
    assertThat(watcher.expect(Publish.class)).isEqualTo(publish("will/c", 0, 0, "bye"));
    second.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.2-10 / MQTT-3.14.4-3: the will is not published after DISCONNECT")
  void willIsNotPublishedAfterDisconnect() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 0, false);
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    assertThat(willArrives(watcher, connect("other"))).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.1.2-10: the will of a persistent-session client is not published after DISCONNECT")
  void willIsNotPublishedWhenPersistentClientDisconnects() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = connect(connectPacket("c").cleanSession(false).will("will/c", "bye", 1, false), false);
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    assertThat(willArrives(watcher, connect("other"))).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.1.2-8: the will is published once only")
  void willIsPublishedOnce() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 0, false);
    c.sendHex("82 02 00 01");
    c.expectClosed();
    assertThat(text(watcher.expect(Publish.class))).isEqualTo("bye");
    assertThat(willArrives(watcher, connect("other"))).as("a second will").isFalse();
  }

  @Test
  @DisplayName("MQTT-3.1.2-14: the will is published at its Will QoS")
  void willQosIsHonoured() {
    RawClient watcher = subscriber("watcher", "will/#", 2);
    RawClient c = clientWithWill("c", 2, false);
    c.close();
    Publish p = watcher.expect(Publish.class);
    assertThat(p).isEqualTo(publish("will/c", 2, p.packetId(), "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-14 / MQTT-3.8.4-6: a will is delivered at the minimum of its QoS and the granted QoS")
  void willQosIsDowngradedToTheGrantedQos() {
    RawClient watcher = subscriber("watcher", "will/#", 1);
    RawClient c = clientWithWill("c", 2, false);
    c.close();
    Publish p = watcher.expect(Publish.class);
    assertThat(p).isEqualTo(publish("will/c", 1, p.packetId(), "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-17: a will with Will Retain 1 is published as a retained message")
  void willRetainIsHonoured() {
    RawClient c = clientWithWill("c", 1, true);
    c.close();
    RawClient watcher = connect("watcher");
    // Wait for the will to be stored: subscribe until the retained will shows up.
    eventually(() -> broker().stats().retainedMessages() == 1);
    BrokerTestBase.subscribe(watcher, "will/c", 1);
    Publish p = watcher.expect(Publish.class);
    assertThat(p).isEqualTo(publish("will/c", 1, true, false, p.packetId(), "bye"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-16: a will with Will Retain 0 is not retained")
  void willWithoutRetainIsNotRetained() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = clientWithWill("c", 1, false);
    c.close();
    watcher.expect(Publish.class);
    assertThat(broker().stats().retainedMessages()).isZero();
  }

  @Test
  @DisplayName("MQTT-3.1.2-9: a client connected with a will that is refused does not publish it")
  void refusedConnectPublishesNoWill() {
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient c = open("c");
    // Clean Session 0 with an empty client id: refused with 0x02; will on "will/x".
    c.sendBytes(Packets.rawConnect("MQTT", 4, 0x04, "", "will/x", "bye"));
    c.expectHex("20 02 00 02");
    c.expectClosed();
    assertThat(willArrives(watcher, connect("other"))).isFalse();
  }

  @Test
  @DisplayName("A will above the broker's max_qos, or retained where retained messages are off, is refused (CONNACK 0x03) and never published")
  void aWillTheBrokerCannotHonourIsRefused() {
    configure(b -> b.maxQos(1).retainAvailable(false));
    RawClient watcher = subscriber("watcher", "will/#", 0);
    RawClient qos2 = open("qos2");
    qos2.send(connectPacket("qos2").will("will/qos2", "bye", 2, false).build());
    qos2.expectHex("20 02 00 03"); // Server unavailable: 3.1.1 has no code for "not supported"
    qos2.expectClosed();
    RawClient retained = open("retained");
    retained.send(connectPacket("retained").will("will/retained", "bye", 0, true).build());
    retained.expectHex("20 02 00 03");
    retained.expectClosed();
    assertThat(willArrives(watcher, connect("other"))).isFalse();
    clientWithWill("fits", 1, false).close();
  }

  @Test
  @DisplayName("a Will Topic over max_topic_length or max_topic_levels is refused as a PUBLISH topic would be")
  void aWillTopicOverTheTopicLimitsIsRefused() {
    configure(b -> b.maxTopicLength(12).maxTopicLevels(3)); // will/barrier (willArrives) fits
    RawClient watcher = subscriber("watcher", "#", 0);
    for (String topic : new String[] {"will/abcdefghijk", "a/b/c/d"}) { // 16 characters; 4 levels
      RawClient c = open(topic);
      c.send(connectPacket("c").will(topic, "bye", 0, false).build());
      c.expectHex("20 02 00 03"); // Server unavailable: 3.1.1 has no code for "topic name invalid"
      c.expectClosed();
    }
    assertThat(willArrives(watcher, connect("other"))).isFalse();
    clientWithWill("fits", 0, false).close(); // will/fits: 9 characters, 2 levels
    assertThat(text(watcher.expect(Publish.class))).isEqualTo("bye");
  }

  @Test
  @DisplayName("a retained will that max_retained_messages has no room for is published, and not kept")
  void aRetainedWillOverTheRetainedQuotaIsPublishedWithoutBeingKept() {
    configure(b -> b.maxRetainedMessages(1));
    RawClient p = connect("p");
    p.send(Packets.publish("kept", 0, true, false, 0, "first"));
    RawClient watcher = subscriber("watcher", "will/#", 0);
    clientWithWill("c", 0, true).close();
    Publish will = watcher.expect(Publish.class);
    assertThat(will.topic()).isEqualTo("will/c");
    assertThat(text(will)).isEqualTo("bye");
    RawClient late = connect("late");
    subscribe(late, "#", 0);
    Publish retained = late.expect(Publish.class);
    assertThat(retained.topic()).as("the one place was taken").isEqualTo("kept");
    late.send(publish("barrier", 0, 0, "x"));
    assertThat(late.expect(Publish.class).topic()).as("no retained will/c").isEqualTo("barrier");
  }
}
