package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tern.codec.Disconnect;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.3.2.3.3 Message Expiry Interval. */
class Mqtt5_3_3_2_MessageExpiryTest extends Mqtt5TestBase {

  private static MqttProperties expiry(long seconds) {
    return MqttProperties.builder().messageExpiryInterval(seconds).build();
  }

  private RawClient offlineSubscriber() {
    RawClient c = connect5(v5("sub").cleanSession(false)
        .properties(MqttProperties.builder().sessionExpiryInterval(60).build()), false);
    subscribe5(c, sub("t", 1));
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    return c;
  }

  private RawClient back() {
    return connect5(v5("sub").cleanSession(false)
        .properties(MqttProperties.builder().sessionExpiryInterval(60).build()), true);
  }

  /** Lets the clock move on by at least this much (Awaitility: a bounded wait, no sleep). */
  private static void letTimePass(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    await().atMost(d.plusSeconds(2)).pollInterval(Duration.ofMillis(50)).until(() -> System.nanoTime() >= until);
  }

  @Test
  @DisplayName("MQTT-3.3.2-6: a message forwarded at once carries its interval")
  void forwardedWithInterval() {
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("t", 0));
    RawClient p = connect5("p");
    p.send(publish5("t", 0, 0, "x", expiry(60)));
    assertThat(sub.expect(Publish.class).properties().messageExpiryInterval()).isEqualTo(60);
  }

  @Test
  @DisplayName("MQTT-3.3.2-6: leaving an offline queue, the interval is decremented by the time it waited")
  void intervalDecrementedInQueue() {
    offlineSubscriber();
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "x", expiry(30)));
    p.expect(PubAck.class);
    letTimePass(Duration.ofMillis(1100));
    Publish got = back().expect(Publish.class);
    assertThat(got.properties().messageExpiryInterval()).isBetween(1L, 29L);
  }

  @Test
  @DisplayName("MQTT-3.3.2-5: an expired message is dropped from the offline queue, not delivered")
  void expiredDroppedFromQueue() {
    offlineSubscriber();
    RawClient p = connect5("p");
    p.send(publish5("t", 1, 1, "short-lived", expiry(1)));
    p.expect(PubAck.class);
    p.send(publish5("t", 1, 2, "lasting", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    letTimePass(Duration.ofMillis(1100));
    MqttPacket first = back().expectPacket();
    assertThat(first).isInstanceOf(Publish.class);
    assertThat(Packets.text((Publish) first)).isEqualTo("lasting");
    assertThat(broker().stats().messagesExpired()).isEqualTo(1);
  }

  @Test
  @DisplayName("3.3.2.3.3: an expired retained message is dropped from retained storage")
  void expiredRetainedDropped() {
    RawClient p = connect5("p");
    p.send(retained5("r", 1, 1, "short-lived", expiry(1)));
    p.expect(PubAck.class);
    assertThat(broker().stats().retainedMessages()).isEqualTo(1);
    int[] n = {0};
    await().atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(100)).until(() -> {
      RawClient s = connect5("s" + n[0]++);
      s.send(new io.tern.codec.Subscribe(1, java.util.List.of(sub("r", 0)), MqttProperties.EMPTY));
      s.expect(io.tern.codec.SubAck.class);
      s.send(io.tern.codec.PingReq.INSTANCE); // the retained message, if any, comes before the PINGRESP
      MqttPacket next = s.expectPacket();
      s.close();
      return next instanceof io.tern.codec.PingResp && broker().stats().retainedMessages() == 0;
    });
  }

  @Test
  @DisplayName("3.3.2.3.3: expired retained messages leave the count, and take no place under max_retained_messages, untouched")
  void expiredRetainedLeaveTheCountAndTheQuota() {
    configure(b -> b.maxRetainedMessages(2));
    RawClient p = connect5("p");
    p.send(retained5("r/1", 1, 1, "a", expiry(1)));
    p.expect(PubAck.class);
    p.send(retained5("r/2", 1, 2, "b", expiry(1)));
    p.expect(PubAck.class);
    assertThat(broker().stats().retainedMessages()).isEqualTo(2);
    // Nobody subscribes: the broker's own sweep removes them once expired.
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
        .until(() -> broker().stats().retainedMessages() == 0);
    p.send(retained5("r/3", 1, 3, "c", MqttProperties.EMPTY));
    assertThat(p.expect(PubAck.class).reasonCode()).isEqualTo(0x10); // No matching subscribers, not 0x97 Quota exceeded
    assertThat(broker().stats().retainedMessages()).isEqualTo(1);
  }

  @Test
  @DisplayName("the broker's own $SYS retained topics take no place under max_retained_messages")
  void sysTopicsTakeNoPlaceInTheRetainedQuota() {
    configure(b -> b.maxRetainedMessages(1));
    for (int i = 0; i < 5; i++) {
      broker().publish("$SYS/broker/t" + i, "v".getBytes(StandardCharsets.UTF_8), 0, true);
    }
    RawClient p = connect5("p");
    p.send(retained5("r/1", 1, 1, "a", MqttProperties.EMPTY));
    assertThat(p.expect(PubAck.class).reasonCode()).isEqualTo(0x10); // kept: no subscribers, no quota
    p.send(retained5("r/2", 1, 2, "b", MqttProperties.EMPTY));
    assertThat(p.expect(PubAck.class).reasonCode()).isEqualTo(0x97); // the client's one place is taken
    assertThat(broker().stats().retainedMessages()).isEqualTo(6);
  }

  @Test
  @DisplayName("3.3.2.3.3: a retained message sent to a new subscriber carries the remaining interval")
  void retainedCarriesRemainingInterval() {
    RawClient p = connect5("p");
    p.send(retained5("r", 1, 1, "x", expiry(100)));
    p.expect(PubAck.class);
    letTimePass(Duration.ofMillis(1100));
    RawClient s = connect5("s");
    subscribe5(s, sub("r", 0));
    assertThat(s.expect(Publish.class).properties().messageExpiryInterval()).isBetween(1L, 99L);
  }
}
