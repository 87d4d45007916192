package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.Permission;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** $SYS topics read by a real client: Mosquitto's names, retained, and only where the ACL allows. */
class SysTopicsTest {
  private Broker broker;
  private SysPublisher sys;

  @AfterEach
  void stop() {
    if (sys != null) {
      sys.close();
    }
    broker.stop();
  }

  private void start() {
    // Only the user "ops" may receive $SYS topics; everyone may do everything else.
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0))
        .authorizer((client, action, topic, qos) -> action == Action.RECEIVE && topic.startsWith("$SYS/")
            && !"ops".equals(client.username()) ? Permission.DENY : Permission.ALLOW)
        .build().start();
    sys = SysPublisher.start(broker, Duration.ofMillis(200));
  }

  private Mqtt5BlockingClient client(String id, String user) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .buildBlocking();
    c.connectWith().simpleAuth().username(user).password(new byte[] {1}).applySimpleAuth().send();
    return c;
  }

  @Test
  void aSubscriberReadsTheBrokerStateUnderMosquittosNames() throws Exception {
    start();
    Mqtt5BlockingClient ops = client("ops-client", "ops");
    Map<String, String> seen = new HashMap<>();
    try (Mqtt5BlockingClient.Mqtt5Publishes in = ops.publishes(MqttGlobalPublishFilter.ALL)) {
      ops.subscribeWith().topicFilter("$SYS/#").send();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      // The retained values may predate the subscription: read until a round published after it is in.
      while (System.nanoTime() < deadline && !("1".equals(seen.get("$SYS/broker/subscriptions/count"))
          && seen.containsKey("$SYS/broker/load/publish/sent/15min"))) { // the round's last topic
        Optional<Mqtt5Publish> p = in.receive(1, TimeUnit.SECONDS);
        p.ifPresent(m -> seen.put(m.getTopic().toString(), new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8)));
      }
    }
    assertThat(seen.get("$SYS/broker/clients/connected")).isEqualTo("1");
    assertThat(seen.get("$SYS/broker/version")).startsWith("tern version ");
    assertThat(seen.get("$SYS/broker/uptime")).matches("\\d+ seconds");
    assertThat(seen.get("$SYS/broker/subscriptions/count")).isEqualTo("1");
    assertThat(seen.get("$SYS/broker/messages/received")).matches("\\d+");
    assertThat(seen.get("$SYS/broker/bytes/received")).matches("\\d+");
    assertThat(seen.get("$SYS/broker/retained messages/count")).matches("\\d+");
    assertThat(seen.get("$SYS/broker/load/messages/received/1min")).matches("\\d+\\.\\d\\d");
    assertThat(seen).containsKeys("$SYS/broker/load/bytes/sent/15min", "$SYS/broker/load/publish/received/1min",
        "$SYS/broker/load/publish/sent/1min", "$SYS/broker/load/publish/sent/5min", "$SYS/broker/clients/total",
        "$SYS/broker/messages/sent", "$SYS/broker/heap/current");
    ops.disconnect();
  }

  @Test
  void theTopicsAreRetainedAndHiddenFromThoseTheAclDenies() throws Exception {
    start();
    Mqtt5BlockingClient guest = client("guest-client", "guest");
    try (Mqtt5BlockingClient.Mqtt5Publishes in = guest.publishes(MqttGlobalPublishFilter.ALL)) {
      guest.subscribeWith().topicFilter("$SYS/#").send();
      guest.subscribeWith().topicFilter("ping").send();
      broker.publish("ping", new byte[] {1});
      // Whatever arrives in a second of $SYS publishing is the ping only.
      Optional<Mqtt5Publish> first = in.receive(5, TimeUnit.SECONDS);
      assertThat(first).isPresent();
      assertThat(first.get().getTopic().toString()).isEqualTo("ping");
      assertThat(in.receive(1, TimeUnit.SECONDS)).isEmpty();
    }
    guest.disconnect();
    Mqtt5BlockingClient ops = client("ops-late", "ops");
    try (Mqtt5BlockingClient.Mqtt5Publishes in = ops.publishes(MqttGlobalPublishFilter.ALL)) {
      ops.subscribeWith().topicFilter("$SYS/broker/version").send();
      Optional<Mqtt5Publish> p = in.receive(5, TimeUnit.SECONDS);
      assertThat(p).isPresent();
      assertThat(p.get().isRetain()).isTrue(); // a subscriber arriving later gets the retained value at once
    }
    ops.disconnect();
  }

  @Test
  void turnedOffTheRetainedValuesAPreviousRunStoredAreCleared() {
    // A previous run's values, as a store would give them back; $SYS off now: never updated again.
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).build().start();
    broker.publish("$SYS/broker/uptime", "6 seconds".getBytes(StandardCharsets.UTF_8), 0, true);
    broker.publish("$SYS/broker/clients/connected", "0".getBytes(StandardCharsets.UTF_8), 0, true);
    broker.publish("keep/me", "x".getBytes(StandardCharsets.UTF_8), 0, true);
    assertThat(SysPublisher.start(broker, Duration.ZERO)).isNull();
    assertThat(broker.management().retained("$SYS/#")).isEmpty();
    assertThat(broker.management().retained("#")).hasSize(1);
  }
}
