package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connAck;
import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.rawConnect;

import io.tern.codec.Disconnect;
import io.tern.codec.MqttVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 3.1.1 section 3.2 CONNACK: the Session Present flag and the return code byte. */
class Conformance_3_2_ConnAckTest extends BrokerTestBase {

  /** Connects, then ends the connection with DISCONNECT and waits until the broker has closed it. */
  private void connectAndDisconnect(Packets.ConnectBuilder c, boolean sessionPresent) {
    RawClient client = connect(c, sessionPresent);
    client.send(Disconnect.NORMAL);
    client.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.2.2-1: Clean Session 1 gets Session Present 0")
  void cleanSessionGetsSessionPresent0() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x02, "c"));
    c.expectHex("20 02 00 00");
  }

  @Test
  @DisplayName("MQTT-3.2.2-1: Clean Session 1 gets Session Present 0 even when a persistent session existed")
  void cleanSessionGetsSessionPresent0WhenASessionExisted() {
    connectAndDisconnect(connectPacket("c").cleanSession(false), false);
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x02, "c"));
    c.expectHex("20 02 00 00");
  }

  @Test
  @DisplayName("MQTT-3.2.2-3: Clean Session 0 without a stored session gets Session Present 0")
  void newPersistentSessionGetsSessionPresent0() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x00, "c"));
    c.expectHex("20 02 00 00");
  }

  @Test
  @DisplayName("MQTT-3.2.2-2: Clean Session 0 with a stored session gets Session Present 1")
  void resumedSessionGetsSessionPresent1() {
    connectAndDisconnect(connectPacket("c").cleanSession(false), false);
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x00, "c"));
    c.expectHex("20 02 01 00");
  }

  @Test
  @DisplayName("MQTT-3.2.2-2: a persistent session survives a network failure (no DISCONNECT)")
  void sessionSurvivesNetworkFailure() {
    RawClient first = connect(connectPacket("c").cleanSession(false), false);
    first.close();
    connect(connectPacket("c").cleanSession(false), true);
  }

  @Test
  @DisplayName("MQTT-3.2.2-2 / MQTT-3.1.4-2: taking over a live persistent session gets Session Present 1")
  void takeoverOfPersistentSessionGetsSessionPresent1() {
    RawClient first = connect(connectPacket("c").cleanSession(false), false);
    RawClient second = connect(connectPacket("c").cleanSession(false), true);
    first.expectClosed();
    second.ping();
  }

  @Test
  @DisplayName("MQTT-3.1.2-6 / MQTT-3.2.2-3: a session discarded by Clean Session 1 is not present afterwards")
  void sessionDiscardedByCleanSessionIsNotPresentAfterwards() {
    connectAndDisconnect(connectPacket("c").cleanSession(false), false);
    connectAndDisconnect(connectPacket("c").cleanSession(true), false);
    connect(connectPacket("c").cleanSession(false), false);
  }

  @Test
  @DisplayName("MQTT-3.1.2-6: a Clean Session 1 session ends with its connection")
  void cleanSessionEndsWithTheConnection() {
    connectAndDisconnect(connectPacket("c").cleanSession(true), false);
    connect(connectPacket("c").cleanSession(false), false);
  }

  @Test
  @DisplayName("MQTT-3.2.2-4: a refused CONNECT has Session Present 0")
  void refusedConnectHasSessionPresent0() {
    RawClient c = open("c");
    c.sendBytes(rawConnect("MQTT", 4, 0x00, ""));
    c.expectHex("20 02 00 02");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT 3.1: the first CONNACK byte is reserved, 0 even when a persistent session is resumed")
  void mqtt31ConnackReservedByteIsZeroWhenSessionResumed() {
    connectAndDisconnect(connectPacket("c31").version(MqttVersion.V3_1).cleanSession(false), false);
    RawClient c = open("c31", MqttVersion.V3_1);
    c.sendBytes(rawConnect("MQIsdp", 3, 0x00, "c31"));
    c.expectHex("20 02 00 00");
    c.ping();
  }

  @Test
  @DisplayName("MQTT-3.2.2-2: a 3.1 persistent session is resumed by a 3.1.1 CONNECT with Session Present 1")
  void mqtt31SessionResumedBy311() {
    connectAndDisconnect(connectPacket("c").version(MqttVersion.V3_1).cleanSession(false), false);
    RawClient c = open("c");
    c.send(connectPacket("c").cleanSession(false).build());
    c.expect(connAck(true, 0));
  }

  @Test
  @DisplayName("MQTT-3.2.2-3: taking over a Clean Session 1 connection with Clean Session 0 gets Session Present 0")
  void takeoverOfCleanSessionWithPersistentGetsSessionPresent0() {
    RawClient first = connect(connectPacket("c").cleanSession(true), false);
    RawClient second = connect(connectPacket("c").cleanSession(false), false);
    first.expectClosed();
    second.ping();
  }
}
