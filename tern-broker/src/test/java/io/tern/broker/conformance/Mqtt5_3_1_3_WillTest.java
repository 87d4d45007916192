package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import io.tern.codec.UserProperty;
import io.tern.codec.Will;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.1.3.2 Will Properties: Will Delay Interval, properties forwarded, DISCONNECT 0x04. */
class Mqtt5_3_1_3_WillTest extends Mqtt5TestBase {

  private static Will will(MqttProperties props) {
    return new Will("will/c", "gone".getBytes(StandardCharsets.UTF_8), 0, false, props);
  }

  private static MqttProperties delay(long seconds) {
    return MqttProperties.builder().set(Property.WILL_DELAY_INTERVAL, seconds).build();
  }

  private RawClient withWill(Will w, long sessionExpiry) {
    return connect5(v5("c").cleanSession(false).will(w)
        .properties(MqttProperties.builder().sessionExpiryInterval(sessionExpiry).build()), false);
  }

  @Test
  @DisplayName("3.1.3.2.2: the will is published when the Will Delay Interval ends, not before")
  void willAfterDelay() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = withWill(will(delay(1)), 60);
    c.close();
    watcher.expectNothing(Duration.ofMillis(500));
    assertThat(Packets.text(watcher.expect(Publish.class, Duration.ofSeconds(3)))).isEqualTo("gone");
  }

  @Test
  @DisplayName("MQTT-3.1.3-9: no will when the client connects to its session again before the delay ends")
  void noWillWhenClientReturnsInTime() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = withWill(will(delay(1)), 60);
    c.close();
    connect5(v5("c").cleanSession(false).properties(MqttProperties.builder().sessionExpiryInterval(60).build()), true);
    watcher.expectNothing(Duration.ofMillis(1800));
  }

  @Test
  @DisplayName("3.1.3.2.2: the session ending first sends the will then (session expiry 1 s, will delay 60 s)")
  void willAtSessionEnd() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = withWill(will(delay(60)), 1);
    c.close();
    assertThat(Packets.text(watcher.expect(Publish.class, Duration.ofSeconds(4)))).isEqualTo("gone");
  }

  @Test
  @DisplayName("3.1.3.2.2: with session expiry 0 the session ends with the connection: the will goes at once")
  void willDelayWithoutPersistentSession() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = connect5(v5("c").will(will(delay(60))), false);
    c.close();
    assertThat(Packets.text(watcher.expect(Publish.class))).isEqualTo("gone");
  }

  @Test
  @DisplayName("2.2.2.2: a Will Delay Interval of 0, set explicitly, is not forwarded either (a PUBLISH with it is malformed)")
  void explicitZeroWillDelayIsNotForwarded() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = connect5(v5("c").will(will(MqttProperties.builder()
        .set(Property.WILL_DELAY_INTERVAL, 0L).userProperty("k", "v").build())), false);
    c.close();
    Publish got = watcher.expect(Publish.class);
    assertThat(Packets.text(got)).isEqualTo("gone");
    assertThat(got.properties().has(Property.WILL_DELAY_INTERVAL)).isFalse();
    assertThat(got.properties().userProperties()).containsExactly(new UserProperty("k", "v"));
  }

  @Test
  @DisplayName("3.14.2.1: DISCONNECT with 0x04 (Disconnect with Will Message) sends the will")
  void disconnectWithWillMessage() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = connect5(v5("c").will(will(MqttProperties.EMPTY)), false);
    c.send(new Disconnect(ReasonCodes.DISCONNECT_WITH_WILL_MESSAGE));
    c.expectClosed();
    assertThat(Packets.text(watcher.expect(Publish.class))).isEqualTo("gone");
  }

  @Test
  @DisplayName("MQTT-3.1.2-8: only a DISCONNECT with 0x00 deletes the will; one with an error code (0x80, 0x83) sends it")
  void disconnectWithAnErrorCodeSendsTheWill() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    for (int code : new int[] {ReasonCodes.UNSPECIFIED_ERROR, ReasonCodes.IMPLEMENTATION_SPECIFIC_ERROR}) {
      RawClient c = connect5(v5("c").will(will(MqttProperties.EMPTY)), false);
      c.send(new Disconnect(code));
      c.expectClosed();
      assertThat(Packets.text(watcher.expect(Publish.class))).as("will after DISCONNECT 0x%x", code).isEqualTo("gone");
    }
    RawClient normal = connect5(v5("c").will(will(MqttProperties.EMPTY)), false);
    normal.send(new Disconnect(ReasonCodes.NORMAL_DISCONNECTION));
    normal.expectClosed();
    watcher.expectNothing(java.time.Duration.ofMillis(500));
  }

  @Test
  @DisplayName("MQTT-3.14.2-1: a DISCONNECT with a reason code not in its table (0x01) is malformed: no normal disconnection, the will goes")
  void disconnectWithACodeNotInItsTableSendsTheWill() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    RawClient c = connect5(v5("c").will(will(MqttProperties.EMPTY)), false);
    c.sendHex("e0 01 01");
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PACKET);
    c.expectClosed();
    assertThat(Packets.text(watcher.expect(Publish.class))).isEqualTo("gone");
  }

  @Test
  @DisplayName("3.1.3.2: will properties are forwarded with the will; the Will Delay Interval is not")
  void willPropertiesForwarded() {
    RawClient watcher = connect5("watcher");
    subscribe5(watcher, sub("will/#", 0));
    MqttProperties props = MqttProperties.builder()
        .set(Property.CONTENT_TYPE, "text/plain")
        .set(Property.PAYLOAD_FORMAT_INDICATOR, 1)
        .set(Property.RESPONSE_TOPIC, "reply/here")
        .set(Property.CORRELATION_DATA, new byte[] {1, 2, 3})
        .userProperty("k", "v")
        .build();
    RawClient c = connect5(v5("c").will(will(props)), false);
    c.close();
    MqttProperties got = watcher.expect(Publish.class).properties();
    assertThat(got.getString(Property.CONTENT_TYPE)).isEqualTo("text/plain");
    assertThat(got.getInt(Property.PAYLOAD_FORMAT_INDICATOR, -1)).isEqualTo(1);
    assertThat(got.getString(Property.RESPONSE_TOPIC)).isEqualTo("reply/here");
    assertThat(got.getBinary(Property.CORRELATION_DATA)).containsExactly(1, 2, 3);
    assertThat(got.userProperties()).containsExactly(new UserProperty("k", "v"));
    assertThat(got.has(Property.WILL_DELAY_INTERVAL)).isFalse();
  }
}
