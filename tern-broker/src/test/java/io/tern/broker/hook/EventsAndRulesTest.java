package io.tern.broker.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.tern.broker.MqttMessage;
import io.tern.broker.Rule;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DisconnectReason;
import io.tern.broker.event.DropReason;
import io.tern.broker.event.SessionEndCause;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lifecycle and error events, and rules (in-process subscribers), with real clients. */
@Timeout(60)
class EventsAndRulesTest extends HookTestBase {
  private final List<BrokerEvent> events = new CopyOnWriteArrayList<>();

  private <T extends BrokerEvent> List<T> of(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void connectedAndDisconnectedEventsCarryWhoAndWhy() {
    start(b -> b.onEvent(events::add));
    Mqtt5BlockingClient c = client("dev-1");
    c.connectWith().cleanStart(true).simpleAuth().username("u1").applySimpleAuth().send();
    c.disconnect();
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.Disconnected.class).size() == 1);
    BrokerEvent.Connected con = of(BrokerEvent.Connected.class).get(0);
    assertThat(con.clientId()).isEqualTo("dev-1");
    assertThat(con.username()).isEqualTo("u1");
    assertThat(con.protocolVersion()).isEqualTo(5);
    assertThat(con.cleanStart()).isTrue();
    assertThat(con.remoteAddress().getAddress().isLoopbackAddress()).isTrue();
    assertThat(of(BrokerEvent.Disconnected.class).get(0).reason()).isEqualTo(DisconnectReason.CLIENT_DISCONNECT);
    assertThat(of(BrokerEvent.SessionCreated.class)).extracting(BrokerEvent.SessionCreated::clientId).contains("dev-1");
    await().until(() -> of(BrokerEvent.SessionEnded.class).stream()
        .anyMatch(e -> e.clientId().equals("dev-1") && e.cause() == SessionEndCause.CONNECTION_CLOSED));
  }

  @Test
  void disconnectReasonsForTakeoverNetworkLossAndShutdown() throws Exception {
    start(b -> b.onEvent(events::add));
    Mqtt5BlockingClient first = v5("same");
    v5("same"); // takes the session over
    MqttClient paho = new MqttClient("tcp://127.0.0.1:" + broker.port(), "lost", new MemoryPersistence());
    paho.setTimeToWait(5000);
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    paho.connect(o);
    paho.disconnectForcibly(0, 10, false); // closes the socket without DISCONNECT
    paho.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.Disconnected.class).size() == 2);
    assertThat(of(BrokerEvent.Disconnected.class)).extracting(BrokerEvent.Disconnected::reason)
        .containsExactlyInAnyOrder(DisconnectReason.TAKEN_OVER, DisconnectReason.NETWORK_LOSS);
    assertThat(first.getState().isConnected()).isFalse();
    broker.stop();
    assertThat(of(BrokerEvent.Disconnected.class)).extracting(BrokerEvent.Disconnected::reason)
        .contains(DisconnectReason.SERVER_SHUTDOWN);
    assertThat(of(BrokerEvent.Stopping.class)).hasSize(1);
    broker = null;
  }

  @Test
  void subscribedUnsubscribedAndResumedSessions() {
    start(b -> b.onEvent(events::add));
    Mqtt5BlockingClient c = client("p");
    c.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
    c.subscribeWith().topicFilter("a/+").qos(MqttQos.AT_LEAST_ONCE).send();
    c.unsubscribeWith().topicFilter("a/+").send();
    c.disconnect();
    c.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.SessionResumed.class).size() == 1);
    assertThat(of(BrokerEvent.Subscribed.class)).containsExactly(
        new BrokerEvent.Subscribed(of(BrokerEvent.Subscribed.class).get(0).timestamp(), "p", "a/+", 1));
    assertThat(of(BrokerEvent.Unsubscribed.class)).extracting(BrokerEvent.Unsubscribed::filter).containsExactly("a/+");
  }

  @Test
  void errorsAndDroppedMessagesAreReportedPerClient() {
    start(b -> b.configure(c -> c.maxQueuedMessages(1)).onEvent(events::add)
        .hook((PublishHook) (client, m) -> m.topic().equals("no") ? PublishDecision.refuse() : PublishDecision.CONTINUE));
    Mqtt5BlockingClient offline = client("offline");
    offline.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
    offline.subscribeWith().topicFilter("q").qos(MqttQos.AT_LEAST_ONCE).send();
    offline.disconnect();
    Mqtt5BlockingClient pub = v5("pub");
    for (int i = 0; i < 3; i++) {
      pub.publishWith().topic("q").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("m" + i)).send();
    }
    try {
      pub.publishWith().topic("no").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send();
    } catch (RuntimeException expected) {
      // refused with 0x87
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.ClientError.class).size() == 1);
    await().until(() -> of(BrokerEvent.MessageDropped.class).stream().mapToInt(BrokerEvent.MessageDropped::count).sum() == 2);
    BrokerEvent.MessageDropped d = of(BrokerEvent.MessageDropped.class).get(0);
    assertThat(d.clientId()).isEqualTo("offline");
    assertThat(d.reason()).isEqualTo(DropReason.QUEUE_FULL);
    BrokerEvent.ClientError e = of(BrokerEvent.ClientError.class).get(0);
    assertThat(e.clientId()).isEqualTo("pub");
    assertThat(e.reasonCode()).isEqualTo(0x87);
  }

  @Test
  void aMalformedConnectIsAClientErrorEvent() throws Exception {
    start(b -> b.onEvent(events::add));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", broker.port())) {
      s.setSoTimeout(5000);
      // CONNECT with the protocol name MQTX: refused without CONNACK (MQTT-3.1.2-1), closed.
      s.getOutputStream().write(new byte[] {0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 60, 0, 1, 'r'});
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.ClientError.class).size() == 1);
    BrokerEvent.ClientError e = of(BrokerEvent.ClientError.class).get(0);
    assertThat(e.clientId()).isNull();
    assertThat(e.description()).startsWith("bad CONNECT");
  }

  @Test
  void protocolErrorsBecomeClientErrorEventsAndProtocolErrorDisconnects() throws Exception {
    start(b -> b.onEvent(events::add));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", broker.port())) {
      s.setSoTimeout(5000);
      // CONNECT (MQTT 3.1.1, client id "r"), then a packet of the reserved type 15.
      s.getOutputStream().write(new byte[] {0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'r'});
      byte[] connAck = s.getInputStream().readNBytes(4);
      assertThat(connAck[0]).isEqualTo((byte) 0x20);
      s.getOutputStream().write(new byte[] {(byte) 0xF0, 0});
      assertThat(s.getInputStream().read()).isEqualTo(-1); // closed
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.Disconnected.class).size() == 1);
    assertThat(of(BrokerEvent.Disconnected.class).get(0).reason()).isEqualTo(DisconnectReason.PROTOCOL_ERROR);
    assertThat(of(BrokerEvent.ClientError.class)).extracting(BrokerEvent.ClientError::clientId).containsExactly("r");
  }

  @Test
  void aRulesMessageCountsAsDeliveredWhileItsHandlerRuns() throws Exception {
    start(b -> {});
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch inHandler = new java.util.concurrent.CountDownLatch(1);
    Rule rule = broker.rule("busy", 0, m -> {
      inHandler.countDown();
      try {
        release.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    broker.publish("busy", bytes("1"));
    assertThat(inHandler.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(rule.delivered()).isEqualTo(1);
    release.countDown();
    rule.remove();
  }

  @Test
  void aRuleReceivesMatchingMessagesFromClientsAndCanBeRemoved() {
    start(b -> {});
    List<MqttMessage> got = new CopyOnWriteArrayList<>();
    Rule rule = broker.rule("my/+/test/topic", 1, got::add);
    Mqtt5BlockingClient pub = v5("pub");
    pub.publishWith().topic("my/a/test/topic").qos(MqttQos.EXACTLY_ONCE).payload(bytes("1")).send();
    pub.publishWith().topic("my/a/other").payload(bytes("2")).send();
    pub.publishWith().topic("my/b/test/topic").payload(bytes("3")).send();
    await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 2);
    assertThat(got).extracting(MqttMessage::payloadAsString).containsExactly("1", "3");
    assertThat(got.get(0).qos()).isEqualTo(1); // min(2, the rule's QoS 1)
    assertThat(rule.delivered()).isEqualTo(2);
    rule.remove();
    pub.publishWith().topic("my/a/test/topic").payload(bytes("4")).send();
    broker.publish("my/a/test/topic", bytes("5"));
    assertThat(got).hasSize(2);
    assertThat(broker.stats().subscriptions()).isZero();
  }

  @Test
  void aSlowRuleDropsAndCountsWithoutSlowingClients() throws Exception {
    start(b -> b.configure(c -> c.maxQueuedMessages(100_000)).onEvent(events::add));
    CountDownLatch release = new CountDownLatch(1);
    Rule slow = broker.rule("load/#", 0, m -> release.await(30, TimeUnit.SECONDS));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = v5("pub");
    int n = 12_000; // more than the rule's queue holds (10,000)
    for (int i = 0; i < n; i++) {
      pub.toAsync().publishWith().topic("load/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("m")).send();
    }
    pub.publishWith().topic("load/end").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("end")).send();
    int received = 0;
    while (received < n + 1 && receive(in, 5000).isPresent()) {
      received++;
    }
    assertThat(received).isEqualTo(n + 1); // the client got everything while the rule was stuck
    assertThat(slow.dropped()).isGreaterThan(0);
    await().until(() -> of(BrokerEvent.MessageDropped.class).stream().anyMatch(e -> e.reason() == DropReason.RULE_QUEUE_FULL));
    release.countDown();
    slow.remove();
  }

  /**
   * A rule's queue is bounded in bytes too (a quarter of the outbound high water mark, at least
   * 1 MiB), and what it holds is counted in the broker's outbound memory: a stuck handler with 1 MB
   * messages arriving ran a 512 MB heap out of memory in ~250 messages.
   */
  @Test
  void aStuckRuleHoldsABoundedNumberOfBytes() throws Exception {
    long high = 8L << 20;
    start(b -> b.configure(c -> c.outboundHighWaterMark(high).outboundLowWaterMark(high / 2)));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch first = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
    Rule slow = broker.rule("big/#", 1, m -> {
      first.countDown();
      release.await(30, TimeUnit.SECONDS);
      handled.incrementAndGet();
    });
    byte[] payload = new byte[100_000];
    broker.publish("big/0", payload, 1, false);
    assertThat(first.await(5, TimeUnit.SECONDS)).isTrue(); // the handler holds one, the queue the rest
    for (int i = 1; i <= 60; i++) { // 6 MB against a bound of 2 MiB
      broker.publish("big/" + i, payload, 1, false);
    }
    assertThat(slow.dropped()).isGreaterThan(30);
    assertThat(broker.memoryStats().bufferedOutboundBytes()).isBetween(1_900_000L, high / 4 + 200_000);
    release.countDown();
    long kept = 61 - slow.dropped();
    await().atMost(Duration.ofSeconds(10)).until(() -> handled.get() == kept);
    assertThat(broker.memoryStats().bufferedOutboundBytes()).isZero();
    slow.remove();
  }

  @Test
  void rulesAddedOnTheBuilderSeeInProcessPublishes() {
    List<String> got = new CopyOnWriteArrayList<>();
    start(b -> b.rule("in/#", 0, m -> got.add(m.topic())));
    broker.publish("in/a", bytes("x"));
    await().atMost(Duration.ofSeconds(5)).until(() -> got.equals(List.of("in/a")));
  }

  @Test
  void aThrowingListenerKeepsReceivingEvents() {
    List<BrokerEvent> seen = new CopyOnWriteArrayList<>();
    start(b -> b.onEvent(e -> {
      seen.add(e);
      throw new IllegalStateException("listener bug");
    }));
    v5("a").disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.NORMAL_DISCONNECTION).send();
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.stream().anyMatch(e -> e instanceof BrokerEvent.Disconnected));
  }

  @Test
  void aListenerThatThrowsAnErrorKeepsReceivingEvents() {
    List<BrokerEvent> seen = new CopyOnWriteArrayList<>();
    start(b -> b.onEvent(e -> {
      seen.add(e);
      throw new AssertionError("a test's assertion in a listener");
    }));
    v5("a").disconnect();
    v5("b").disconnect(); // events after the first failure still arrive: the events thread lives on
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.stream()
        .anyMatch(e -> e instanceof BrokerEvent.Disconnected d && d.clientId().equals("b")));
  }

  @Test
  void stopCompletesWhenAStoppingListenerThrowsAnError() throws Exception {
    start(b -> b.onEvent(e -> {
      if (e instanceof BrokerEvent.Stopping) {
        throw new AssertionError("a test's assertion in a listener");
      }
    }));
    int port = broker.port();
    broker.stop();
    assertThat(broker.isRunning()).isFalse();
    try (java.net.ServerSocket again = new java.net.ServerSocket()) { // the port was released
      again.setReuseAddress(true);
      again.bind(new java.net.InetSocketAddress("127.0.0.1", port));
    }
    broker.start(); // and the broker can run again
    v5("after").disconnect();
  }

  @Test
  void aRuleWhoseHandlerThrowsAnErrorGoesOnAndCountsIt() {
    List<String> got = new CopyOnWriteArrayList<>();
    start(b -> b.rule("in/#", 0, m -> {
      if (m.topic().equals("in/assert")) {
        throw new AssertionError("a test's assertion in a handler");
      }
      got.add(m.topic());
    }));
    broker.publish("in/assert", bytes("x"));
    broker.publish("in/next", bytes("y"));
    await().atMost(Duration.ofSeconds(5)).until(() -> got.equals(List.of("in/next")));
    assertThat(broker.hookFailures()).isEqualTo(1);
  }

  @Test
  void aPluginWhoseStartThrowsAnErrorLeavesNothingStartedAndTheErrorIsThrown() {
    List<String> calls = new CopyOnWriteArrayList<>();
    io.tern.broker.hook.Plugin first = new io.tern.broker.hook.Plugin() {
      @Override
      public void start(io.tern.broker.Broker b) {
        calls.add("start");
      }

      @Override
      public void stop() {
        calls.add("stop");
        throw new AssertionError("a failing stop is logged, not thrown");
      }
    };
    io.tern.broker.hook.Plugin failing = new io.tern.broker.hook.Plugin() {
      @Override
      public void start(io.tern.broker.Broker b) {
        throw new NoClassDefFoundError("com/example/Missing");
      }
    };
    io.tern.broker.Broker b = io.tern.broker.Broker.builder().listener(io.tern.broker.Listener.tcp("127.0.0.1", 0))
        .plugin(first).plugin(failing).build();
    assertThatThrownBy(b::start).isInstanceOf(NoClassDefFoundError.class);
    assertThat(calls).containsExactly("start", "stop");
    assertThat(b.isRunning()).isFalse();
  }

  @Test
  void stopEndsTheRulesThreadsAndAStartRunsThemAgain() {
    List<String> got = new CopyOnWriteArrayList<>();
    start(b -> b.rule("in/#", 0, m -> got.add(m.topic())));
    broker.publish("in/a", bytes("x"));
    await().atMost(Duration.ofSeconds(5)).until(() -> got.equals(List.of("in/a")));
    broker.stop();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("tern-rule "));
    assertThatThrownBy(() -> broker.publish("in/b", bytes("x"))).isInstanceOf(IllegalStateException.class);
    broker.start();
    broker.publish("in/c", bytes("x"));
    await().atMost(Duration.ofSeconds(5)).until(() -> got.equals(List.of("in/a", "in/c")));
  }

  @Test
  void stopLetsARunningHandlerFinishItsMessageAndTheQueuedOnesRunAfterTheNextStart() throws Exception {
    List<String> handled = new CopyOnWriteArrayList<>();
    CountDownLatch inHandler = new CountDownLatch(1);
    start(b -> b.rule("keep/#", 0, m -> {
      if (m.topic().equals("keep/0")) {
        inHandler.countDown();
        try {
          Thread.sleep(300); // the handler's work (a database call), under way when the broker stops
        } catch (InterruptedException e) {
          handled.add("interrupted");
          return;
        }
      }
      handled.add(m.topic());
    }));
    broker.publish("keep/0", bytes("x"));
    broker.publish("keep/1", bytes("x"));
    assertThat(inHandler.await(5, TimeUnit.SECONDS)).isTrue();
    broker.stop();
    assertThat(handled).containsExactly("keep/0");
    broker.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> handled.equals(List.of("keep/0", "keep/1")));
    assertThat(broker.hookFailures()).isZero();
  }

  @Test
  void withoutAStoreSessionsEndAtStopAndTheirClientsConnectAgainAfterTheNextStart() {
    start(b -> b.onEvent(events::add));
    Mqtt5BlockingClient c = client("keeper");
    c.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
    c.subscribeWith().topicFilter("t/#").qos(MqttQos.AT_LEAST_ONCE).send();
    c.disconnect();
    broker.stop();
    assertThat(broker.stats().sessions()).isZero();
    assertThat(of(BrokerEvent.SessionEnded.class)).extracting(BrokerEvent.SessionEnded::cause)
        .containsExactly(SessionEndCause.BROKER_STOPPED);
    broker.start();
    assertThat(broker.management().hasSession("keeper")).isFalse();
    // The client id connects again (it got no CONNACK, its session bound to a loop that had ended).
    c = client("keeper"); // on the new start's port
    assertThat(c.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().isSessionPresent()).isFalse();
    assertThat(broker.stats().sessions()).isEqualTo(1);
    assertThat(broker.management().sessions()).hasSize(1);
  }

  @Test
  void aStartThatCannotBindStopsThePluginsThatStartedAndSaysWhy() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    io.tern.broker.hook.Plugin plugin = new io.tern.broker.hook.Plugin() {
      @Override
      public void start(io.tern.broker.Broker b) {
        calls.add("start");
      }

      @Override
      public void stop() {
        calls.add("stop");
      }
    };
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      io.tern.broker.Broker b = io.tern.broker.Broker.builder()
          .listener(io.tern.broker.Listener.tcp("127.0.0.1", taken.getLocalPort())).plugin(plugin).build();
      assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("in use")
          .hasCauseInstanceOf(java.io.IOException.class);
      assertThat(calls).containsExactly("start", "stop");
      assertThat(b.isRunning()).isFalse();
    }
  }

  @Test
  void aConnectionsDisconnectedEventComesBeforeTheEndOfItsCleanSession() {
    start(b -> b.onEvent(events::add));
    for (int i = 0; i < 10; i++) {
      Mqtt5BlockingClient c = client("c" + i);
      c.connectWith().cleanStart(true).send();
      c.disconnect();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> of(BrokerEvent.SessionEnded.class).size() == 10);
    for (int i = 0; i < 10; i++) {
      String id = "c" + i;
      List<BrokerEvent> mine = events.stream().filter(e -> e instanceof BrokerEvent.Disconnected d && d.clientId().equals(id)
          || e instanceof BrokerEvent.SessionEnded se && se.clientId().equals(id)).toList();
      assertThat(mine).hasSize(2).first().isInstanceOf(BrokerEvent.Disconnected.class);
    }
  }
}
