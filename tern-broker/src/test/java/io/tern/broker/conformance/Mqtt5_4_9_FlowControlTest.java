package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 4.9 Flow Control: the client's Receive Maximum caps what the broker sends unacknowledged. */
class Mqtt5_4_9_FlowControlTest extends Mqtt5TestBase {

  @Test
  @DisplayName("MQTT-3.3.4-9: no more unacknowledged QoS 1 PUBLISHes than the client's Receive Maximum; an ack lets the next go")
  void clientReceiveMaximumCapsInflight() {
    RawClient sub = connect5(v5("sub").properties(MqttProperties.builder().receiveMaximum(2).build()), false);
    subscribe5(sub, sub("t", 1));
    RawClient p = connect5("p");
    for (int i = 1; i <= 4; i++) {
      p.send(publish5("t", 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
    }
    Publish m1 = sub.expect(Publish.class);
    Publish m2 = sub.expect(Publish.class);
    sub.expectNothing(Duration.ofMillis(300));
    sub.send(new PubAck(m1.packetId()));
    assertThat(Packets.text(sub.expect(Publish.class))).isEqualTo("m3");
    sub.send(new PubAck(m2.packetId()));
    assertThat(Packets.text(sub.expect(Publish.class))).isEqualTo("m4");
  }

  @Test
  @DisplayName("MQTT-4.9.0-2: what an earlier connection left unacknowledged is resent no faster than the new connection's Receive Maximum")
  void resendsOnReconnectHonourTheNewReceiveMaximum() {
    MqttProperties session = MqttProperties.builder().sessionExpiryInterval(600).build();
    RawClient sub = connect5(v5("sub").cleanSession(false).properties(session), false);
    subscribe5(sub, sub("t", 1));
    RawClient p = connect5("p");
    for (int i = 1; i <= 5; i++) {
      p.send(publish5("t", 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
    }
    for (int i = 1; i <= 5; i++) {
      assertThat(Packets.text(sub.expect(Publish.class))).isEqualTo("m" + i); // none acknowledged
    }
    sub.close();
    RawClient back = connect5(v5("sub").cleanSession(false).properties(MqttProperties.builder()
        .sessionExpiryInterval(600).receiveMaximum(2).build()), true);
    Publish r1 = back.expect(Publish.class);
    Publish r2 = back.expect(Publish.class);
    assertThat(List.of(r1, r2)).allMatch(Publish::dup).extracting(Packets::text).containsExactly("m1", "m2");
    back.expectNothing(Duration.ofMillis(300));
    back.send(new PubAck(r1.packetId()));
    Publish r3 = back.expect(Publish.class);
    assertThat(Packets.text(r3)).isEqualTo("m3");
    assertThat(r3.dup()).isTrue();
    back.expectNothing(Duration.ofMillis(300));
    back.send(new PubAck(r2.packetId()));
    back.send(new PubAck(r3.packetId()));
    Publish r4 = back.expect(Publish.class);
    Publish r5 = back.expect(Publish.class);
    assertThat(List.of(r4, r5)).extracting(Packets::text).containsExactly("m4", "m5");
  }

  @Test
  @DisplayName("the window is min(client Receive Maximum, max_inflight)")
  void maxInflightStillApplies() {
    configure(b -> b.maxInflight(1));
    RawClient sub = connect5(v5("sub").properties(MqttProperties.builder().receiveMaximum(10).build()), false);
    subscribe5(sub, sub("t", 1));
    RawClient p = connect5("p");
    for (int i = 1; i <= 2; i++) {
      p.send(publish5("t", 1, i, "m" + i, MqttProperties.EMPTY));
      p.expect(PubAck.class);
    }
    Publish m1 = sub.expect(Publish.class);
    sub.expectNothing(Duration.ofMillis(300));
    sub.send(new PubAck(m1.packetId()));
    assertThat(Packets.text(sub.expect(Publish.class))).isEqualTo("m2");
  }
}
