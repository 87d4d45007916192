package io.tern.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.ConnectRequest;
import io.tern.broker.auth.Permission;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The auth SPIs end to end: CONNACK codes, refused subscriptions, denied publishes, filtered delivery. */
@Timeout(30)
class AuthTest {
  /** alice/secret and bob/secret; anyone else is refused with bad credentials. */
  static final Authenticator PASSWORDS = req -> CompletableFuture.supplyAsync(() ->
      ("alice".equals(req.username()) || "bob".equals(req.username())) && "secret".equals(req.passwordString())
          ? AuthResult.accept(req.username())
          : "mallory".equals(req.username()) ? AuthResult.notAuthorized() : AuthResult.badCredentials());

  /** alice may do anything; bob may only use public/#; nobody may receive secret/#. */
  static final Authorizer RULES = (client, action, topic, qos) -> {
    if (action == Action.RECEIVE && topic.startsWith("secret/")) {
      return Permission.DENY;
    }
    if ("alice".equals(client.username())) {
      return Permission.ALLOW;
    }
    if (action == Action.SUBSCRIBE && topic.equals("public/qos0")) {
      return Permission.maxQos(0);
    }
    return topic.startsWith("public/") ? Permission.ALLOW : Permission.DENY;
  };

  private Broker broker;
  private final List<Runnable> cleanups = new ArrayList<>();

  @AfterEach
  void stop() {
    cleanups.forEach(Runnable::run);
    if (broker != null) {
      broker.stop();
    }
  }

  private void start(Consumer<io.tern.broker.BrokerConfig.Builder> settings) {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0))
        .authenticator(PASSWORDS).authorizer(RULES).configure(settings).build().start();
  }

  private MqttClient paho(String id, String user, String password) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + broker.port(), id, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setConnectionTimeout(5);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); // the default retries 3.1 after a refusal
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.toCharArray());
    }
    c.connect(o);
    cleanups.add(() -> {
      try {
        if (c.isConnected()) {
          c.disconnectForcibly(100, 100);
        }
        c.close();
      } catch (MqttException e) {
        // closing anyway
      }
    });
    return c;
  }

  private Mqtt3BlockingClient v3(String id, String user) {
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .simpleAuth().username(user).password("secret".getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .buildBlocking();
    c.connect();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  private Mqtt5BlockingClient v5(String id, String user, String password) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .buildBlocking();
    c.connect();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  @Test
  void mqtt3WrongPasswordGetsConnAck4AndNotAuthorizedGets5() {
    start(b -> {});
    assertThatThrownBy(() -> paho("p1", "alice", "wrong"))
        .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(4));
    assertThatThrownBy(() -> paho("p2", "mallory", "x"))
        .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(5));
    assertThatThrownBy(() -> paho("p3", null, null))
        .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(4));
    assertThat(broker.securityStats().authFailures()).isEqualTo(3);
  }

  @Test
  void mqtt5WrongPasswordGetsConnAck0x86() {
    start(b -> {});
    assertThatThrownBy(() -> v5("h1", "alice", "wrong"))
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
    assertThatThrownBy(() -> v5("h2", "mallory", "secret"))
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
  }

  @Test
  void authenticatorSeesTheRequest() throws Exception {
    List<ConnectRequest> seen = new CopyOnWriteArrayList<>();
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0).withName("plain"))
        .authenticator(req -> {
          seen.add(req);
          return CompletableFuture.completedFuture(AuthResult.accept("as-" + req.username()));
        }).build().start();
    paho("seen-1", "carol", "pw");
    assertThat(seen).singleElement().satisfies(r -> {
      assertThat(r.clientId()).isEqualTo("seen-1");
      assertThat(r.username()).isEqualTo("carol");
      assertThat(r.passwordString()).isEqualTo("pw");
      assertThat(r.listenerName()).isEqualTo("plain");
      assertThat(r.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(r.peerCertificates()).isEmpty();
      assertThat(r.toString()).doesNotContain("pw");
    });
  }

  @Test
  void refusedSubscriptionGetsFailureCodesAndALowerQosWhenCapped() {
    start(b -> {});
    Mqtt3BlockingClient bob3 = v3("bob3", "bob");
    assertThatThrownBy(() -> bob3.subscribeWith().addSubscription().topicFilter("private/x").qos(MqttQos.AT_LEAST_ONCE)
            .applySubscription().addSubscription().topicFilter("public/qos0").qos(MqttQos.EXACTLY_ONCE)
            .applySubscription().send())
        .isInstanceOfSatisfying(Mqtt3SubAckException.class, e -> assertThat(e.getMqttMessage().getReturnCodes())
            .containsExactly(Mqtt3SubAckReturnCode.FAILURE, Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_0));
    Mqtt5BlockingClient bob5 = v5("bob5", "bob", "secret");
    assertThatThrownBy(() -> bob5.subscribeWith().topicFilter("private/x").qos(MqttQos.AT_LEAST_ONCE).send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThat(broker.securityStats().subscriptionsDenied()).isEqualTo(2);
    assertThat(broker.stats().subscriptions()).isEqualTo(1);
  }

  @Test
  void mqtt5DeniedPublishGets0x87AndIsNotRouted() throws Exception {
    start(b -> {});
    Mqtt5BlockingClient alice = v5("alice5", "alice", "secret");
    alice.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient.Mqtt5Publishes received = alice.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt5BlockingClient bob = v5("bob5", "bob", "secret");
    assertThatThrownBy(() -> bob.publishWith().topic("private/x").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
    bob.publishWith().topic("public/x").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {2}).send();
    assertThat(received.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(p ->
        assertThat(p.getTopic().toString()).isEqualTo("public/x"));
    assertThat(received.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    assertThat(bob.getState().isConnected()).isTrue();
    assertThat(broker.securityStats().publishesDenied()).isEqualTo(1);
  }

  @Test
  void mqtt3DeniedPublishIsAcknowledgedAndDropped() throws Exception {
    start(b -> {});
    Mqtt3BlockingClient alice = v3("alice3", "alice");
    alice.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt3BlockingClient.Mqtt3Publishes received = alice.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt3BlockingClient bob = v3("bob3", "bob");
    bob.publishWith().topic("private/x").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
    bob.publishWith().topic("private/y").qos(MqttQos.EXACTLY_ONCE).payload(new byte[] {1}).send();
    bob.publishWith().topic("public/x").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {2}).send();
    assertThat(received.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(p ->
        assertThat(p.getTopic().toString()).isEqualTo("public/x"));
    assertThat(bob.getState().isConnected()).isTrue();
    assertThat(broker.securityStats().publishesDenied()).isEqualTo(2);
  }

  @Test
  void mqtt3DeniedPublishDisconnectsWhenConfigured() {
    start(b -> b.disconnectOnDeniedPublish(true));
    Mqtt3BlockingClient bob = v3("bob3", "bob");
    bob.toAsync().publishWith().topic("private/x").qos(MqttQos.AT_MOST_ONCE).payload(new byte[] {1}).send();
    await().atMost(Duration.ofSeconds(5)).until(() -> !bob.getState().isConnected());
  }

  @Test
  void retainedMessagesAndLiveMessagesTheClientMayNotReceiveAreSkipped() throws Exception {
    start(b -> {});
    broker.publish("secret/r", new byte[] {1}, 0, true);
    broker.publish("public/r", new byte[] {2}, 0, true);
    Mqtt3BlockingClient alice = v3("alice3", "alice");
    Mqtt3BlockingClient.Mqtt3Publishes received = alice.publishes(MqttGlobalPublishFilter.ALL);
    alice.subscribeWith().topicFilter("#").qos(MqttQos.AT_MOST_ONCE).send();
    assertThat(received.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(p ->
        assertThat(p.getTopic().toString()).isEqualTo("public/r"));
    broker.publish("secret/live", new byte[] {3});
    broker.publish("public/live", new byte[] {4});
    assertThat(received.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(p ->
        assertThat(p.getTopic().toString()).isEqualTo("public/live"));
    assertThat(received.receive(200, TimeUnit.MILLISECONDS)).isEqualTo(Optional.empty());
    assertThat(broker.securityStats().deliveriesDenied()).isEqualTo(2);
  }

  @Test
  void willTopicTheClientMayNotPublishToIsRefusedAtConnect() {
    start(b -> {});
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier("bob-will").serverHost("127.0.0.1")
        .serverPort(broker.port()).simpleAuth().username("bob").password("secret".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().willPublish().topic("private/will").payload(new byte[] {1}).applyWillPublish()
        .buildBlocking();
    assertThatThrownBy(c::connect).hasMessageContaining("NOT_AUTHORIZED");
  }
}
