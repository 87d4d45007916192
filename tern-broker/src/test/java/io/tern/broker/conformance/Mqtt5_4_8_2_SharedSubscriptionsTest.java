package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.SharedSubscriptionPolicy;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 4.8.2 Shared Subscriptions. */
class Mqtt5_4_8_2_SharedSubscriptionsTest extends Mqtt5TestBase {

  private static List<String> drain(RawClient c) {
    List<String> got = new ArrayList<>();
    c.send(PingReq.INSTANCE);
    while (true) {
      MqttPacket p = c.expectPacket();
      if (p instanceof PingResp) {
        return got;
      }
      Publish pub = (Publish) p;
      got.add(Packets.text(pub));
      if (pub.qos() == 1) {
        c.send(new PubAck(pub.packetId()));
      }
    }
  }

  private static void publishAll(RawClient p, String topic, int n) {
    for (int i = 1; i <= n; i++) {
      p.send(publish5(topic, 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
    }
  }

  @Test
  @DisplayName("4.8.2: each message goes to one member of the group, round robin; a non-shared subscriber gets all")
  void oneMemberPerMessageRoundRobin() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t/+", 1));
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g/t/+", 1));
    RawClient all = connect5("all");
    subscribe5(all, sub("t/+", 1));
    publishAll(connect5("p"), "t/x", 4);
    List<String> toA = drainUntil(a, 2);
    List<String> toB = drainUntil(b, 2);
    assertThat(toA).hasSize(2);
    assertThat(toB).hasSize(2);
    List<String> union = new ArrayList<>(toA);
    union.addAll(toB);
    assertThat(union).containsExactlyInAnyOrder("m1", "m2", "m3", "m4");
    assertThat(drainUntil(all, 4)).containsExactly("m1", "m2", "m3", "m4");
  }

  /** Reads (and acks) messages until {@code n} arrived, then checks nothing more is pending. */
  private static List<String> drainUntil(RawClient c, int n) {
    List<String> got = new ArrayList<>();
    while (got.size() < n) {
      Publish pub = c.expect(Publish.class);
      got.add(Packets.text(pub));
      c.send(new PubAck(pub.packetId()));
    }
    got.addAll(drain(c));
    return got;
  }

  @Test
  @DisplayName("4.8.2: every group gets its own copy")
  void eachGroupGetsACopy() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g1/t", 0));
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g2/t", 0));
    connect5("p").send(publish5("t", 0, 0, "x", MqttProperties.EMPTY));
    assertThat(Packets.text(a.expect(Publish.class))).isEqualTo("x");
    assertThat(Packets.text(b.expect(Publish.class))).isEqualTo("x");
  }

  @Test
  @DisplayName("4.8.2: retained messages are not sent on a shared subscribe")
  void noRetainedOnSharedSubscribe() {
    RawClient p = connect5("p");
    p.send(retained5("t", 1, 1, "kept", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t", 1));
    assertThat(drain(a)).isEmpty();
  }

  @Test
  @DisplayName("4.8.2: unacknowledged QoS 1 messages of a member whose session ends go to another member")
  void unackedRedeliveredToAnotherMember() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t", 1));
    RawClient p = connect5("p");
    publishAll(p, "t", 2); // only member: a gets both and never acks
    a.expect(Publish.class);
    a.expect(Publish.class);
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g/t", 1));
    a.close(); // session expiry 0: the session ends with the connection
    List<String> got = new ArrayList<>();
    got.add(Packets.text(b.expect(Publish.class)));
    got.add(Packets.text(b.expect(Publish.class)));
    assertThat(got).containsExactlyInAnyOrder("m1", "m2");
  }

  @Test
  @DisplayName("MQTT-3.3.1-12/13: a message handed to another member has that member's Retain As Published, not the first's")
  void handedOverWithTheNewMembersRetainAsPublished() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t", 1, false, true, 0)); // Retain As Published
    RawClient p = connect5("p");
    p.send(retained5("t", 1, 1, "m1", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    assertThat(a.expect(Publish.class).retain()).as("a's option").isTrue();
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g/t", 1, false, false, 0)); // not: RETAIN 0
    a.close();
    Publish again = b.expect(Publish.class);
    assertThat(Packets.text(again)).isEqualTo("m1");
    assertThat(again.retain()).as("b's option").isFalse();
  }

  @Test
  @DisplayName("MQTT-4.8.2-5: a QoS 2 message sent to a member whose session ends goes to no other member; one still queued does")
  void qos2SentToAMemberGoesToNoOther() {
    RawClient a = connect5(v5("a").properties(MqttProperties.builder().receiveMaximum(1).build()), false);
    subscribe5(a, sub("$share/g/t", 2));
    RawClient p = connect5("p");
    for (int i = 1; i <= 2; i++) { // a takes m1 (its window is 1) and never answers; m2 waits in its queue
      p.send(publish5("t", 2, i, "m" + i, MqttProperties.EMPTY));
      p.expect(io.tern.codec.PubRec.class);
      p.send(new io.tern.codec.PubRel(i));
      p.expect(io.tern.codec.PubComp.class);
    }
    assertThat(Packets.text(a.expect(Publish.class))).isEqualTo("m1");
    RawClient b = connect5("b");
    subscribe5(b, sub("$share/g/t", 2));
    a.close(); // session expiry 0: the session ends with the connection
    assertThat(Packets.text(b.expect(Publish.class))).as("the queued one, not the one sent to a").isEqualTo("m2");
    assertThat(drain(b)).isEmpty();
  }

  @Test
  @DisplayName("4.8.2: MQTT 3.1.1 clients can share a subscription too, with v5 members")
  void v311Members() {
    RawClient v3 = connect("v3");
    v3.send(Packets.subscribe(1, "$share/g/t", 1));
    v3.expect(Packets.subAck(1, 1));
    RawClient v5 = connect5("v5");
    subscribe5(v5, sub("$share/g/t", 1));
    publishAll(connect5("p"), "t", 4);
    List<String> toV3 = drainUntil(v3, 2);
    List<String> toV5 = drainUntil(v5, 2);
    assertThat(toV3).hasSize(2);
    assertThat(toV5).hasSize(2);
  }

  @Test
  @DisplayName("policy LEAST_LOADED: a member with messages unacknowledged is passed over")
  void leastLoaded() {
    configure(b -> b.sharedSubscriptionPolicy(SharedSubscriptionPolicy.LEAST_LOADED));
    RawClient slow = connect5(v5("slow").properties(MqttProperties.builder().receiveMaximum(1).build()), false);
    subscribe5(slow, sub("$share/g/t", 1));
    RawClient fast = connect5("fast");
    subscribe5(fast, sub("$share/g/t", 1));
    RawClient p = connect5("p");
    publishAll(p, "t", 1);
    slow.expect(Publish.class); // the first goes to the first member; it is never acked
    for (int i = 2; i <= 4; i++) {
      p.send(publish5("t", 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
      Publish got = fast.expect(Publish.class);
      fast.send(new PubAck(got.packetId()));
      fast.ping(); // the ack is processed before the next publish
    }
    slow.expectNothing(Duration.ofMillis(200));
  }

  @Test
  @DisplayName("4.8.2: unsubscribing leaves the group; the last member leaving removes it")
  void unsubscribeLeavesGroup() {
    RawClient a = connect5("a");
    subscribe5(a, sub("$share/g/t", 0));
    a.send(new io.tern.codec.Unsubscribe(2, List.of("$share/g/t"), MqttProperties.EMPTY));
    assertThat(a.expect(io.tern.codec.UnsubAck.class).reasonCodes()).containsExactly(0);
    assertThat(broker().stats().subscriptions()).isZero();
  }
}
