package io.tern.broker.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Clients of MQTT 3.1, 3.1.1 and 5.0 on the same topics of one broker. */
class Mqtt5_VersionInteroperabilityTest extends Mqtt5TestBase {

  @Test
  @DisplayName("a v3.1.1 subscriber gets what a v5 publisher sends: properties dropped, QoS capped at its grant")
  void v5ToV311() {
    RawClient v3 = connect("v3");
    subscribe(v3, "t", 1);
    RawClient p = connect5("p");
    p.send(publish5("t", 2, 1, "hello", MqttProperties.builder()
        .set(Property.CONTENT_TYPE, "text/plain").userProperty("k", "v").messageExpiryInterval(60).build()));
    Publish got = v3.expect(Publish.class);
    assertThat(Packets.text(got)).isEqualTo("hello");
    assertThat(got.qos()).isEqualTo(1);
    assertThat(got.properties().isEmpty()).isTrue();
  }

  @Test
  @DisplayName("a v5 subscriber gets what a v3.1.1 and a v3.1 publisher send")
  void v3ToV5() {
    RawClient v5 = connect5("v5");
    subscribe5(v5, sub("t", 2));
    RawClient v311 = connect("v311");
    v311.send(Packets.publish("t", 1, 1, "from 3.1.1"));
    v311.expect(Packets.pubAck(1));
    RawClient v31 = connect(Packets.connectPacket("v31").version(MqttVersion.V3_1), false);
    v31.send(Packets.publish("t", 0, 0, "from 3.1"));
    Publish first = v5.expect(Publish.class);
    assertThat(Packets.text(first)).isEqualTo("from 3.1.1");
    assertThat(first.qos()).isEqualTo(1);
    v5.send(new PubAck(first.packetId()));
    assertThat(Packets.text(v5.expect(Publish.class))).isEqualTo("from 3.1");
  }

  @Test
  @DisplayName("a v3.1.1 publisher's retained message reaches a v5 subscriber with RETAIN 1")
  void retainedAcrossVersions() {
    RawClient v311 = connect("v311");
    v311.send(Packets.publish("r", 1, true, false, 1, "kept"));
    v311.expect(Packets.pubAck(1));
    RawClient v5 = connect5("v5");
    subscribe5(v5, sub("r", 1));
    Publish got = v5.expect(Publish.class);
    assertThat(got.retain()).isTrue();
    assertThat(Packets.text(got)).isEqualTo("kept");
  }
}
