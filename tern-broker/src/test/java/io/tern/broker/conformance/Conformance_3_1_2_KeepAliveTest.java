package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 3.1.1 section 3.1.2.10 Keep Alive, with section 3.12 PINGREQ / 3.13 PINGRESP. */
class Conformance_3_1_2_KeepAliveTest extends BrokerTestBase {

  @Test
  @DisplayName("MQTT-3.12.4-1: PINGREQ is answered with PINGRESP")
  void pingreqIsAnsweredWithPingresp() {
    RawClient c = connect("c");
    c.sendHex("c0 00");
    c.expectHex("d0 00");
  }

  @Test
  @DisplayName("MQTT-2.2.2-2: a PINGREQ with flags set closes the connection")
  void pingreqWithFlagsClosesTheConnection() {
    RawClient c = connect("c");
    c.sendHex("c1 00");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: a client silent for 1.5 x Keep Alive (1 s) is disconnected after about 1.5 s")
  void silentClientIsDisconnectedAfterOneAndAHalfKeepAlive() {
    witness();
    RawClient c = connect(connectPacket("c").keepAlive(1), false);
    long start = System.nanoTime();
    c.expectClosed(Duration.ofSeconds(4));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(elapsedMs).as("time until the broker closed the silent connection").isBetween(1400L, 2500L);
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24 / MQTT-3.1.2-8: the will is published when the keep alive expires")
  void willIsPublishedWhenKeepAliveExpires() {
    RawClient watcher = subscriber("watcher", "will/c", 1);
    connect(connectPacket("c").keepAlive(1).will("will/c", "gone", 1, false), false);
    Publish will = watcher.expect(Publish.class, Duration.ofSeconds(4));
    assertThat(will).isEqualTo(publish("will/c", 1, will.packetId(), "gone"));
  }

  @Test
  @DisplayName("MQTT-3.1.2-23: any control packet, PINGREQ included, keeps the connection alive")
  void pingsKeepTheConnectionAlive() {
    RawClient c = connect(connectPacket("c").keepAlive(1), false);
    // 3 x 0.6 s = 1.8 s, more than 1.5 x Keep Alive, with a PINGREQ in every 0.6 s.
    for (int i = 0; i < 3; i++) {
      c.expectNothing(Duration.ofMillis(600));
      c.ping();
    }
  }

  @Test
  @DisplayName("MQTT-3.1.2-23: a publishing client needs no PINGREQ to stay connected")
  void publishesKeepTheConnectionAlive() {
    RawClient c = connect(connectPacket("c").keepAlive(1), false);
    for (int i = 0; i < 3; i++) {
      c.expectNothing(Duration.ofMillis(600));
      c.send(publish("t", 0, 0, "tick"));
    }
    c.ping();
  }

  @Test
  @DisplayName("limits.max_keep_alive: an MQTT 3.1.1 client asking for a longer keep alive or none is closed when silent for 1.5 x the maximum")
  void maxKeepAliveHoldsMqtt3ClientsToIt() {
    configure(b -> b.maxKeepAlive(1));
    RawClient longer = connect(connectPacket("longer").keepAlive(600), false);
    RawClient none = connect(connectPacket("none").keepAlive(0), false);
    long start = System.nanoTime();
    longer.expectClosed(Duration.ofSeconds(4));
    none.expectClosed(Duration.ofSeconds(4));
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1400L, 3000L);
  }

  @Test
  @DisplayName("MQTT 3.1.2.10: Keep Alive 0 turns the keep alive mechanism off")
  void keepAliveZeroIsNotClosedForIdleness() {
    RawClient c = connect(connectPacket("c").keepAlive(0), false);
    c.expectNothing(Duration.ofMillis(2000));
    c.ping();
  }
}
