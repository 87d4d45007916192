package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.Durability;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
import io.tern.codec.Publish;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The end of a connection that the client chose: its DISCONNECT (3.1.1 section 3.14), or the end
 * of its output without one (a half-close). Either way what it sent before is answered first, as
 * Mosquitto does: a client (a script, a test harness) that writes its packets at once and then
 * reads gets every answer, then the end of the stream.
 */
class Conformance_3_14_DisconnectTest extends BrokerTestBase {
  private final ScheduledExecutorService syncer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopSyncer() {
    syncer.shutdownNow();
  }

  /** Where the broker keeps what it acknowledges: the acks leave at different moments in each. */
  enum Mode { NONE, PROCESS, FSYNC }

  private void use(Mode mode) {
    if (mode == Mode.NONE) {
      return;
    }
    useStore(new io.tern.broker.testsupport.DelegatingStore() {
      @Override
      public Durability durability() {
        return mode == Mode.PROCESS ? Durability.PROCESS : Durability.FSYNC;
      }

      @Override
      public void afterSync(Runnable done) {
        syncer.schedule(done, 5, TimeUnit.MILLISECONDS); // a later sync, on a thread of its own, as RocksDB's
      }
    });
  }

  /** CONNECT, SUBSCRIBE, a QoS 1 and a QoS 2 PUBLISH and a PINGREQ, as one write. */
  private static byte[] burst(String clientId, MqttPacket... more) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(Packets.bytes(connectPacket(clientId).keepAlive(60).build(), MqttVersion.V3_1_1));
    b.writeBytes(Packets.bytes(Packets.subscribe(3, "s", 1), MqttVersion.V3_1_1));
    b.writeBytes(Packets.bytes(Packets.publish("t", 1, 1, "one"), MqttVersion.V3_1_1));
    b.writeBytes(Packets.bytes(Packets.publish("t", 2, 2, "two"), MqttVersion.V3_1_1));
    b.writeBytes(RawClient.hex("c0 00"));
    for (MqttPacket p : more) {
      b.writeBytes(Packets.bytes(p, MqttVersion.V3_1_1));
    }
    return b.toByteArray();
  }

  /** What the broker sends until it closes the connection, as hex, one packet each. */
  private static List<String> answersUntilClosed(RawClient c) {
    List<String> got = new ArrayList<>();
    while (true) {
      MqttPacket p;
      try {
        p = c.expectPacket(Duration.ofSeconds(5));
      } catch (AssertionError e) {
        assertThat(e.getMessage()).as("after %s", got).containsIgnoringCase("closed");
        return got;
      }
      got.add(io.netty.buffer.ByteBufUtil.hexDump(Packets.bytes(p, MqttVersion.V3_1_1)));
    }
  }

  private static void assertAllAnswered(Mode mode, List<String> got) {
    String[] all = {"20020000", "9003000301", "40020001", "50020002", "d000"};
    if (mode == Mode.FSYNC) { // the acks wait for the sync; a SUBACK or PINGRESP need not (docs/configuration.md)
      assertThat(got).containsExactlyInAnyOrder(all);
    } else {
      assertThat(got).containsExactly(all);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  @DisplayName("MQTT-3.14.4: the packets before a DISCONNECT in the same write are all answered, then the connection closes")
  void packetsBeforeADisconnectAreAnswered(Mode mode) {
    use(mode);
    RawClient witness = subscriber("w", "t", 1);
    RawClient c = open("c");
    c.sendBytes(burst("c", new io.tern.codec.Disconnect(0)));
    assertAllAnswered(mode, answersUntilClosed(c)); // it had the CONNACK only: the channel closed at the DISCONNECT
    assertThat(Packets.text(witness.expect(Publish.class))).isEqualTo("one");
    assertThat(Packets.text(witness.expect(Publish.class))).isEqualTo("two");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  @DisplayName("a client that shuts its output after its packets gets all their answers, then the end of the stream, and its will goes")
  void aHalfClosedClientIsAnsweredAndItsWillGoes(Mode mode) {
    use(mode);
    RawClient witness = subscriber("w", "will", 0);
    RawClient c = open("c");
    byte[] b = burst("c");
    // The same, with a will: a close without DISCONNECT publishes it (MQTT-3.1.2-8).
    ByteArrayOutputStream withWill = new ByteArrayOutputStream();
    withWill.writeBytes(Packets.bytes(connectPacket("c").keepAlive(60).will("will", "gone", 0, false).build(), MqttVersion.V3_1_1));
    byte[] connect = Packets.bytes(connectPacket("c").keepAlive(60).build(), MqttVersion.V3_1_1);
    withWill.write(b, connect.length, b.length - connect.length);
    c.sendBytes(withWill.toByteArray());
    c.shutdownOutput();
    assertAllAnswered(mode, answersUntilClosed(c)); // it had nothing at all: the channel closed at the FIN, before the CONNACK
    assertThat(Packets.text(witness.expect(Publish.class))).isEqualTo("gone");
  }

  @Test
  @DisplayName("a half-closed client subscribed to its own topic gets its messages before the end, as from Mosquitto")
  void aHalfClosedClientGetsItsOwnMessages() {
    RawClient c = open("c");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(Packets.bytes(connectPacket("c").build(), MqttVersion.V3_1_1));
    b.writeBytes(Packets.bytes(Packets.subscribe(1, "t", 0), MqttVersion.V3_1_1));
    b.writeBytes(Packets.bytes(Packets.publish("t", 0, 0, "mine"), MqttVersion.V3_1_1));
    c.sendBytes(b.toByteArray());
    c.shutdownOutput();
    assertThat(answersUntilClosed(c)).containsExactly("20020000", "9003000100", "30070001746d696e65");
  }

  @Test
  @DisplayName("a connection half-closed before its CONNECT is closed, and the broker serves the others")
  void halfClosedBeforeConnectIsClosed() {
    witness();
    RawClient c = open("c");
    c.sendHex("10 0d 00 04"); // part of a CONNECT
    c.shutdownOutput();
    c.expectClosed();
    assertBrokerServesOthers();
  }
}
