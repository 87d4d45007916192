package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.pubComp;
import static io.tern.broker.conformance.Packets.pubRec;
import static io.tern.broker.conformance.Packets.pubRel;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT 3.1.1 section 4.4 Message delivery retry: what a persistent session resends when its client
 * comes back, and how.
 */
class Conformance_4_4_RedeliveryTest extends BrokerTestBase {

  private RawClient persistentSubscriber(String clientId, String filter, int qos) {
    RawClient c = connect(connectPacket(clientId).cleanSession(false), false);
    subscribe(c, filter, qos);
    return c;
  }

  private RawClient reconnect(String clientId) {
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

  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {1, 2})
  @DisplayName("MQTT-4.4.0-1 / MQTT-3.3.1-1: unacknowledged PUBLISHes are resent on reconnect, DUP 1, same ids, in order")
  void unacknowledgedPublishesAreResentWithDupAndTheSameIds(int qos) {
    RawClient sub = persistentSubscriber("sub", "t", qos);
    RawClient pub = connect("pub");
    for (int i = 0; i < 3; i++) {
      if (qos == 1) {
        publishQos1(pub, "t", i + 1, "m" + i);
      } else {
        publishQos2(pub, "t", i + 1, "m" + i);
      }
    }
    List<Publish> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Publish p = sub.expect(Publish.class);
      assertThat(p).isEqualTo(publish("t", qos, false, false, p.packetId(), "m" + i));
      first.add(p);
    }
    sub.close(); // no acknowledgement, no DISCONNECT

    RawClient again = reconnect("sub");
    for (Publish p : first) {
      again.expect(publish("t", qos, false, true, p.packetId(), text(p)));
    }
    for (Publish p : first) {
      if (qos == 1) {
        again.send(pubAck(p.packetId()));
      } else {
        again.send(pubRec(p.packetId()));
        again.expect(pubRel(p.packetId()));
        again.send(pubComp(p.packetId()));
      }
    }
    again.ping(); // nothing else to resend
  }

  @Test
  @DisplayName("MQTT-4.4.0-1: after PUBREC, a reconnect resends the PUBREL (not the PUBLISH) with the same id")
  void pubrelIsResentAfterPubrecOnReconnect() {
    RawClient sub = persistentSubscriber("sub", "t", 2);
    RawClient pub = connect("pub");
    publishQos2(pub, "t", 1, "m");
    Publish p = sub.expect(Publish.class);
    sub.send(pubRec(p.packetId()));
    sub.expect(pubRel(p.packetId()));
    sub.close(); // no PUBCOMP

    RawClient again = reconnect("sub");
    again.expect(pubRel(p.packetId()));
    again.send(pubComp(p.packetId()));
    again.ping();
  }

  @Test
  @DisplayName("MQTT-4.4.0-1: a mix of PUBLISH and PUBREL in flight is resent in the original order")
  void mixedInFlightStateIsResentInOrder() {
    RawClient sub = persistentSubscriber("sub", "t", 2);
    RawClient pub = connect("pub");
    publishQos2(pub, "t", 1, "a");
    publishQos2(pub, "t", 2, "b");
    publishQos2(pub, "t", 3, "c");
    Publish a = sub.expect(Publish.class);
    Publish b = sub.expect(Publish.class);
    Publish c = sub.expect(Publish.class);
    sub.send(pubRec(b.packetId()));
    sub.expect(pubRel(b.packetId()));
    sub.close();

    RawClient again = reconnect("sub");
    again.expect(publish("t", 2, false, true, a.packetId(), "a"));
    again.expect(pubRel(b.packetId()));
    again.expect(publish("t", 2, false, true, c.packetId(), "c"));
  }

  @Test
  @DisplayName("MQTT-4.4.0-1: acknowledged messages are not resent on reconnect")
  void acknowledgedMessagesAreNotResent() {
    RawClient sub = persistentSubscriber("sub", "t", 1);
    RawClient pub = connect("pub");
    publishQos1(pub, "t", 1, "acked");
    publishQos1(pub, "t", 2, "unacked");
    Publish acked = sub.expect(Publish.class);
    Publish unacked = sub.expect(Publish.class);
    sub.send(pubAck(acked.packetId()));
    sub.ping(); // the PUBACK has been processed
    sub.close();

    RawClient again = reconnect("sub");
    again.expect(publish("t", 1, false, true, unacked.packetId(), "unacked"));
    again.send(pubAck(unacked.packetId()));
    again.ping();
  }

  @Test
  @DisplayName("MQTT-4.4.0-1: resent messages come first, then the queue, new messages with DUP 0 (maxInflight 2)")
  void queuedMessagesFollowTheResentOnes() {
    configure(b -> b.maxInflight(2));
    RawClient sub = persistentSubscriber("sub", "t", 1);
    RawClient pub = connect("pub");
    for (int i = 0; i < 4; i++) {
      publishQos1(pub, "t", i + 1, "m" + i);
    }
    Publish m0 = sub.expect(Publish.class);
    Publish m1 = sub.expect(Publish.class);
    sub.close();

    RawClient again = reconnect("sub");
    again.expect(publish("t", 1, false, true, m0.packetId(), "m0"));
    again.expect(publish("t", 1, false, true, m1.packetId(), "m1"));
    again.send(pubAck(m0.packetId()));
    again.send(pubAck(m1.packetId()));
    Publish m2 = again.expect(Publish.class);
    Publish m3 = again.expect(Publish.class);
    assertThat(m2).isEqualTo(publish("t", 1, false, false, m2.packetId(), "m2"));
    assertThat(m3).isEqualTo(publish("t", 1, false, false, m3.packetId(), "m3"));
    assertThat(List.of(m2.packetId(), m3.packetId())).doesNotContain(0);
  }

  @Test
  @DisplayName("MQTT-4.4.0-1: in-flight messages are resent to a connection that took the session over")
  void inFlightMessagesAreResentAfterTakeover() {
    RawClient sub = persistentSubscriber("sub", "t", 1);
    RawClient pub = connect("pub");
    publishQos1(pub, "t", 1, "m");
    Publish p = sub.expect(Publish.class);

    RawClient again = reconnect("sub"); // the first connection is still open
    again.expect(publish("t", 1, false, true, p.packetId(), "m"));
    sub.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.1.2-6: Clean Session 1 discards in-flight messages: nothing is resent")
  void cleanSessionDiscardsInFlightMessages() {
    RawClient sub = persistentSubscriber("sub", "t", 1);
    RawClient pub = connect("pub");
    publishQos1(pub, "t", 1, "m");
    sub.expect(Publish.class);
    sub.close();

    RawClient again = connect(connectPacket("sub").cleanSession(true), false);
    again.ping();
  }
}
