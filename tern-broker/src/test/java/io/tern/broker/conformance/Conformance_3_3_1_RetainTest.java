package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.sub;
import static io.tern.broker.conformance.Packets.subAck;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 3.1.1 section 3.3.1.3 RETAIN: the retained store as seen on the wire. */
class Conformance_3_3_1_RetainTest extends BrokerTestBase {

  /** Publishes a retained message at QoS 1 and waits for the PUBACK (it is stored by then). */
  private static void retain(RawClient pub, String topic, String payload) {
    pub.send(publish(topic, 1, true, false, 1, payload));
    pub.expect(pubAck(1));
  }

  @Test
  @DisplayName("MQTT-3.3.1-5/6/8: a retained message is sent to a new subscription with RETAIN 1")
  void retainedMessageIsSentOnSubscribeWithRetain1() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "kept");
    RawClient sub = subscriber("sub", "r/t", 1);
    Publish p = sub.expect(Publish.class);
    assertThat(p).isEqualTo(publish("r/t", 1, true, false, p.packetId(), "kept"));
  }

  @Test
  @DisplayName("MQTT-3.3.1-6: a wildcard subscription gets every matching retained message")
  void wildcardSubscriptionGetsEveryMatchingRetainedMessage() {
    RawClient pub = connect("pub");
    retain(pub, "r/a", "1");
    retain(pub, "r/b", "2");
    retain(pub, "r/b/c", "3");
    retain(pub, "other", "4");
    RawClient sub = subscriber("sub", "r/#", 0);
    Set<String> got = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      Publish p = sub.expect(Publish.class);
      assertThat(p.retain()).isTrue();
      got.add(p.topic() + "=" + text(p));
    }
    assertThat(got).containsExactlyInAnyOrder("r/a=1", "r/b=2", "r/b/c=3");
    sub.ping(); // and nothing else
  }

  @Test
  @DisplayName("MQTT-3.3.1-9: a message sent to an established subscription has RETAIN 0")
  void liveDeliveryHasRetain0() {
    RawClient sub = subscriber("sub", "r/t", 1);
    RawClient pub = connect("pub");
    retain(pub, "r/t", "live");
    Publish p = sub.expect(Publish.class);
    assertThat(p).isEqualTo(publish("r/t", 1, false, false, p.packetId(), "live"));
  }

  @Test
  @DisplayName("MQTT-3.3.1-7: a newer retained message replaces the older one")
  void newerRetainedMessageReplacesTheOlder() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "old");
    retain(pub, "r/t", "new");
    RawClient sub = subscriber("sub", "r/t", 0);
    assertThat(sub.expect(Publish.class)).isEqualTo(publish("r/t", 0, true, false, 0, "new"));
    sub.ping();
  }

  @Test
  @DisplayName("MQTT-3.3.1-7: a QoS 0 retained message replaces the retained message too")
  void qos0RetainedMessageReplacesTheRetainedMessage() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "qos1");
    pub.send(publish("r/t", 0, true, false, 0, "qos0"));
    pub.ping();
    RawClient sub = subscriber("sub", "r/t", 1);
    assertThat(sub.expect(Publish.class)).isEqualTo(publish("r/t", 0, true, false, 0, "qos0"));
  }

  @Test
  @DisplayName("MQTT-3.3.1-10/11: a retained message with an empty payload clears the topic")
  void emptyRetainedPayloadClearsTheTopic() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "kept");
    retain(pub, "r/t", "");
    eventually(() -> broker().stats().retainedMessages() == 0);
    RawClient sub = subscriber("sub", "r/t", 1);
    sub.ping(); // nothing retained comes before the PINGRESP
  }

  @Test
  @DisplayName("MQTT-3.3.1-10: an empty retained message is delivered to current subscribers as normal")
  void emptyRetainedPayloadIsDeliveredToCurrentSubscribers() {
    RawClient sub = subscriber("sub", "r/t", 0);
    RawClient pub = connect("pub");
    retain(pub, "r/t", "");
    assertThat(sub.expect(Publish.class)).isEqualTo(publish("r/t", 0, false, false, 0, ""));
  }

  @Test
  @DisplayName("MQTT-3.3.1-12: a PUBLISH with RETAIN 0 neither stores nor replaces the retained message")
  void nonRetainedPublishDoesNotReplaceTheRetainedMessage() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "kept");
    pub.send(publish("r/t", 1, false, false, 2, "passing"));
    pub.expect(pubAck(2));
    pub.send(publish("r/u", 1, false, false, 3, "not stored"));
    pub.expect(pubAck(3));
    RawClient sub = connect("sub");
    sub.send(Packets.subscribe(1, sub("r/t", 0), sub("r/u", 0)));
    sub.expect(subAck(1, 0, 0));
    assertThat(sub.expect(Publish.class)).isEqualTo(publish("r/t", 0, true, false, 0, "kept"));
    sub.ping();
  }

  @Test
  @DisplayName("MQTT-3.8.4-6: a retained message is sent at the minimum of its QoS and the granted QoS")
  void retainedMessageQosIsTheMinimumOfStoredAndGranted() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "q1");
    RawClient sub0 = subscriber("sub0", "r/t", 0);
    assertThat(sub0.expect(Publish.class)).isEqualTo(publish("r/t", 0, true, false, 0, "q1"));
    RawClient sub2 = subscriber("sub2", "r/t", 2);
    Publish p = sub2.expect(Publish.class);
    assertThat(p).isEqualTo(publish("r/t", 1, true, false, p.packetId(), "q1"));
  }

  @Test
  @DisplayName("MQTT-3.3.1-8: a retained message is sent after the SUBACK of the subscription")
  void retainedMessageFollowsTheSuback() {
    RawClient pub = connect("pub");
    retain(pub, "r/t", "kept");
    RawClient sub = connect("sub");
    sub.send(Packets.subscribe(5, "r/t", 0));
    sub.expect(subAck(5, 0));
    assertThat(sub.expect(Publish.class).retain()).isTrue();
  }

  @Test
  @DisplayName("MQTT-3.3.1-5: a retained message published by the embedding application is delivered too")
  void retainedMessageFromTheApplicationIsDelivered() {
    broker().publish("r/app", "from app".getBytes(StandardCharsets.UTF_8), 1, true);
    RawClient sub = subscriber("sub", "r/app", 1);
    Publish p = sub.expect(Publish.class);
    assertThat(p).isEqualTo(publish("r/app", 1, true, false, p.packetId(), "from app"));
  }

  @Test
  @DisplayName("over outbound_high_water_mark, a new subscription's retained messages are not queued: what all sessions hold is bounded")
  void retainedMessagesOfANewSubscriptionWaitForTheBrokersMemory() {
    configure(b -> b.outboundHighWaterMark(512 * 1024).outboundLowWaterMark(256 * 1024));
    byte[] payload = new byte[900];
    for (int i = 0; i < 1500; i++) { // ~1.4 MB of retained messages
      broker().publish("r/" + i, payload, 1, true);
    }
    RawClient stuck = connect("stuck");
    subscribe(stuck, "r/#", 1); // takes its in-flight window and acknowledges none: the rest stays queued
    eventually(() -> broker().memoryStats().overHighWaterMark());

    RawClient late = connect("late");
    subscribe(late, "r/#", 0);
    broker().publish("r/live", "now".getBytes(StandardCharsets.UTF_8), 0, false);
    assertThat(text(late.expect(Publish.class))).as("no retained message before the live one").isEqualTo("now");

    stuck.close(); // its session ends, and what it held with it
    eventually(() -> !broker().memoryStats().overHighWaterMark());
    RawClient after = connect("after");
    subscribe(after, "r/#", 0);
    assertThat(after.expect(Publish.class).retain()).as("the retained messages go again").isTrue();
  }
}
