package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A scrape of /metrics, parsed, checked against the MQTT traffic this test sends. */
class MetricsScrapeTest {
  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})?) (\\S+)$");
  private AdminFixture f;

  @BeforeEach
  void start() {
    f = new AdminFixture();
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /** Sample name with labels (as written) to value; comment lines checked for HELP and TYPE. */
  private Map<String, Double> scrape() {
    HttpResponse<String> r = f.send("GET", "/metrics", null, "Bearer " + AdminFixture.API_KEY);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    Map<String, Double> out = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      assertThat(m.matches()).as("a Prometheus sample line: %s", line).isTrue();
      out.put(m.group(1), Double.parseDouble(m.group(3)));
    }
    return out;
  }

  @Test
  void countersFollowTheTrafficTheTestSent() throws Exception {
    Map<String, Double> before = scrape();
    Mqtt5BlockingClient sub = Mqtt5Client.builder().identifier("m-sub").serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    Mqtt5BlockingClient pub = Mqtt5Client.builder().identifier("m-pub").serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    sub.connect();
    pub.connect();
    int n = 200;
    byte[] payload = new byte[100];
    try (Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("m/#").qos(MqttQos.AT_LEAST_ONCE).send();
      for (int i = 0; i < n; i++) {
        pub.publishWith().topic("m/" + i).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
      }
      pub.publishWith().topic("m/retained").qos(MqttQos.AT_MOST_ONCE).retain(true).payload(payload).send();
      for (int i = 0; i <= n; i++) {
        assertThat(in.receive(10, TimeUnit.SECONDS)).isPresent();
      }
    }
    Map<String, Double> after = scrape();
    assertThat(after.get("tern_connections_current")).isEqualTo(2.0);
    assertThat(after.get("tern_connections_total") - before.get("tern_connections_total")).isEqualTo(2.0);
    assertThat(delta(before, after, "tern_messages_received_total{qos=\"1\"}")).isEqualTo(n);
    assertThat(delta(before, after, "tern_messages_received_total{qos=\"0\"}")).isEqualTo(1);
    assertThat(delta(before, after, "tern_messages_sent_total{qos=\"1\"}")).isEqualTo(n);
    assertThat(delta(before, after, "tern_messages_received_payload_bytes_total{qos=\"1\"}")).isEqualTo(100.0 * n);
    assertThat(delta(before, after, "tern_messages_sent_payload_bytes_total{qos=\"1\"}")).isEqualTo(100.0 * n);
    // On the wire: at least the payloads, plus headers, CONNECT, SUBSCRIBE, acks.
    assertThat(delta(before, after, "tern_bytes_received_total")).isGreaterThan(100.0 * (n + 1));
    assertThat(delta(before, after, "tern_bytes_sent_total")).isGreaterThan(100.0 * n);
    assertThat(after.get("tern_subscriptions")).isEqualTo(1.0);
    assertThat(after.get("tern_retained_messages")).isEqualTo(1.0);
    assertThat(after.get("tern_sessions")).isEqualTo(2.0);
    assertThat(after).containsKeys("tern_messages_dropped_total{reason=\"queue_full\"}",
        "tern_connections_refused_total{reason=\"auth\"}", "tern_messages_inflight", "tern_messages_queued",
        "tern_store_size", "tern_store_write_seconds_count", "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}",
        "netty_memory_used_bytes{allocator=\"pooled\",area=\"direct\"}", "tern_outbound_buffered_bytes",
        "tern_outbound_over_high_water_mark", "tern_publishers_paused_total",
        "tern_publishers_paused_slow_subscriber_total",
        "tern_messages_dropped_queued_bytes_total", "tern_messages_dropped_stalled_total", "tern_inbound_buffered_bytes",
        "tern_inbound_buffer_refusals_total");
    // Sampled: one delivery in 64 of a session, so 200 deliveries give 3 samples.
    assertThat(after.get("tern_delivery_latency_seconds_count")).isGreaterThanOrEqualTo(3.0);
    assertThat(after.get("tern_delivery_latency_seconds_bucket{le=\"+Inf\"}"))
        .isEqualTo(after.get("tern_delivery_latency_seconds_count"));
    sub.disconnect();
    pub.disconnect();
    await().atMost(Duration.ofSeconds(5)).until(() -> scrape().get("tern_connections_current") == 0.0);
  }

  @Test
  void theHelpOfRefusedConnectionsNamesEveryReason() {
    String body = f.send("GET", "/metrics", null, "Bearer " + AdminFixture.API_KEY).body();
    assertThat(body.lines().filter(l -> l.startsWith("# HELP tern_connections_refused_total "))).singleElement()
        .asString().contains("limit (", "rate (", "memory (", "auth (", "tls (");
  }

  private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
    assertThat(after).containsKey(key);
    return after.get(key) - before.getOrDefault(key, 0.0);
  }
}
