package io.tern.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Limits that keep the broker up, attacked: slowloris, a huge remaining length, connection floods. */
@Timeout(60)
class LimitsAttackTest {
  private Broker broker;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    if (broker != null) {
      broker.stop();
    }
  }

  private void start(Consumer<BrokerConfig.Builder> settings) {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).configure(settings).build().start();
  }

  private Socket open() throws IOException {
    Socket s = new Socket("127.0.0.1", broker.port());
    sockets.add(s);
    return s;
  }

  private static boolean closedByPeer(Socket s) {
    try {
      s.setSoTimeout(1);
      InputStream in = s.getInputStream();
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private void assertServesAClient() {
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier("ok-" + System.nanoTime()).serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    c.connect();
    c.publishWith().topic("still/up").payload(new byte[] {1}).send();
    c.disconnect();
  }

  @Test
  void slowlorisOfAThousandSocketsIsClosedAfterTheConnectTimeoutWhileOthersAreServed() throws Exception {
    start(b -> b.connectTimeout(Duration.ofSeconds(2)));
    for (int i = 0; i < 1000; i++) {
      Socket s = open();
      s.getOutputStream().write(0x10); // the first byte of a CONNECT, then nothing
    }
    assertServesAClient();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .until(() -> sockets.stream().allMatch(LimitsAttackTest::closedByPeer));
    assertServesAClient();
  }

  @Test
  void remainingLengthOf256MiBTrickledSlowlyIsRefusedAtTheHeader() throws Exception {
    start(b -> b.maxPacketSize(1024 * 1024));
    Socket s = open();
    OutputStream out = s.getOutputStream();
    out.write(hex("100f00044d5154540402003c0003747231")); // CONNECT
    s.setSoTimeout(5000);
    assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
    for (int b : new int[] {0x30, 0xFF, 0xFF, 0xFF, 0x7F}) { // PUBLISH, remaining length 268,435,455
      out.write(b);
      out.flush();
      await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> true); // trickle
    }
    // Refused as soon as the header is complete: no body byte was sent.
    assertThat(s.getInputStream().read()).isEqualTo(-1);
    assertServesAClient();
  }

  @Test
  void connectionsOverTheTotalAndPerListenerLimitsAreClosedAtOnce() throws Exception {
    broker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0).withName("a").withMaxConnections(2))
        .listener(Listener.tcp("127.0.0.1", 0).withName("b"))
        .configure(b -> b.maxConnections(3))
        .build().start();
    List<Socket> onA = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Socket s = new Socket("127.0.0.1", broker.port("a"));
      sockets.add(s);
      onA.add(s);
    }
    // Accepted on several event loops: any one of the three may be the one over the limit.
    await().atMost(Duration.ofSeconds(5)).until(() -> onA.stream().anyMatch(LimitsAttackTest::closedByPeer));
    // The refused socket's slot is freed when its close completes, asynchronously: b1 or b2 is the 4th.
    Socket b1 = new Socket("127.0.0.1", broker.port("b"));
    Socket b2 = new Socket("127.0.0.1", broker.port("b"));
    sockets.add(b1);
    sockets.add(b2);
    await().atMost(Duration.ofSeconds(5)).until(() -> closedByPeer(b2) || closedByPeer(b1));
    assertThat(onA.stream().filter(LimitsAttackTest::closedByPeer).count()).isEqualTo(1);
    assertThat(broker.securityStats().connectionsRefusedLimit()).isEqualTo(2);
  }

  /**
   * A client that disconnects (DISCONNECT, then its close) gives its place under max_connections
   * back at once: the broker's side lingered a second after the peer's close, and the same client
   * reconnecting right away (mosquitto_pub run twice) was refused under max_connections 1.
   */
  @Test
  void aClientThatDisconnectedFreesItsPlaceUnderMaxConnectionsAtOnce() throws Exception {
    start(b -> b.maxConnections(1));
    for (int i = 0; i < 4; i++) {
      try (Socket s = new Socket("127.0.0.1", broker.port())) {
        s.setSoTimeout(5000);
        s.getOutputStream().write(hex("100f00044d5154540402003c0003747233")); // CONNECT "tr3"
        assertThat(s.getInputStream().readNBytes(4)).as("CONNACK of connection %d", i)
            .containsExactly(0x20, 0x02, 0x00, 0x00);
        s.getOutputStream().write(hex("e000")); // DISCONNECT
        assertThat(s.getInputStream().read()).as("the broker's end of the stream").isEqualTo(-1);
      }
      Thread.sleep(300); // the broker sees the close; well under the second it lingered
    }
    assertThat(broker.securityStats().connectionsRefusedLimit()).isZero();
  }

  @Test
  void connectionRatePerAddressIsLimited() throws Exception {
    start(b -> b.maxConnectionRatePerAddress(5));
    for (int i = 0; i < 20; i++) {
      open();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.securityStats().connectionsRefusedRate() >= 10);
    assertThat(sockets.stream().filter(LimitsAttackTest::closedByPeer).count()).isGreaterThanOrEqualTo(10);
  }

  @Test
  void topicsOverTheLengthOrLevelLimitsAreRefused() throws Exception {
    start(b -> b.maxTopicLength(16).maxTopicLevels(3));
    Socket s = open();
    s.setSoTimeout(5000);
    OutputStream out = s.getOutputStream();
    out.write(hex("100f00044d5154540402003c0003747232"));
    assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
    out.write(hex("820b00010006612f622f632f00")); // SUBSCRIBE a/b/c/ (4 levels)
    assertThat(s.getInputStream().readNBytes(5)).containsExactly(0x90, 0x03, 0x00, 0x01, 0x80);
    out.write(hex("30090006612f622f632f78")); // PUBLISH a/b/c/ "x": closed
    assertThat(s.getInputStream().read()).isEqualTo(-1);
    assertThat(broker.securityStats().topicLimitRefusals()).isEqualTo(2);
  }

  @Test
  void subscriptionsOverThePerClientLimitAreRefused() throws Exception {
    start(b -> b.maxSubscriptionsPerClient(1));
    Socket s = connected();
    s.getOutputStream().write(hex("820600010001610082060002000162008206000300016100")); // a, b, a again
    assertThat(s.getInputStream().readNBytes(15)).containsExactly(
        0x90, 0x03, 0x00, 0x01, 0x00, 0x90, 0x03, 0x00, 0x02, 0x80, 0x90, 0x03, 0x00, 0x03, 0x00);
    assertThat(broker.securityStats().subscriptionLimitRefusals()).isEqualTo(1);
  }

  @Test
  void oneSubscribeCannotCarryMoreSubscriptionsThanTheLimit() throws Exception {
    start(b -> b.maxSubscriptionsPerClient(3));
    Socket s = connected();
    // One SUBSCRIBE: a, b, c, d, e, then a again (which replaces a, so it is not one more).
    s.getOutputStream().write(hex("821a0001" + "0001610000016200000163000001640000016500" + "00016100"));
    assertThat(s.getInputStream().readNBytes(10)).containsExactly(
        0x90, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x80, 0x80, 0x00);
    assertThat(broker.securityStats().subscriptionLimitRefusals()).isEqualTo(2);
    assertThat(broker.management().sessions().get(0).subscriptions()).isEqualTo(3);
  }

  @Test
  void subscriptionsOverThePerClientFilterLengthAreRefusedAndUnsubscribingMakesRoom() throws Exception {
    // A one-level filter costs its characters and 140 bytes (SubscriptionTable.LEVEL_BYTES): 425 for
    // the first four below.
    start(b -> b.maxSubscriptionBytesPerClient(425));
    Socket s = connected();
    // One SUBSCRIBE: "ab", "cd", "ab" again (replaces: not more), "e" (425 in all), "f" (566: refused).
    s.getOutputStream().write(hex("82190001" + "000261620000026364000002616200" + "0001650000016600"));
    assertThat(s.getInputStream().readNBytes(9)).containsExactly(0x90, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80);
    assertThat(broker.securityStats().subscriptionLimitRefusals()).isEqualTo(1);
    s.getOutputStream().write(hex("a206000200026364")); // UNSUBSCRIBE cd
    assertThat(s.getInputStream().readNBytes(4)).containsExactly(0xB0, 0x02, 0x00, 0x02);
    s.getOutputStream().write(hex("820700030002666700")); // "fg": 425 again
    assertThat(s.getInputStream().readNBytes(5)).containsExactly(0x90, 0x03, 0x00, 0x03, 0x00);
    assertThat(broker.management().sessions().get(0).subscriptions()).isEqualTo(3);
  }

  /**
   * A level of a filter is a node of the trie, ~140 bytes of heap for its 2 characters: counted by
   * characters only, one client held 2.3 GB with 16 MiB of filters of 32,700 levels. With the
   * defaults (96 MiB, 140 bytes per level) a filter of 30,000 levels costs ~4.26 MB: the 24th is
   * refused, where the characters alone (16 MiB, 60,000 each) let all 30 in.
   */
  @Test
  void deepFiltersAreCountedByTheirLevelsAgainstTheDefaultBound() throws Exception {
    start(b -> {});
    Socket s = connected();
    List<io.tern.codec.Subscription> filters = new ArrayList<>();
    for (int k = 0; k < 30; k++) {
      filters.add(new io.tern.codec.Subscription(String.format("x%02d", k) + "/a".repeat(29_999), 0));
    }
    io.netty.buffer.ByteBuf packet = io.tern.codec.MqttEncoder.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT,
        new io.tern.codec.Subscribe(1, filters, io.tern.codec.MqttProperties.EMPTY), io.tern.codec.MqttVersion.V3_1_1);
    try {
      packet.readBytes(s.getOutputStream(), packet.readableBytes());
    } finally {
      packet.release();
    }
    byte[] suback = s.getInputStream().readNBytes(4 + 30);
    assertThat(suback).startsWith(0x90, 32, 0x00, 0x01);
    long costOne = 3 + 2 * 29_999 + 140L * 30_000; // SubscriptionTable.LEVEL_BYTES per level
    int granted = (int) (BrokerConfig.defaults().maxSubscriptionBytesPerClient() / costOne);
    assertThat(granted).isEqualTo(23);
    for (int k = 0; k < 30; k++) {
      assertThat(suback[4 + k] & 0xFF).as("filter %d", k).isEqualTo(k < granted ? 0x00 : 0x80);
    }
    assertThat(broker.management().sessions().get(0).subscriptions()).isEqualTo(granted);
    assertThat(broker.securityStats().subscriptionLimitRefusals()).isEqualTo(30 - granted);
  }

  @Test
  void aClientRepeatingRefusedSubscribesIsLoggedOnceAndCountedEachTime() throws Exception {
    try (io.tern.broker.testsupport.LogCapture log = io.tern.broker.testsupport.LogCapture.of(
        "io.tern.broker.internal.Access", ch.qos.logback.classic.Level.INFO)) {
      start(b -> b.maxSubscriptionsPerClient(1));
      Socket s = connected();
      s.getOutputStream().write(hex("82060001000161008206000200016200")); // a, then b: refused
      assertThat(s.getInputStream().readNBytes(10)).containsExactly(0x90, 0x03, 0x00, 0x01, 0x00, 0x90, 0x03, 0x00, 0x02, 0x80);
      for (int i = 3; i < 50; i++) { // b again and again
        s.getOutputStream().write(hex("820600" + String.format("%02x", i) + "0001620" + "0"));
        assertThat(s.getInputStream().readNBytes(5)).containsExactly(0x90, 0x03, 0x00, i, 0x80);
      }
      assertThat(broker.securityStats().subscriptionLimitRefusals()).isEqualTo(48);
      assertThat(log.messages()).filteredOn(m -> m.contains("refused")).hasSize(1);
    }
  }

  @Test
  void byDefaultAClientMayHoldTensOfThousandsOfSubscriptions() {
    start(b -> { });
    com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient c = com.hivemq.client.mqtt.mqtt3.Mqtt3Client.builder()
        .identifier("many").serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    c.connect();
    try {
      int n = 20_000; // as a client watching many devices would, in one SUBSCRIBE
      var subAck = c.subscribe(com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe.builder()
          .addSubscriptions(java.util.stream.IntStream.range(0, n).mapToObj(i ->
              com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription.builder().topicFilter("d/" + i).build()))
          .build());
      assertThat(subAck.getReturnCodes()).hasSize(n).allMatch(code -> !code.isError());
      assertThat(broker.securityStats().subscriptionLimitRefusals()).isZero();
      assertThat(broker.management().sessions().get(0).subscriptions()).isEqualTo(n);
    } finally {
      c.disconnect();
    }
  }

  @Test
  void aFloodOfRefusedClientsWritesAtMostFiftyInfoLinesASecondAndCountsThemAll() throws Exception {
    try (io.tern.broker.testsupport.LogCapture log = io.tern.broker.testsupport.LogCapture.of(
        "io.tern.broker.internal.Access", ch.qos.logback.classic.Level.DEBUG)) {
      start(b -> b.authenticator(request -> java.util.concurrent.CompletableFuture.completedFuture(
          io.tern.broker.auth.AuthResult.badCredentials().because("locked out"))));
      int clients = 400;
      long began = System.nanoTime();
      for (int i = 0; i < clients; i++) {
        try (Socket s = new Socket("127.0.0.1", broker.port())) {
          s.setSoTimeout(5000);
          s.getOutputStream().write(hex("100f00044d5154540402003c0003747234"));
          assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x04);
        }
      }
      long seconds = (System.nanoTime() - began) / 1_000_000_000L + 1;
      assertThat(broker.securityStats().authFailures()).isEqualTo(clients);
      List<String> info = log.events().stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.INFO)
          .map(e -> e.getFormattedMessage()).toList();
      // A refusal's own line; not the line that says how many went to DEBUG, which also says
      // "refused" and comes at INFO as soon as a second has room (mid-loop when the 400 take over 1 s).
      java.util.function.Predicate<String> refusal = m -> m.startsWith("Connection from") && m.contains(" refused: ");
      List<String> refusals = info.stream().filter(refusal).toList();
      // At most 50 a second: fails without the limit as long as the 400 took under 8 s.
      assertThat(refusals).hasSizeLessThanOrEqualTo((int) (50 * seconds)).hasSizeLessThan(clients);
      // Each refusal still has its line, at DEBUG past the limit.
      assertThat(log.messages()).filteredOn(refusal).hasSize(clients);
      // The next line at INFO, once a second has room, says how many went to DEBUG.
      Thread.sleep(1_100);
      try (Socket s = new Socket("127.0.0.1", broker.port())) {
        s.getOutputStream().write(hex("100f00044d5154540402003c0003747234"));
        s.getInputStream().readNBytes(4);
      }
      await().untilAsserted(() -> assertThat(log.messages())
          .anyMatch(m -> m.matches("\\d+ more lines about refused or misbehaving clients were written at DEBUG only.*")));
    }
  }

  /** A socket that sent an MQTT 3.1.1 CONNECT (client id "tr3") and got its CONNACK. */
  private Socket connected() throws IOException {
    Socket s = open();
    s.setSoTimeout(5000);
    s.getOutputStream().write(hex("100f00044d5154540402003c0003747233"));
    assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
    return s;
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }
}
