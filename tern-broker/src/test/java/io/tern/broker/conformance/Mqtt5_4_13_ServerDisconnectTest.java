package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.Property;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.ReasonCodes;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5.0 section 4.13 (and 3.14): the broker closes a v5 connection with a DISCONNECT that says
 * why, one test per reason code; a Reason String goes with it.
 */
class Mqtt5_4_13_ServerDisconnectTest extends Mqtt5TestBase {

  private static void expectDisconnect(RawClient c, int reasonCode) {
    expectDisconnect(c, reasonCode, RawClient.DEFAULT_TIMEOUT);
  }

  private static void expectDisconnect(RawClient c, int reasonCode, Duration within) {
    Disconnect d = c.expect(Disconnect.class, within);
    assertThat(d.reasonCode()).as("DISCONNECT %s", d).isEqualTo(reasonCode);
    assertThat(d.properties().reasonString()).as("reason string").isNotBlank();
    c.expectClosed();
  }

  @Test
  @DisplayName("0x8E Session taken over: a second connection with the same client id")
  void sessionTakenOver() {
    RawClient first = connect5("c");
    connect5("c");
    expectDisconnect(first, ReasonCodes.SESSION_TAKEN_OVER);
  }

  @Test
  @DisplayName("0x8D Keep alive timeout: MQTT-3.1.2-22, nothing for 1.5 times the keep alive")
  void keepAliveTimeout() {
    RawClient c = connect5(v5("c").keepAlive(1), false);
    expectDisconnect(c, ReasonCodes.KEEP_ALIVE_TIMEOUT, Duration.ofSeconds(4));
  }

  @Test
  @DisplayName("0x8D Keep alive timeout: MQTT-3.1.2-22 counts packets, so a packet trickled a byte at a time does not keep a client alive")
  void keepAliveCountsPacketsNotBytes() throws Exception {
    RawClient c = connect5(v5("c").keepAlive(1), false);
    Thread trickle = new Thread(() -> {
      c.sendHex("30 e8 07"); // a PUBLISH of 1,000 bytes, never finished
      try {
        for (int i = 0; i < 60; i++) {
          Thread.sleep(100);
          c.sendHex("00");
        }
      } catch (InterruptedException | AssertionError e) {
        // interrupted by the test, or the broker has closed: done either way
      }
    }, "trickle");
    trickle.start();
    try {
      expectDisconnect(c, ReasonCodes.KEEP_ALIVE_TIMEOUT, Duration.ofSeconds(4));
    } finally {
      trickle.interrupt();
      trickle.join(5_000);
    }
  }

  @Test
  @DisplayName("0x95 Packet too large: a packet over the Maximum Packet Size announced in CONNACK")
  void packetTooLarge() {
    configure(b -> b.maxPacketSize(256));
    RawClient c = connect5("c");
    c.send(publish5("t", 0, 0, "x".repeat(300), MqttProperties.EMPTY));
    expectDisconnect(c, ReasonCodes.PACKET_TOO_LARGE);
  }

  @Test
  @DisplayName("0x97 Quota exceeded: a large packet begun while the broker's buffer for unfinished packets is full")
  void inboundBufferLimit() {
    configure(b -> b.inboundBufferLimit(35_000));
    RawClient first = connect5("first");
    RawClient second = connect5("second");
    byte[] p = Packets.bytes(publish5("t", 1, 1, "x".repeat(30_000), MqttProperties.EMPTY), MqttVersion.V5);
    first.sendBytes(java.util.Arrays.copyOf(p, 12_000)); // held by the bytes that came
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> broker().memoryStats().bufferedInboundBytes() == 12_000);
    second.sendBytes(java.util.Arrays.copyOf(p, 24_000)); // 36,000 together
    expectDisconnect(second, ReasonCodes.QUOTA_EXCEEDED);
    first.sendBytes(java.util.Arrays.copyOfRange(p, 12_000, p.length));
    assertThat(first.expect(io.tern.codec.PubAck.class).packetId()).isEqualTo(1);
    assertThat(broker().memoryStats().bufferedInboundBytes()).isZero();
    assertThat(broker().memoryStats().inboundBufferRefusals()).isEqualTo(1);
  }

  @Test
  @DisplayName("0x93 Receive Maximum exceeded: MQTT-3.3.4-8, more QoS 2 PUBLISHes unacknowledged than announced")
  void receiveMaximumExceeded() {
    configure(b -> b.receiveMaximum(2));
    RawClient c = connect5("c");
    for (int id = 1; id <= 3; id++) {
      c.send(publish5("t", 2, id, "x", MqttProperties.EMPTY)); // never PUBREL: the flows stay open
    }
    c.expect(io.tern.codec.PubRec.class);
    c.expect(io.tern.codec.PubRec.class);
    expectDisconnect(c, ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED);
  }

  @Test
  @DisplayName("a client still sending when it is disconnected reads its DISCONNECT: the broker shuts its output and drains the input, it does not reset")
  void clientStillSendingReadsItsDisconnect() {
    configure(b -> b.receiveMaximum(2));
    RawClient c = connect5("c");
    for (int id = 1; id <= 3; id++) {
      c.send(publish5("t", 2, id, "x", MqttProperties.EMPTY));
    }
    // As the Eclipse interoperability suite's client does: a PUBREL for each PUBREC, as it reads.
    c.send(new PubRel(c.expect(PubRec.class).packetId()));
    c.send(new PubRel(c.expect(PubRec.class).packetId()));
    Disconnect d = c.expect(Disconnect.class);
    assertThat(d.reasonCode()).isEqualTo(ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED);
    for (int i = 0; i < 5; i++) { // read and thrown away; a closed socket would answer with a reset
      c.send(PingReq.INSTANCE);
      pause(20);
    }
    c.expectClosed(); // the end of the stream, nothing more: the PINGREQs were not answered
  }

  @Test
  @DisplayName("a disconnected client that keeps its end open and sending is closed within about a second")
  void drainingIsBounded() {
    configure(b -> b.receiveMaximum(1));
    RawClient c = connect5("c");
    c.send(publish5("t", 2, 1, "x", MqttProperties.EMPTY));
    c.send(publish5("t", 2, 2, "x", MqttProperties.EMPTY));
    c.expect(PubRec.class);
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED);
    long start = System.nanoTime();
    assertThatThrownBy(() -> {
      while (System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
        c.send(PingReq.INSTANCE);
        pause(50);
      }
    }).hasMessageContaining("send failed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("0x94 Topic alias invalid: MQTT-3.3.2-10, an alias above the Topic Alias Maximum")
  void topicAliasInvalid() {
    configure(b -> b.topicAliasMaximum(5));
    RawClient c = connect5("c");
    c.send(publish5("t", 0, 0, "x", MqttProperties.builder().topicAlias(6).build()));
    expectDisconnect(c, ReasonCodes.TOPIC_ALIAS_INVALID);
  }

  @Test
  @DisplayName("0x82 Protocol error: MQTT-3.1.0-2, a second CONNECT")
  void protocolError() {
    RawClient c = connect5("c");
    c.send(v5("c").build());
    expectDisconnect(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("0x81 Malformed packet: MQTT-3.3.1-4, a PUBLISH with QoS 3")
  void malformedPacket() {
    RawClient c = connect5("c");
    c.sendHex("36 04 00 01 74 00"); // PUBLISH, flags QoS 3
    expectDisconnect(c, ReasonCodes.MALFORMED_PACKET);
  }

  @Test
  @DisplayName("0x81 Malformed packet: MQTT-3.6.2-1, a PUBREL with a reason code only PUBREL's table may hold (0x81)")
  void pubrelWithAReasonCodeNotInItsTable() {
    RawClient c = connect5("c");
    c.send(publish5("t", 2, 9, "x", MqttProperties.EMPTY));
    assertThat(c.expect(PubRec.class).packetId()).isEqualTo(9);
    c.sendHex("62 03 00 09 81"); // PUBREL 9, 0x81
    expectDisconnect(c, ReasonCodes.MALFORMED_PACKET);
  }

  @Test
  @DisplayName("0x81 Malformed packet: MQTT-3.4.2-1, a PUBACK with 0x01, a code no PUBACK may carry")
  void pubackWithAReasonCodeNotInItsTable() {
    RawClient receiver = connect5("receiver");
    subscribe5(receiver, sub("t", 1));
    RawClient pub = connect5("pub");
    pub.send(publish5("t", 1, 1, "x", MqttProperties.EMPTY));
    io.tern.codec.Publish p = receiver.expect(io.tern.codec.Publish.class);
    receiver.sendHex(String.format("40 03 %02x %02x 01", p.packetId() >> 8, p.packetId() & 0xFF));
    expectDisconnect(receiver, ReasonCodes.MALFORMED_PACKET);
  }

  @Test
  @DisplayName("0x87 Not authorized: a denied QoS 0 PUBLISH (no ack to refuse it in), with disconnect_on_denied_publish")
  void notAuthorized() {
    configure(b -> b.disconnectOnDeniedPublish(true).authorizer((client, action, topic, qos) ->
        action == io.tern.broker.auth.Action.PUBLISH && topic.startsWith("locked/")
            ? io.tern.broker.auth.Permission.DENY : io.tern.broker.auth.Permission.ALLOW));
    RawClient c = connect5("c");
    c.send(publish5("locked/door", 1, 1, "x", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode())
        .as("QoS 1: refused in the PUBACK, the connection stays").isEqualTo(ReasonCodes.NOT_AUTHORIZED);
    c.send(publish5("locked/door", 0, 0, "x", MqttProperties.EMPTY));
    expectDisconnect(c, ReasonCodes.NOT_AUTHORIZED);
  }

  @Test
  @DisplayName("0x97 Quota exceeded: a QoS 0 retained PUBLISH to a new topic over max_retained_messages")
  void quotaExceeded() {
    configure(b -> b.maxRetainedMessages(2));
    RawClient c = connect5("c");
    c.send(retained5("r/1", 0, 0, "a", MqttProperties.EMPTY));
    c.send(retained5("r/2", 0, 0, "b", MqttProperties.EMPTY));
    c.send(retained5("r/1", 0, 0, "replaced: not a new topic", MqttProperties.EMPTY));
    c.ping();
    assertThat(broker().stats().retainedMessages()).isEqualTo(2);
    c.send(retained5("r/3", 0, 0, "one too many", MqttProperties.EMPTY));
    expectDisconnect(c, ReasonCodes.QUOTA_EXCEEDED);
    assertThat(broker().stats().retainedMessages()).isEqualTo(2);
  }

  @Test
  @DisplayName("0x97 in the PUBACK/PUBREC of a QoS 1/2 retained PUBLISH over max_retained_messages; clearing one makes room")
  void quotaExceededInTheAck() {
    configure(b -> b.maxRetainedMessages(1));
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("r/#", 1));
    RawClient c = connect5("c");
    c.send(retained5("r/1", 1, 1, "a", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).isZero();
    c.send(retained5("r/2", 1, 2, "b", MqttProperties.EMPTY));
    io.tern.codec.PubAck refused = c.expect(io.tern.codec.PubAck.class);
    assertThat(refused.reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    assertThat(refused.properties().reasonString()).contains("max_retained_messages");
    c.send(retained5("r/2", 2, 3, "b", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubRec.class).reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    c.send(retained5("r/1", 1, 4, "", MqttProperties.EMPTY)); // clears r/1
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).isZero();
    c.send(retained5("r/2", 1, 5, "b", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).isZero();
    assertThat(io.tern.broker.conformance.Packets.text(sub.expect(io.tern.codec.Publish.class))).isEqualTo("a");
    assertThat(sub.expect(io.tern.codec.Publish.class).payload()).as("the clearing message").isEmpty();
    assertThat(io.tern.broker.conformance.Packets.text(sub.expect(io.tern.codec.Publish.class)))
        .as("refused messages were not routed").isEqualTo("b");
  }

  @Test
  @DisplayName("0x97 in the PUBACK of a retained PUBLISH over max_retained_bytes; replacing with less, or clearing, makes room")
  void retainedBytesQuotaExceededInTheAck() {
    // Counted: payload, topic and properties, 256 bytes of the broker's own per message of a
    // one-level topic (RetainedStore.OVERHEAD, its node included), and the tree's first map
    // (MAP_BYTES): room for two small messages.
    configure(b -> b.maxRetainedBytes(100 + 2 * 256 + 112));
    RawClient c = connect5("c"); // no subscriber: accepted is 0x10 No matching subscribers
    c.send(retained5("r1", 1, 1, "a".repeat(60), MqttProperties.EMPTY)); // 62 + 256 + 112
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("r2", 1, 2, "b".repeat(40), MqttProperties.EMPTY)); // 42 + 256: 728 in all
    io.tern.codec.PubAck refused = c.expect(io.tern.codec.PubAck.class);
    assertThat(refused.reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    assertThat(refused.properties().reasonString()).contains("max_retained_bytes");
    c.send(retained5("r1", 1, 3, "a".repeat(70), MqttProperties.EMPTY)); // grows r1 to 72 + 256: fits
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("r1", 1, 4, "a".repeat(360), MqttProperties.EMPTY)); // 362 + 256: over, even alone
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    c.send(retained5("r1", 1, 5, "a", MqttProperties.EMPTY)); // shrinks to 3 + 256
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("r2", 1, 6, "b".repeat(40), MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("r2", 1, 7, "", MqttProperties.EMPTY)); // clears r2
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("r3", 1, 8, "c".repeat(90), MqttProperties.EMPTY)); // 92 + 256 + 259
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    // User properties count as the payload does: 1 byte of payload and 400 of them is over.
    c.send(retained5("r4", 1, 9, "d", MqttProperties.builder().userProperty("k", "v".repeat(400)).build()));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    assertThat(broker().stats().retainedMessages()).isEqualTo(2);
  }

  @Test
  @DisplayName("0x97 for retained messages whose topics' levels take max_retained_bytes, however short the messages")
  void retainedBytesCountTheLevelsOfTheTopic() {
    // A topic of 5,000 levels is 9,999 characters and 5,000 nodes of the retained tree, 4,999 of
    // them with a map of children: counted 9,999 + 1 + 256 + 4,999 * (100 + 112) = 1,070,044
    // bytes. Counted by characters only, two hundred such messages fitted in 2.2 MB.
    configure(b -> b.maxRetainedBytes(2_200_000));
    RawClient c = connect5("deep");
    String deep = "a" + "/a".repeat(4_999);
    c.send(retained5("1" + deep.substring(1), 1, 1, "x", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("2" + deep.substring(1), 1, 2, "x", MqttProperties.EMPTY));
    assertThat(c.expect(io.tern.codec.PubAck.class).reasonCode()).as("accepted").isLessThan(0x80);
    c.send(retained5("3" + deep.substring(1), 1, 3, "x", MqttProperties.EMPTY)); // 3,210,132: over
    io.tern.codec.PubAck refused = c.expect(io.tern.codec.PubAck.class);
    assertThat(refused.reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    assertThat(refused.properties().reasonString()).contains("max_retained_bytes");
    assertThat(broker().stats().retainedMessages()).isEqualTo(2);
  }

  @Test
  @DisplayName("MQTT 3.1.1: a retained PUBLISH over max_retained_messages closes the connection")
  void quotaExceededV3() {
    configure(b -> b.maxRetainedMessages(1));
    RawClient c = connect("v3");
    c.send(Packets.publish("r/1", 1, true, false, 1, "a"));
    c.expect(Packets.pubAck(1));
    c.send(Packets.publish("r/2", 1, true, false, 2, "b"));
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("0x8B Server shutting down: the broker stops")
  void serverShuttingDown() {
    RawClient c = connect5("c");
    broker().stop();
    expectDisconnect(c, ReasonCodes.SERVER_SHUTTING_DOWN);
  }

  @Test
  @DisplayName("MQTT-3.1.2-25: a Reason String that would exceed the client's Maximum Packet Size is left out")
  void reasonStringLeftOutWhenTooLarge() {
    // 20 bytes: room for the CONNACK and its properties (a smaller limit refuses the connection,
    // Mqtt5_3_1_2_MaximumPacketSizeTest), not for a DISCONNECT with a reason string.
    RawClient c = connect5(v5("c").properties(MqttProperties.builder().maximumPacketSize(20).build()), false);
    c.send(v5("c").build());
    Disconnect d = c.expect(Disconnect.class);
    assertThat(d.reasonCode()).isEqualTo(ReasonCodes.PROTOCOL_ERROR);
    assertThat(d.properties().has(Property.REASON_STRING)).isFalse();
  }

  @Test
  @DisplayName("MQTT 3.1.1 clients are closed without a DISCONNECT (they have none from the server)")
  void v3ClientsJustClosed() {
    RawClient c = connect("v3");
    c.send(Packets.connectPacket("v3").build());
    c.expectClosed();
    assertThat(c.version()).isEqualTo(MqttVersion.V3_1_1);
  }

  @Test
  @DisplayName("an MQTT 3.1.1 client closed for what it sends, while it is still sending, sees the end of the stream, not a reset")
  void v3ClientClosedWhileSendingSeesAnOrderlyEnd() throws Exception {
    configure(b -> b.maxPacketSize(256));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", broker().port())) {
      s.setSoTimeout(5_000);
      java.io.OutputStream out = s.getOutputStream();
      out.write(Packets.bytes(Packets.connectPacket("v3").build(), MqttVersion.V3_1_1));
      java.io.InputStream in = s.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
      // A PUBLISH of 65,535 bytes, over the maximum, in one write: the broker refuses it from its
      // first bytes, with the rest of it still unread in the socket.
      byte[] publish = new byte[4 + 65_535];
      System.arraycopy(java.util.HexFormat.of().parseHex("30ffff03"), 0, publish, 0, 4);
      Thread writer = new Thread(() -> {
        try {
          out.write(publish);
          for (int i = 0; i < 50; i++) {
            out.write(new byte[1024]); // and more, still coming after the refusal
            Thread.sleep(5);
          }
        } catch (Exception e) {
          // the broker has closed: done
        }
      }, "body");
      writer.start();
      try {
        assertThat(in.read()).as("the end of the stream").isEqualTo(-1);
      } finally {
        writer.join(5_000);
      }
    }
  }
}
