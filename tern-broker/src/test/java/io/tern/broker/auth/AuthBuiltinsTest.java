package io.tern.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The auth built-ins end to end: the static table, chained authenticators and authorizers. */
@Timeout(60)
class AuthBuiltinsTest {
  private Broker broker;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
    if (broker != null) {
      broker.stop();
    }
  }

  private void start(Authenticator authenticator, Authorizer authorizer) {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).authenticator(authenticator)
        .authorizer(authorizer).build().start();
  }

  private MqttClient paho5(String id, String user, String password) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + broker.port(), id, new MemoryPersistence());
    c.setTimeToWait(5000);
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setUserName(user);
    o.setPassword(password.getBytes(StandardCharsets.UTF_8));
    c.connect(o);
    closeables.add(() -> {
      if (c.isConnected()) {
        c.disconnectForcibly(100, 100, false);
      }
      c.close();
    });
    return c;
  }

  private org.eclipse.paho.client.mqttv3.MqttClient paho3(String id, String user, String password)
      throws org.eclipse.paho.client.mqttv3.MqttException {
    org.eclipse.paho.client.mqttv3.MqttClient c = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + broker.port(), id, new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    c.setTimeToWait(5000);
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.toCharArray());
    }
    c.connect(o);
    closeables.add(() -> {
      if (c.isConnected()) {
        c.disconnectForcibly(100, 100);
      }
      c.close();
    });
    return c;
  }

  @Test
  void staticTableAuthenticatesUsersAndScopesThemToTheirOwnTopics() throws Exception {
    StaticAuth table = StaticAuth.builder()
        .user("alice", "secret").user("bob", "secret")
        .allowAll("user/%u/#", Action.PUBLISH, Action.SUBSCRIBE, Action.RECEIVE)
        .allow("alice", "reports/+", Action.SUBSCRIBE, Action.RECEIVE)
        .build();
    start(table, table);
    assertThatThrownBy(() -> paho5("x", "alice", "wrong")).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(0x86));
    MqttClient alice = paho5("a", "alice", "secret");
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    IMqttToken sub = alice.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
        new org.eclipse.paho.mqttv5.common.MqttSubscription("user/alice/#", 1)},
        new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(topic, m) -> got.add(topic)});
    assertThat(sub.getReasonCodes()).containsExactly(1);
    alice.publish("user/alice/notes", "hi".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("user/alice/notes");

    Mqtt5BlockingClient bob = Mqtt5Client.builder().identifier("b").serverHost("127.0.0.1").serverPort(broker.port())
        .buildBlocking();
    bob.connectWith().simpleAuth().username("bob").password("secret".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    closeables.add(bob::disconnect);
    assertThatThrownBy(() -> bob.subscribeWith().topicFilter("user/alice/#").send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> bob.subscribeWith().topicFilter("reports/+").send()).isInstanceOf(Mqtt5SubAckException.class);
    assertThatThrownBy(() -> bob.subscribeWith().topicFilter("user/#").send()) // wider than the rule
        .isInstanceOf(Mqtt5SubAckException.class);
  }

  @Test
  void chainedAuthenticatorsAskEachInTurnAndChainedAuthorizersTakeTheFirstAnswer() throws Exception {
    StaticAuth services = StaticAuth.builder().user("svc", "token").allow("svc", "#", Action.values()).build();
    Authenticator guests = req -> CompletableFuture.completedFuture(
        "guest".equals(req.username()) ? AuthResult.accept("guest", "guest-role") : AuthResult.pass());
    Authenticator passUnknown = req -> "svc".equals(req.username()) ? services.authenticate(req)
        : CompletableFuture.completedFuture(AuthResult.pass());
    Authorizer guestRules = (client, action, topic, qos) -> "guest-role".equals(client.attachment())
        ? (topic.startsWith("public/") ? Permission.ALLOW : Permission.ABSTAIN) : Permission.ABSTAIN;
    start(Authenticator.chain(passUnknown, guests), Authorizer.chain(guestRules, (c, a, t, q) ->
        "svc".equals(c.username()) ? services.authorize(c, a, t, q) : Permission.ABSTAIN));

    org.eclipse.paho.client.mqttv3.MqttClient svc = paho3("s", "svc", "token");
    org.eclipse.paho.client.mqttv3.MqttClient guest = paho3("g", "guest", "");
    assertThatThrownBy(() -> paho3("n", "nobody", "x"))
        .isInstanceOfSatisfying(org.eclipse.paho.client.mqttv3.MqttException.class,
            e -> assertThat(e.getReasonCode()).isEqualTo(5)); // every authenticator passed: not authorized
    assertThat(guest.subscribeWithResponse("public/#", 1).getGrantedQos()).containsExactly(1);
    assertThat(guest.subscribeWithResponse("private/#", 1).getGrantedQos()).containsExactly(0x80); // all abstain
    assertThat(svc.subscribeWithResponse("private/#", 1).getGrantedQos()).containsExactly(1);
  }

  @Test
  void staticTablePlaceholdersNeverWidenARuleAndSharedSubscriptionsAreCheckedAsTheirFilter() throws Exception {
    StaticAuth table = StaticAuth.builder()
        .user("alice", "secret").user("carol", "secret").user("x/#", "secret")
        .allowAll("inbox/%c", Action.SUBSCRIBE, Action.RECEIVE)
        .allowAll("user/%u/#", Action.PUBLISH, Action.SUBSCRIBE, Action.RECEIVE)
        .allow("alice", "#", Action.SUBSCRIBE)
        .build();
    start(table, table);
    // A client id or user name that would turn a placeholder into a wildcard matches no rule.
    MqttClient hash = paho5("#", "carol", "secret");
    assertThat(hash.subscribe("inbox/#", 1).getReasonCodes()).containsExactly(0x87);
    MqttClient wide = paho5("w", "x/#", "secret");
    assertThat(wide.subscribe("user/x/#", 1).getReasonCodes()).containsExactly(0x87);
    // A rule starting with a wildcard does not cover $-topics (MQTT-4.7.2-1).
    MqttClient alice = paho5("a", "alice", "secret");
    assertThat(alice.subscribe("$SYS/#", 0).getReasonCodes()).containsExactly(0x87);
    // $share/{group}/{filter} is checked as {filter}: alice's own topics in a group, not bob's.
    // (The HiveMQ client: Paho's listeners do not match a $share filter to the messages it brings.)
    Mqtt5BlockingClient member = Mqtt5Client.builder().identifier("member").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    member.connectWith().simpleAuth().username("alice").password("secret".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    closeables.add(member::disconnect);
    try (Mqtt5BlockingClient.Mqtt5Publishes got = member.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      member.subscribeWith().topicFilter("$share/g/user/alice/#").qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
          .send();
      MqttClient other = paho5("o", "x/#", "secret");
      assertThat(other.subscribe("$share/g/user/alice/#", 1).getReasonCodes()).containsExactly(0x87);
      alice.publish("user/alice/t", "m".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(got.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(
          p -> assertThat(p.getTopic().toString()).isEqualTo("user/alice/t"));
    }
  }

  @Test
  void aChainedAuthorizerOrAuthenticatorThatFailsDeniesRatherThanLettingTheNextDecide() throws Exception {
    Authorizer failing = (client, action, topic, qos) -> {
      throw new IllegalStateException("policy store down");
    };
    Authenticator ldapDown = req -> CompletableFuture.failedFuture(new IllegalStateException("LDAP down"));
    Authenticator guest = req -> CompletableFuture.completedFuture(AuthResult.accept("guest"));
    start(Authenticator.chain(ldapDown, guest), Authorizer.chain(failing, Authorizer.ALLOW_ALL));
    assertThatThrownBy(() -> paho5("g", "guest", "x")).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(0x80));
    broker.stop();
    start(guest, Authorizer.chain(failing, Authorizer.ALLOW_ALL));
    MqttClient c = paho5("c", "guest", "x");
    assertThat(c.subscribe("secret/#", 1).getReasonCodes()).containsExactly(0x87);
    assertThat(broker.hookFailures()).isEqualTo(1);
  }
}
