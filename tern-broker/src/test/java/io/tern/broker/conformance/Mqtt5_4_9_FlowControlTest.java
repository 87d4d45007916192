package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.time.Duration;
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
