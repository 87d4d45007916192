package io.tern.broker.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.tern.broker.MqttMessage;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ClientInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every hook point end to end with real clients (HiveMQ MQTT 5, Paho 3.1.1). */
@Timeout(60)
class HookChainTest extends HookTestBase {
  private static final Executor LATER = CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS);

  @Test
  void connectHookRefusesWithItsReasonCodeAndItsAuthInfoReachesLaterHooks() {
    List<Object> seenByPublishHook = new CopyOnWriteArrayList<>();
    start(b -> b
        .hook((ConnectHook) req -> CompletableFuture.completedFuture(
            "mallory".equals(req.username()) ? AuthResult.refuse(AuthResult.BANNED)
                : AuthResult.accept(req.username(), "tenant-of-" + req.username())))
        .hook((PublishHook) (client, m) -> {
          seenByPublishHook.add(client.attachment());
          return PublishDecision.CONTINUE;
        }));

    assertThatThrownBy(() -> v5("m", "mallory")).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.BANNED));
    Mqtt5BlockingClient alice = v5("a", "alice");
    alice.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send();
    assertThat(seenByPublishHook).containsExactly("tenant-of-alice");
  }

  @Test
  void connectHookThatPassesLeavesTheDecisionToTheAuthenticator() {
    start(b -> b
        .hook((ConnectHook) req -> CompletableFuture.completedFuture(AuthResult.pass()))
        .authenticator(req -> CompletableFuture.completedFuture(
            "alice".equals(req.username()) ? AuthResult.accept("alice") : AuthResult.badCredentials())));
    v5("a", "alice");
    assertThatThrownBy(() -> v5("b", "bob")).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
  }

  @Test
  void asyncConnectHookThatTimesOutGetsItsFallback() {
    List<CompletableFuture<AuthResult>> stages = new CopyOnWriteArrayList<>();
    start(b -> b.hookTimeout(Duration.ofMillis(300)).hook(new ConnectHook() {
      @Override
      public java.util.concurrent.CompletionStage<AuthResult> onConnect(io.tern.broker.auth.ConnectRequest r) {
        CompletableFuture<AuthResult> never = new CompletableFuture<>(); // never answers
        stages.add(never);
        return never;
      }

      @Override
      public AuthResult timeoutFallback() {
        return AuthResult.refuse(AuthResult.SERVER_BUSY);
      }
    }));
    assertThatThrownBy(() -> v5("slow")).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SERVER_BUSY));
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().connections() == 0);
    // the hook is told its answer is no longer wanted (a check not started yet can be skipped)
    assertThat(stages).hasSize(1).allSatisfy(f -> assertThat(f).isCancelled());
    assertThat(broker.hookFailures()).isEqualTo(1);
  }

  /**
   * A client that leaves while a connect hook works on its CONNECT: the hook's stage is cancelled
   * (a password check queued behind a burst of such clients is skipped, not paid for), the hooks
   * after it are not asked, and nothing is counted as a failure.
   */
  @Test
  void aConnectHookWhoseClientLeftIsCancelledAndTheHooksAfterItAreNotAsked() throws Exception {
    CompletableFuture<AuthResult> pending = new CompletableFuture<>();
    AtomicInteger asked = new AtomicInteger();
    AtomicInteger askedAfter = new AtomicInteger();
    start(b -> b
        .hook((ConnectHook) r -> {
          if (!"gone".equals(r.clientId())) {
            return CompletableFuture.completedFuture(AuthResult.pass());
          }
          asked.incrementAndGet();
          return pending;
        })
        .hook((ConnectHook) r -> {
          if ("gone".equals(r.clientId())) {
            askedAfter.incrementAndGet();
          }
          return CompletableFuture.completedFuture(AuthResult.pass());
        }));
    byte[] connect = {0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'g', 'o', 'n', 'e'};
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", broker.port())) {
      s.setSoLinger(true, 0); // closed with a reset: gone (a FIN alone is a half-close, answered)
      s.getOutputStream().write(connect);
      await().atMost(Duration.ofSeconds(5)).until(() -> asked.get() == 1);
    }
    await().atMost(Duration.ofSeconds(5)).until(pending::isCancelled);
    assertThat(askedAfter).hasValue(0);
    assertThat(broker.hookFailures()).isZero();
    v5("after"); // the broker serves the next client
  }

  @Test
  void subscribeHookLowersTheQosAndRefusesFilters() {
    start(b -> b.hook((SubscribeHook) (client, filter, qos) ->
        filter.startsWith("secret/") ? SubscribeDecision.refuse(0x87)
            : filter.startsWith("cheap/") ? SubscribeDecision.grant(0) : SubscribeDecision.CONTINUE));
    Mqtt5BlockingClient c = v5("s");
    Mqtt5SubAck ack = c.subscribeWith().topicFilter("cheap/#").qos(MqttQos.EXACTLY_ONCE).send();
    assertThat(ack.getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_0);
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("secret/x").qos(MqttQos.AT_LEAST_ONCE).send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThat(c.subscribeWith().topicFilter("other/x").qos(MqttQos.EXACTLY_ONCE).send().getReasonCodes())
        .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_2);
  }

  @Test
  void asyncSubscribeHookAnswersLaterAndPacketsAfterItKeepTheirOrder() {
    start(b -> b.hook((SubscribeHook) (client, filter, qos) -> SubscribeDecision.async(
        CompletableFuture.supplyAsync(() -> SubscribeDecision.grant(1), LATER))));
    Mqtt5BlockingClient c = v5("s");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(c);
    // The subscription is answered 50 ms later; the PUBLISH right behind it must still be routed to it.
    c.toAsync().subscribeWith().topicFilter("a/#").qos(MqttQos.EXACTLY_ONCE).send();
    c.toAsync().publishWith().topic("a/1").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after")).send();
    Optional<Mqtt5Publish> got = receive(in, 5000);
    assertThat(got).isPresent();
    assertThat(text(got.get())).isEqualTo("after");
    assertThat(got.get().getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
  }

  @Test
  void publishHookRewritesTopicPayloadQosAndRetain() {
    start(b -> b.hook((PublishHook) (client, m) -> m.topic().startsWith("old/")
        ? PublishDecision.rewrite(m.withTopic("new/" + m.topic().substring(4)).withPayload(m.payloadAsString() + "!")
            .withQos(0).withRetain(true))
        : PublishDecision.CONTINUE));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("new/#").qos(MqttQos.AT_LEAST_ONCE).send();
    v5("pub").publishWith().topic("old/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hi")).send();
    Mqtt5Publish got = receive(in, 5000).orElseThrow();
    assertThat(got.getTopic().toString()).isEqualTo("new/x");
    assertThat(text(got)).isEqualTo("hi!");
    assertThat(got.getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);
    assertThat(broker.stats().retainedMessages()).isEqualTo(1);
  }

  @Test
  void publishHookRefusalIsAcknowledgedWithItsReasonCodeAndNotRouted() {
    start(b -> b.hook((PublishHook) (client, m) ->
        m.topic().equals("forbidden") ? PublishDecision.refuse(0x99) : PublishDecision.CONTINUE));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();
    Mqtt5BlockingClient pub = v5("pub");
    assertThatThrownBy(() -> pub.publishWith().topic("forbidden").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID));
    pub.publishWith().topic("allowed").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("y")).send();
    assertThat(receive(in, 5000).orElseThrow().getTopic().toString()).isEqualTo("allowed");
    assertThat(receive(in, 200)).isEmpty();
  }

  @Test
  void publishHookCanCloseTheConnection() {
    start(b -> b.hook((PublishHook) (client, m) ->
        m.topic().equals("bye") ? PublishDecision.disconnect(0x87) : PublishDecision.CONTINUE));
    Mqtt5BlockingClient c = v5("c");
    c.publishWith().topic("bye").payload(bytes("x")).send();
    await().atMost(Duration.ofSeconds(5)).until(() -> !c.getState().isConnected());
  }

  @Test
  void handledPublishIsAcknowledgedButNotRoutedForPahoV3() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    start(b -> b.hook((PublishHook) (client, m) -> {
      handled.incrementAndGet();
      return PublishDecision.handled();
    }));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();
    MqttClient paho = paho("p3");
    paho.publish("x", bytes("1"), 2, false); // QoS 2 flow completes: blocks until PUBCOMP
    paho.publish("x", bytes("2"), 1, false);
    assertThat(handled).hasValue(2);
    assertThat(receive(in, 300)).isEmpty();
  }

  @Test
  void asyncPublishHooksKeepTheOrderOfMessages() {
    start(b -> b.hook((PublishHook) (client, m) -> m.payloadAsString().startsWith("slow")
        ? PublishDecision.async(CompletableFuture.supplyAsync(() -> PublishDecision.CONTINUE, LATER))
        : PublishDecision.CONTINUE));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("o").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = v5("pub");
    for (String p : List.of("1", "slow2", "3", "slow4", "5")) {
      pub.toAsync().publishWith().topic("o").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(p)).send();
    }
    for (String p : List.of("1", "slow2", "3", "slow4", "5")) {
      assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo(p);
    }
  }

  @Test
  void asyncPublishHookThatTimesOutGetsItsFallback() {
    start(b -> b.hook((PublishHook) (client, m) -> PublishDecision.async(new CompletableFuture<>(),
        Duration.ofMillis(200), PublishDecision.rewrite(m.withPayload("fallback")))));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("t").send();
    v5("pub").publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("original")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("fallback");
  }

  @Test
  void deliverHookRewritesAndSkipsPerSubscriber() {
    start(b -> b.hook((DeliverHook) (subscriber, m) -> switch (subscriber.clientId()) {
      case "guest" -> DeliverDecision.rewrite(m.withPayload("***"));
      case "blocked" -> DeliverDecision.SKIP;
      default -> DeliverDecision.CONTINUE;
    }));
    Mqtt5BlockingClient admin = v5("admin");
    Mqtt5BlockingClient guest = v5("guest");
    Mqtt5BlockingClient blocked = v5("blocked");
    Mqtt5BlockingClient.Mqtt5Publishes toAdmin = publishes(admin);
    Mqtt5BlockingClient.Mqtt5Publishes toGuest = publishes(guest);
    Mqtt5BlockingClient.Mqtt5Publishes toBlocked = publishes(blocked);
    for (Mqtt5BlockingClient c : List.of(admin, guest, blocked)) {
      c.subscribeWith().topicFilter("news").send();
    }
    v5("pub").publishWith().topic("news").payload(bytes("secret")).send();
    assertThat(text(receive(toAdmin, 5000).orElseThrow())).isEqualTo("secret");
    assertThat(text(receive(toGuest, 5000).orElseThrow())).isEqualTo("***");
    assertThat(receive(toBlocked, 300)).isEmpty();
  }

  @Test
  void aSharedMessageSkippedForOneMemberGoesToAnotherMemberOfTheGroup() {
    start(b -> b.hook((DeliverHook) (subscriber, m) -> subscriber.clientId().equals("skipped")
        ? DeliverDecision.SKIP : DeliverDecision.CONTINUE));
    Mqtt5BlockingClient skipped = v5("skipped");
    Mqtt5BlockingClient taker = v5("taker");
    Mqtt5BlockingClient.Mqtt5Publishes toSkipped = publishes(skipped);
    Mqtt5BlockingClient.Mqtt5Publishes toTaker = publishes(taker);
    for (Mqtt5BlockingClient c : List.of(skipped, taker)) {
      c.subscribeWith().topicFilter("$share/g/jobs").qos(MqttQos.AT_LEAST_ONCE).send();
    }
    Mqtt5BlockingClient pub = v5("pub");
    for (int i = 0; i < 20; i++) {
      pub.publishWith().topic("jobs").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("j" + i)).send();
    }
    for (int i = 0; i < 20; i++) { // round robin chose "skipped" for half of them
      assertThat(text(receive(toTaker, 5000).orElseThrow())).isEqualTo("j" + i);
    }
    assertThat(receive(toSkipped, 300)).isEmpty();
  }

  @Test
  void hooksAndRulesSeeAMessageWithoutTheSendersPacketIdOrDup() throws Exception {
    // The engine keeps the PUBLISH as received (no copy per message): what leaves it must still be
    // a message, packet id 0 and DUP off, as MqttMessage.toPublish() promises.
    List<io.tern.codec.Publish> seen = new CopyOnWriteArrayList<>();
    start(b -> b.hook((DeliverHook) (subscriber, m) -> {
      seen.add(m.toPublish());
      return DeliverDecision.CONTINUE;
    }));
    broker.rule("t", 1, m -> seen.add(m.toPublish()));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("t").qos(MqttQos.AT_LEAST_ONCE).send();
    try (java.net.Socket raw = new java.net.Socket("127.0.0.1", broker.port())) {
      raw.setSoTimeout(5000);
      java.io.OutputStream out = raw.getOutputStream();
      out.write(new byte[] {0x10, 0x0F, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 3, 'r', 'a', 'w'});
      assertThat(raw.getInputStream().readNBytes(4)).containsExactly(0x20, 2, 0, 0);
      // QoS 1 with DUP set, packet id 4242 (0x1092), topic "t", payload "p"
      out.write(new byte[] {0x3A, 6, 0, 1, 't', 0x10, (byte) 0x92, 'p'});
      assertThat(raw.getInputStream().readNBytes(4)).containsExactly(0x40, 2, 0x10, 0x92);
    }
    Mqtt5Publish got = receive(in, 5000).orElseThrow();
    assertThat(text(got)).isEqualTo("p");
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    for (io.tern.codec.Publish p : seen) {
      assertThat(p.topic()).isEqualTo("t");
      assertThat(p.packetId()).isZero();
      assertThat(p.dup()).isFalse();
      assertThat(p.qos()).isEqualTo(1);
    }
  }

  @Test
  void deliverHookAppliesToRetainedMessages() {
    start(b -> b.hook((DeliverHook) (subscriber, m) -> DeliverDecision.rewrite(m.withPayload("for " + subscriber.clientId()))));
    broker.publish("r", bytes("x"), 0, true);
    Mqtt5BlockingClient c = v5("late");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(c);
    c.subscribeWith().topicFilter("r").send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("for late");
  }

  @Test
  void acceptHookClosesRefusedSockets() {
    AtomicInteger seen = new AtomicInteger();
    start(b -> b.hook((AcceptHook) (remote, listener) -> seen.incrementAndGet() > 1));
    assertThatThrownBy(() -> v5("first")).isInstanceOf(RuntimeException.class);
    v5("second");
    assertThat(seen).hasValue(2);
  }

  @Test
  void asyncAcceptHookAnswersLaterAndItsRefusalClosesTheSocket() {
    AtomicInteger seen = new AtomicInteger();
    // The answer comes 50 ms later from another thread: the first connection is refused, the second served.
    start(b -> b.hook((AsyncAcceptHook) (remote, listener) -> CompletableFuture.supplyAsync(
        () -> seen.incrementAndGet() > 1, LATER)));
    assertThatThrownBy(() -> v5("first")).isInstanceOf(RuntimeException.class);
    Mqtt5BlockingClient c = v5("second");
    assertThat(c.getState().isConnected()).isTrue();
    assertThat(seen).hasValue(2);
  }

  @Test
  void asyncAcceptHookThatNeverAnswersGetsItsFallbackAfterTheTimeout() {
    start(b -> b.hookTimeout(Duration.ofMillis(200)).hook(new AsyncAcceptHook() {
      @Override
      public java.util.concurrent.CompletionStage<Boolean> onAccept(java.net.InetSocketAddress remote, String l) {
        return new CompletableFuture<>(); // never completes
      }

      @Override
      public boolean timeoutFallback() {
        return true; // serve when the reputation service does not answer
      }
    }));
    assertThat(v5("patient").getState().isConnected()).isTrue();
  }

  @Test
  void syncAndAsyncAcceptHooksShareOneChainInOrder() {
    List<String> order = new CopyOnWriteArrayList<>();
    start(b -> b
        .hook((AcceptHook) (remote, listener) -> order.add("sync-1"))
        .hook((AsyncAcceptHook) (remote, listener) -> CompletableFuture.supplyAsync(() -> order.add("async"), LATER))
        .hook((AcceptHook) (remote, listener) -> order.add("sync-2")));
    v5("c");
    assertThat(order).containsExactly("sync-1", "async", "sync-2");
  }

  @Test
  void asyncWillHookPublishesTheWillWhenItAnswers() {
    start(b -> b.hook((WillHook) (client, will) -> PublishDecision.async(CompletableFuture.supplyAsync(
        () -> client.clientId().equals("quiet") ? PublishDecision.refuse()
            : PublishDecision.rewrite(will.withPayload(client.clientId() + " checked out")), LATER))));
    Mqtt5BlockingClient.Mqtt5Publishes in = quietAndLoudLeaveWithWills();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("loud checked out");
    assertThat(receive(in, 300)).isEmpty();
  }

  @Test
  void unsubscribeHookChoosesTheFilterRemoved() {
    start(b -> b.hook((UnsubscribeHook) (client, filter) -> filter.equals("alias") ? "real/#" : filter));
    Mqtt5BlockingClient c = v5("c");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(c);
    c.subscribeWith().topicFilter("real/#").send();
    c.unsubscribeWith().topicFilter("alias").send();
    broker.publish("real/1", bytes("x"));
    assertThat(receive(in, 300)).isEmpty();
    assertThat(broker.stats().subscriptions()).isZero();
  }

  /** A watcher subscribes to "wills"; clients "quiet" and "loud" connect with a will there and leave with it. */
  private Mqtt5BlockingClient.Mqtt5Publishes quietAndLoudLeaveWithWills() {
    Mqtt5BlockingClient watcher = v5("watcher");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(watcher);
    watcher.subscribeWith().topicFilter("wills").send();
    for (String id : List.of("quiet", "loud")) {
      Mqtt5BlockingClient c = client(id);
      c.connectWith().willPublish().topic("wills").payload(bytes("bye")).applyWillPublish().send();
      c.disconnectWith().reasonCode(com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode
          .DISCONNECT_WITH_WILL_MESSAGE).send();
    }
    return in;
  }

  @Test
  void willHookRewritesOrSuppressesWills() {
    start(b -> b.hook((WillHook) (client, will) -> client.clientId().equals("quiet")
        ? PublishDecision.refuse() : PublishDecision.rewrite(will.withPayload(client.clientId() + " is gone"))));
    Mqtt5BlockingClient.Mqtt5Publishes in = quietAndLoudLeaveWithWills();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("loud is gone");
    assertThat(receive(in, 300)).isEmpty();
  }

  @Test
  void aThrowingHookFailsItsOperationSafelyAndTheBrokerKeepsServing() {
    start(b -> b.hook((PublishHook) (client, m) -> {
      if (m.topic().equals("boom")) {
        throw new IllegalStateException("hook bug");
      }
      return PublishDecision.CONTINUE;
    }));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();
    Mqtt5BlockingClient pub = v5("pub");
    assertThatThrownBy(() -> pub.publishWith().topic("boom").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR));
    pub.publishWith().topic("fine").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("y")).send();
    assertThat(receive(in, 5000).orElseThrow().getTopic().toString()).isEqualTo("fine");
    assertThat(broker.hookFailures()).isEqualTo(1);
    assertThat(pub.getState().isConnected()).isTrue();
  }

  @Test
  void anErrorFromAHookOrTheAuthorizerFailsOnlyItsOperationAsAnExceptionDoes() {
    // An assertion in a test's hook, a missing class, a runaway recursion: not the broker's failure.
    start(b -> b
        .hook((ConnectHook) req -> {
          if (req.clientId().equals("no-class")) {
            throw new NoClassDefFoundError("com/example/Missing");
          }
          return CompletableFuture.completedFuture(AuthResult.pass());
        })
        .hook((PublishHook) (client, m) -> {
          if (m.topic().equals("assert")) {
            throw new AssertionError("expected something else");
          }
          return PublishDecision.CONTINUE;
        })
        .hook((DeliverHook) (subscriber, m) -> {
          if (m.topic().equals("deep")) {
            throw new StackOverflowError();
          }
          return DeliverDecision.CONTINUE;
        })
        .authorizer((client, action, topic, qos) -> {
          if (topic.equals("denied/assert")) {
            throw new AssertionError("authorizer assertion");
          }
          return io.tern.broker.auth.Permission.ALLOW;
        }));
    assertThatThrownBy(() -> v5("no-class")).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.UNSPECIFIED_ERROR));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();
    assertThatThrownBy(() -> sub.subscribeWith().topicFilter("denied/assert").send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    Mqtt5BlockingClient pub = v5("pub");
    assertThatThrownBy(() -> pub.publishWith().topic("assert").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR));
    // The deliver hook runs on the publisher's loop: its error skips that delivery, not the publisher.
    pub.publishWith().topic("deep").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("skipped")).send();
    pub.publishWith().topic("fine").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("kept")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("kept");
    assertThat(broker.hookFailures()).isEqualTo(4);
    assertThat(pub.getState().isConnected()).isTrue();
    assertThat(sub.getState().isConnected()).isTrue();
  }

  @Test
  void nullAnswersFailTheirOperationSafelyAndAreCounted() throws Exception {
    start(b -> b
        .hook((ConnectHook) req -> "null-stage".equals(req.clientId()) ? null
            : CompletableFuture.completedFuture(AuthResult.pass()))
        .hook((DeliverHook) (subscriber, m) -> m.topic().equals("null/deliver") ? null : DeliverDecision.CONTINUE)
        .hook((UnsubscribeHook) (client, filter) -> null)
        .hook((WillHook) (client, will) -> null));
    // A connect hook answering null instead of a stage: CONNACK 0x80, not a connection closed without one.
    assertThatThrownBy(() -> v5("null-stage")).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.UNSPECIFIED_ERROR));
    assertThat(broker.hookFailures()).isEqualTo(1);
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("null/#").send();
    Mqtt5BlockingClient pub = v5("pub");
    pub.publishWith().topic("null/deliver").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("skipped")).send();
    pub.publishWith().topic("null/other").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("kept")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("kept");
    assertThat(broker.hookFailures()).isEqualTo(2);
    sub.unsubscribeWith().topicFilter("null/#").send(); // null: the client's filter is removed, counted
    assertThat(broker.hookFailures()).isEqualTo(3);
    assertThat(broker.stats().subscriptions()).isZero();
    // A will hook answering null: the will is not published, and that is counted as a failure too.
    byte[] connectWithWill = {0x10, 0x19, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 60, 0, 1, 'w', 0, 4, 'n', 'u', 'l', 'l',
        0, 4, 'g', 'o', 'n', 'e'};
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", broker.port())) {
      s.getOutputStream().write(connectWithWill);
      assertThat(s.getInputStream().read()).as("CONNACK").isEqualTo(0x20);
      s.setSoLinger(true, 0); // closed without DISCONNECT: the will goes to the hooks
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.hookFailures() == 4);
  }

  @Test
  void anAuthorizerThatThrowsOrAnswersNullDeniesAndTheClientStaysConnected() {
    start(b -> b.authorizer((client, action, topic, qos) -> {
      if (topic.startsWith("boom")) {
        throw new IllegalStateException("authorizer bug");
      }
      return topic.startsWith("null") ? null : io.tern.broker.auth.Permission.ALLOW;
    }));
    Mqtt5BlockingClient c = v5("c");
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("boom/#").qos(MqttQos.AT_LEAST_ONCE).send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> c.publishWith().topic("null/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
    assertThat(broker.hookFailures()).isEqualTo(2);
    assertThat(c.getState().isConnected()).isTrue();
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(c);
    c.subscribeWith().topicFilter("fine/#").send();
    c.publishWith().topic("fine/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("y")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("y");
  }

  @Test
  void hooksCanBeAddedAndRemovedWhileTheBrokerRuns() {
    start(b -> {});
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("t").send();
    Mqtt5BlockingClient pub = v5("pub");
    Registration r = broker.addHook((PublishHook) (client, m) -> PublishDecision.rewrite(m.withPayload("hooked")));
    pub.publishWith().topic("t").payload(bytes("a")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("hooked");
    r.remove();
    pub.publishWith().topic("t").payload(bytes("b")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("b");
  }

  @Test
  void hooksRunInRegistrationOrderEachSeeingThePreviousRewrite() {
    start(b -> b
        .hook((PublishHook) (c, m) -> PublishDecision.rewrite(m.withPayload(m.payloadAsString() + "1")))
        .hook((PublishHook) (c, m) -> PublishDecision.rewrite(m.withPayload(m.payloadAsString() + "2"))));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("t").send();
    v5("pub").publishWith().topic("t").payload(bytes("0")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("012");
  }

  @Test
  void aHookImplementingNoHookPointIsRejected() {
    start(b -> {});
    assertThatThrownBy(() -> broker.addHook(new Hook() {})).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hooksSeeImmutableMessages() {
    start(b -> b.hook((PublishHook) (client, m) -> {
      assertThat(m.payload().isReadOnly()).isTrue();
      m.payloadBytes()[0] = 'X'; // a copy
      return PublishDecision.CONTINUE;
    }));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("t").send();
    v5("pub").publishWith().topic("t").payload(bytes("abc")).send();
    assertThat(text(receive(in, 5000).orElseThrow())).isEqualTo("abc");
  }

  private MqttClient paho(String id) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + broker.port(), id, new MemoryPersistence());
    c.setTimeToWait(5000);
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    c.connect(o);
    cleanup(() -> {
      try {
        c.disconnectForcibly(100, 100);
        c.close();
      } catch (MqttException e) {
        // closing anyway
      }
    });
    return c;
  }

}
