package io.tern.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.tern.broker.Broker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each example, run on a free port and driven by real clients (HiveMQ MQTT 5, Paho 3.1.1). */
@Timeout(60)
class ExamplesTest {
  private final List<Runnable> cleanups = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    for (int i = cleanups.size() - 1; i >= 0; i--) {
      try {
        cleanups.get(i).run();
      } catch (RuntimeException e) {
        // closing anyway
      }
    }
  }

  private Broker track(Broker b) {
    cleanups.add(b::stop);
    return b;
  }

  private Mqtt5BlockingClient client(int port, String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port).buildBlocking();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  private Mqtt5BlockingClient user(int port, String name) {
    Mqtt5BlockingClient c = client(port, name + "-client");
    c.connectWith().simpleAuth().username(name).password(bytes("secret")).applySimpleAuth().send();
    return c;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Optional<Mqtt5Publish> receive(Mqtt5BlockingClient.Mqtt5Publishes in, long ms) throws InterruptedException {
    return in.receive(ms, TimeUnit.MILLISECONDS);
  }

  private static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void minimalBrokerRoutesAndRefusesEmptyMessages() throws Exception {
    Broker broker = track(MinimalBroker.start(0));
    MqttClient paho = new MqttClient("tcp://127.0.0.1:" + broker.port(), "p", new MemoryPersistence());
    paho.setTimeToWait(5000);
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    paho.connect(o);
    cleanups.add(() -> {
      try {
        paho.disconnectForcibly(100, 100);
        paho.close();
      } catch (MqttException e) {
        // closing anyway
      }
    });
    List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    paho.subscribe("sensors/#", 1, (topic, m) -> got.add(new String(m.getPayload(), StandardCharsets.UTF_8)));
    paho.publish("sensors/1/temperature", bytes("21.5"), 1, false);
    paho.publish("sensors/1/temperature", new byte[0], 1, false); // MQTT 3.1.1: acked, not routed
    paho.publish("sensors/1/temperature", bytes("22"), 1, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 2);
    assertThat(got).containsExactly("21.5", "22");
  }

  @Test
  void usersOnlyTouchTheirOwnSpaceAdminTopicsAreReadOnlyAndTheRestIsRefused() throws Exception {
    Broker broker = track(UserTopicsBroker.start(0));
    int port = broker.port();
    Mqtt5BlockingClient alice = user(port, "alice");
    Mqtt5BlockingClient bob = user(port, "bob");
    Mqtt5BlockingClient admin = user(port, "admin");
    Mqtt5BlockingClient.Mqtt5Publishes toAlice = alice.publishes(MqttGlobalPublishFilter.ALL);

    assertThat(alice.subscribeWith().topicFilter("user/alice/#").qos(MqttQos.AT_LEAST_ONCE).send().getReasonCodes())
        .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
    assertThatThrownBy(() -> bob.subscribeWith().topicFilter("user/alice/#").send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> bob.subscribeWith().topicFilter("user/+/location").send())
        .isInstanceOf(Mqtt5SubAckException.class);
    assertThatThrownBy(() -> bob.publishWith().topic("user/alice/inbox").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
    alice.publishWith().topic("user/alice/location").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("home")).send();
    assertThat(text(receive(toAlice, 5000).orElseThrow())).isEqualTo("home");

    // admin/...: everyone reads (at most QoS 1), only the admin writes.
    assertThat(alice.subscribeWith().topicFilter("admin/notices").qos(MqttQos.EXACTLY_ONCE).send().getReasonCodes())
        .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
    assertThatThrownBy(() -> bob.publishWith().topic("admin/notices").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOf(Mqtt5PubAckException.class);
    admin.publishWith().topic("admin/notices").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("maintenance")).send();
    assertThat(text(receive(toAlice, 5000).orElseThrow())).isEqualTo("maintenance");

    // The catch-all refuses everything else.
    assertThatThrownBy(() -> alice.subscribeWith().topicFilter("elsewhere/#").send()).isInstanceOf(Mqtt5SubAckException.class);
    assertThatThrownBy(() -> alice.publishWith().topic("elsewhere").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOf(Mqtt5PubAckException.class);
    assertThat(receive(toAlice, 200)).isEmpty();
  }

  @Test
  void lifecycleEventsArePublishedAsJson() throws Exception {
    Broker broker = track(LifecycleEventsBroker.start(0));
    Mqtt5BlockingClient watcher = client(broker.port(), "watcher");
    watcher.connect();
    Mqtt5BlockingClient.Mqtt5Publishes events = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("$events/presence/+/device-7").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient device = client(broker.port(), "device-7");
    device.connectWith().simpleAuth().username("dev").applySimpleAuth().send();
    device.disconnect();
    Mqtt5Publish connected = receive(events, 5000).orElseThrow();
    assertThat(connected.getTopic().toString()).isEqualTo("$events/presence/connected/device-7");
    assertThat(text(connected)).contains("\"clientId\":\"device-7\"", "\"eventType\":\"connected\"",
        "\"principalIdentifier\":\"dev\"", "\"versionNumber\":5", "\"ipAddress\":\"127.0.0.1\"");
    Mqtt5Publish disconnected = receive(events, 5000).orElseThrow();
    assertThat(disconnected.getTopic().toString()).isEqualTo("$events/presence/disconnected/device-7");
    assertThat(text(disconnected)).contains("\"disconnectReason\":\"CLIENT_DISCONNECT\"");
  }

  @Test
  void rulesKeepTheLatestReadingsAndRaiseAlerts() throws Exception {
    RulesBroker b = RulesBroker.start(0);
    cleanups.add(b::stop);
    Mqtt5BlockingClient c = client(b.broker().port(), "c");
    c.connect();
    Mqtt5BlockingClient.Mqtt5Publishes in = c.publishes(MqttGlobalPublishFilter.ALL);
    c.subscribeWith().topicFilter("alerts/#").qos(MqttQos.AT_LEAST_ONCE).send();
    c.publishWith().topic("sensors/kitchen/temperature").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("21")).send();
    c.publishWith().topic("sensors/oven/temperature").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("220")).send();
    Mqtt5Publish alert = receive(in, 5000).orElseThrow();
    assertThat(alert.getTopic().toString()).isEqualTo("alerts/oven");
    assertThat(text(alert)).isEqualTo("too hot: 220.0");
    await().atMost(Duration.ofSeconds(5)).until(() -> b.latest().size() == 2);
    assertThat(b.latest()).containsEntry("kitchen", 21.0).containsEntry("oven", 220.0);
  }

  @Test
  void asyncAuthenticatorAcceptsRefusesAndTimesOut() throws Exception {
    Broker broker = track(AsyncAuthBroker.start(0, Duration.ofSeconds(1)));
    int port = broker.port();
    Mqtt5BlockingClient bob = user(port, "bob");
    Mqtt5BlockingClient.Mqtt5Publishes in = bob.publishes(MqttGlobalPublishFilter.ALL);
    bob.subscribeWith().topicFilter("t").qos(MqttQos.AT_LEAST_ONCE).send();
    bob.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send();
    assertThat(receive(in, 5000).orElseThrow().getQos()).isEqualTo(MqttQos.AT_MOST_ONCE); // free plan: QoS 0

    Mqtt5BlockingClient wrong = client(port, "w");
    assertThatThrownBy(() -> wrong.connectWith().simpleAuth().username("alice").password(bytes("nope")).applySimpleAuth().send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
    Mqtt5BlockingClient slow = client(port, "s");
    assertThatThrownBy(() -> slow.connectWith().simpleAuth().username("sloth").password(bytes("secret")).applySimpleAuth().send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.SERVER_BUSY));
  }
}
