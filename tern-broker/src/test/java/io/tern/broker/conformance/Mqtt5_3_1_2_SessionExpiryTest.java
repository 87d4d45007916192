package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.1.2.11.2 Session Expiry Interval, and its change in DISCONNECT (3.14.2.2.2). */
class Mqtt5_3_1_2_SessionExpiryTest extends Mqtt5TestBase {

  private static MqttProperties expiry(long seconds) {
    return MqttProperties.builder().sessionExpiryInterval(seconds).build();
  }

  private RawClient persistent(String id, long seconds, boolean present) {
    return connect5(v5(id).cleanSession(false).properties(expiry(seconds)), present);
  }

  private void disconnect(RawClient c) {
    c.send(Disconnect.NORMAL);
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.1.2-23: a session with a finite expiry interval ends that long after its connection, its state freed")
  void sessionExpiresOnTime() {
    RawClient c = persistent("c", 1, false);
    subscribe5(c, sub("a/#", 1));
    disconnect(c);
    assertThat(broker().stats().sessions()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> broker().stats().sessions() == 0);
    assertThat(broker().stats().subscriptions()).isZero();
    persistent("c", 1, false); // session present 0: nothing left of it
  }

  @Test
  @DisplayName("3.1.2.11.2: a client back within the interval resumes its session and gets what was queued")
  void sessionResumedWithinInterval() {
    RawClient c = persistent("c", 60, false);
    subscribe5(c, sub("a", 1));
    disconnect(c);
    RawClient p = connect5("p");
    p.send(publish5("a", 1, 1, "while away", MqttProperties.EMPTY));
    p.expect(PubAck.class);
    RawClient back = persistent("c", 60, true);
    assertThat(Packets.text(back.expect(Publish.class))).isEqualTo("while away");
  }

  @Test
  @DisplayName("3.1.2.11.2: interval 0 (the default) ends the session with the connection")
  void zeroEndsWithConnection() {
    RawClient c = connect5(v5("c").cleanSession(false), false);
    subscribe5(c, sub("a", 1));
    disconnect(c);
    eventually(() -> broker().stats().sessions() == 0);
    connect5(v5("c").cleanSession(false), false);
  }

  @Test
  @DisplayName("3.1.2.11.2: 0xFFFFFFFF never expires")
  void neverExpires() {
    RawClient c = persistent("c", 0xFFFF_FFFFL, false);
    disconnect(c);
    persistent("c", 0xFFFF_FFFFL, true);
  }

  @Test
  @DisplayName("3.14.2.2.2: DISCONNECT may shorten the interval: 0 ends the session at once")
  void disconnectChangesExpiry() {
    RawClient c = persistent("c", 600, false);
    c.send(new Disconnect(ReasonCodes.NORMAL_DISCONNECTION, expiry(0)));
    c.expectClosed();
    eventually(() -> broker().stats().sessions() == 0);
  }

  @Test
  @DisplayName("MQTT-3.14.2-2: DISCONNECT setting a non-zero interval after 0 in CONNECT is a protocol error (0x82)")
  void disconnectFromZeroToNonZeroIsProtocolError() {
    RawClient c = connect5("c");
    c.send(new Disconnect(ReasonCodes.NORMAL_DISCONNECTION, expiry(60)));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.PROTOCOL_ERROR);
    c.expectClosed();
    eventually(() -> broker().stats().sessions() == 0);
  }

  @Test
  @DisplayName("MQTT-3.1.2-4: a v3.1.1 Clean Session 0 session keeps today's behaviour: it does not expire")
  void v3PersistentSessionNeverExpires() {
    RawClient c = connect(Packets.connectPacket("v3").cleanSession(false), false);
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    connect(Packets.connectPacket("v3").cleanSession(false), true);
  }
}
