package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT 3.1.1 section 4.8 Handling errors: a violation closes the offending connection, and only
 * that one. Also the broker's own limits (maximum packet size).
 */
class Conformance_4_8_ErrorHandlingTest extends BrokerTestBase {

  @Test
  @DisplayName("A PUBLISH announcing 256 MB is refused at its fixed header; stats and other clients still work")
  void oversizedPacketIsRefusedAtTheHeader() {
    configure(b -> b.maxPacketSize(64 * 1024));
    RawClient bystander = subscriber("bystander", "t", 0);
    RawClient c = connect("c");
    c.sendHex("30 ff ff ff 7f"); // Remaining Length 268,435,455, nothing more
    c.expectClosed();
    eventually(() -> broker().stats().protocolErrors() >= 1);
    assertThat(broker().stats().connections()).isEqualTo(1);
    RawClient pub = connect("pub");
    pub.send(publish("t", 0, 0, "fine"));
    assertThat(bystander.expect(Publish.class)).isEqualTo(publish("t", 0, 0, "fine"));
  }

  @Test
  @DisplayName("A packet one byte over maxPacketSize is refused; one of exactly maxPacketSize is accepted")
  void packetSizeLimitIsExact() {
    int max = 1024;
    configure(b -> b.maxPacketSize(max));
    witness();
    RawClient sub = subscriber("sub", "t", 0);
    RawClient pub = connect("pub");
    // fixed header: 1 byte + 2 bytes of Remaining Length (max - 3 < 16384)
    pub.sendBytes(Packets.withFixedHeader(0x30, topicT(max - 3)));
    Publish p = sub.expect(Publish.class);
    assertThat(p.payload()).hasSize(max - 3 - 3);
    RawClient big = connect("big");
    big.sendBytes(Packets.withFixedHeader(0x30, topicT(max - 2)));
    big.expectClosed();
    assertBrokerServesOthers();
  }

  /** A PUBLISH body on topic "t" of {@code size} bytes. */
  private static byte[] topicT(int size) {
    byte[] body = new byte[size];
    body[1] = 1;
    body[2] = 't';
    return body;
  }

  @Test
  @DisplayName("A CONNECT larger than maxPacketSize is refused without CONNACK")
  void oversizedConnectIsRefused() {
    configure(b -> b.maxPacketSize(1024));
    witness();
    RawClient c = open("c");
    c.sendBytes(Packets.rawConnect("MQTT", 4, 0x02, "x".repeat(2000)));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  @DisplayName("MQTT-4.8.0-1: garbage instead of a CONNECT closes the connection without response")
  void garbageBeforeConnectClosesTheConnection(long seed) {
    configure(b -> b.connectTimeout(Duration.ofSeconds(1)));
    witness();
    byte[] garbage = new byte[64];
    new Random(seed).nextBytes(garbage);
    garbage[0] = (byte) (0x20 | (garbage[0] & 0x0F)); // anything but a CONNECT first
    RawClient c = open("c");
    c.sendBytes(garbage);
    c.expectClosed(Duration.ofSeconds(3));
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  @DisplayName("MQTT-4.8.0-1: garbage after CONNECT closes the connection, never crashes the broker")
  void garbageAfterConnectClosesTheConnection(long seed) {
    configure(b -> b.maxPacketSize(4096));
    witness();
    byte[] garbage = new byte[8192];
    Random random = new Random(seed);
    random.nextBytes(garbage);
    garbage[0] = (byte) 0xff; // type 15, reserved in 3.1.1: closed whatever follows
    RawClient c = connect("c");
    c.sendBytes(garbage);
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-4.8.0-1: a violation closes only the offending connection")
  void violationClosesOnlyTheOffendingConnection() {
    RawClient a = subscriber("a", "t", 1);
    RawClient b = connect("b");
    b.sendHex("82 02 00 01");
    b.expectClosed();
    a.ping();
    RawClient pub = connect("pub");
    pub.send(publish("t", 0, 0, "x"));
    assertThat(a.expect(Publish.class)).isEqualTo(publish("t", 0, 0, "x"));
  }

  @Test
  @DisplayName("A client that closes in the middle of a packet leaves the broker serving others")
  void closeInTheMiddleOfAPacket() {
    witness();
    RawClient c = connect("c");
    c.sendHex("32 40 00 01 74");
    c.close();
    eventually(() -> broker().stats().connections() == 1);
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "e0 00",            // DISCONNECT: the final packet of a connection (section 3.14)
      "20 02 00 00",      // CONNACK from a client: a protocol violation (MQTT-4.8.0-1)
      "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63", // a second CONNECT (MQTT-3.1.0-2)
  })
  @DisplayName("MQTT-3.14.4-2 / MQTT-4.8.0-1: a PUBLISH right behind a DISCONNECT or a violation is not processed")
  void packetsAfterTheLastOneAreNotProcessed(String lastPacket) {
    RawClient sub = subscriber("sub", "t", 0);
    RawClient c = connect("c");
    // One write: both packets usually arrive in one read, the PUBLISH decoded in the same pass.
    c.sendHex(lastPacket + " 30 05 00 01 74 6e 6f");
    c.expectClosed();
    RawClient pub = connect("pub");
    pub.send(publish("t", 0, 0, "barrier"));
    assertThat(Packets.text(sub.expect(Publish.class))).as("the next delivery").isEqualTo("barrier");
  }
}
