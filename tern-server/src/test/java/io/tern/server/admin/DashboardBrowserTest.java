package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.testsupport.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard end to end in headless Chromium (Debian's {@code /usr/bin/chromium}) driven by npm
 * {@code playwright-core} ({@code src/test/js/dashboard.js}, pinned by its package-lock.json and
 * installed with {@code npm ci} on first use): log in, see a connected client in the table,
 * disconnect it with its button, publish a message with the form that a subscribed client
 * receives. Skipped when Node, npm or Chromium is missing, unless {@code -Dtern.requireChromium=true}
 * (set by CI), which makes that a failure.
 */
class DashboardBrowserTest {
  private static final Path JS = Path.of("src", "test", "js");
  private static final boolean REQUIRED = Boolean.getBoolean("tern.requireChromium");

  private AdminFixture f;

  @BeforeAll
  static void needsNodeAndChromium() throws Exception {
    ExternalTools.requireNode(REQUIRED);
    ExternalTools.requireChromium(REQUIRED);
    ExternalTools.npmCi(JS, REQUIRED, "playwright-core");
  }

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  @Test
  @Timeout(120)
  void anOperatorLogsInDisconnectsAClientAndPublishesToASubscriber() throws Exception {
    f = new AdminFixture();
    Mqtt5BlockingClient victim = Mqtt5Client.builder().identifier("victim-1").serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    victim.connect();
    Mqtt5BlockingClient listener = Mqtt5Client.builder().identifier("listener-1").serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    listener.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes in = listener.publishes(MqttGlobalPublishFilter.ALL)) {
      listener.subscribeWith().topicFilter("dashboard/test").qos(MqttQos.AT_LEAST_ONCE).send();

      Process p = new ProcessBuilder("node", "dashboard.js", f.base(), AdminFixture.USER, AdminFixture.PASSWORD,
          "victim-1", "dashboard/test", "hello from the dashboard").directory(JS.toFile()).start();
      boolean finished = p.waitFor(90, TimeUnit.SECONDS);
      if (!finished) {
        p.destroyForcibly();
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(finished).as("the browser script finished: %s %s", out, err).isTrue();
      assertThat(p.exitValue()).as("browser script: %s\n%s", out, err).isZero();

      JsonNode result = AdminFixture.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
      assertThat(result.get("wrongPasswordMessage").asText()).containsIgnoringCase("invalid credentials");
      assertThat(result.get("loginFormHidden").asBoolean()).isTrue();
      assertThat(result.get("connectionsShown").asInt()).isEqualTo(2);
      assertThat(result.get("victimState").asText()).isEqualTo("connected");
      assertThat(result.get("victimGone").asBoolean()).isTrue();
      assertThat(result.get("pageErrors")).isEmpty();
      assertThat(result.get("notFound")).as("requests the page made that got 404").isEmpty();

      Optional<Mqtt5Publish> got = in.receive(10, TimeUnit.SECONDS);
      assertThat(got).isPresent();
      assertThat(got.get().getTopic().toString()).isEqualTo("dashboard/test");
      assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hello from the dashboard");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> f.broker.management().client("victim-1").isEmpty());
    assertThat(victim.getState().isConnected()).isFalse();
    listener.disconnect();
  }

  /**
   * A client id and a retained topic with a ".." level, beside the ones a browser resolves them to:
   * every action the page offers on them reaches them, and nothing else. The page put ids and topics
   * in paths, which the browser normalised (percent-encoded dots too): "disconnect a/../b"
   * disconnected client b, and deleting retained a/../b deleted b.
   */
  @Test
  @Timeout(120)
  void actionsOnAClientIdOrTopicWithDotLevelsReachItAndNoOther() throws Exception {
    f = new AdminFixture();
    String dots = "a/../b";
    Mqtt5BlockingClient twin = Mqtt5Client.builder().identifier("b").serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    twin.connect();
    Mqtt5BlockingClient dotted = Mqtt5Client.builder().identifier(dots).serverHost("127.0.0.1")
        .serverPort(f.mqttPort()).buildBlocking();
    dotted.connect();
    f.broker.publish("b", "twin".getBytes(StandardCharsets.UTF_8), 0, true);
    f.broker.publish(dots, "dots".getBytes(StandardCharsets.UTF_8), 0, true);

    JsonNode result = runScript("dashboard-dots.js", f.base(), AdminFixture.USER, AdminFixture.PASSWORD, dots);
    assertThat(result.get("detailId").asText()).isEqualTo(dots);
    assertThat(result.get("detailFields").asText()).contains("connected");
    assertThat(result.get("traceStatus").asInt()).isEqualTo(200);
    assertThat(f.broker.management().traced()).containsExactly(dots);
    assertThat(result.get("subscribed").asBoolean() && result.get("unsubscribed").asBoolean()).isTrue();
    assertThat(f.broker.management().subscriptions("b").orElseThrow()).isEmpty();
    assertThat(f.broker.management().retainedMessage(dots)).isEmpty();
    assertThat(f.broker.management().retainedMessage("b")).isPresent();
    assertThat(result.get("retainedShown").toString()).contains("\"b\"").doesNotContain(dots);
    assertThat(result.get("flash").asText()).isEqualTo("Disconnected " + dots);
    await().atMost(Duration.ofSeconds(5)).until(() -> f.broker.management().client(dots).isEmpty());
    assertThat(dotted.getState().isConnected()).isFalse();
    assertThat(twin.getState().isConnected()).isTrue();
    assertThat(f.broker.management().client("b").orElseThrow().connected()).isTrue();
    assertThat(result.get("pageErrors")).isEmpty();
    assertThat(result.get("requests")).isNotEmpty().allSatisfy(r -> {
      String path = java.net.URI.create(r.asText().substring(r.asText().indexOf(' ') + 1)).getRawPath();
      assertThat(path).as("no id or topic in a path: %s", r.asText()).doesNotContain("..").doesNotEndWith("/b")
          .doesNotContain("/a/");
    });
    twin.disconnect();
  }

  /** Runs a script of src/test/js in Node; its last line of output, as JSON. */
  private static JsonNode runScript(String script, String... args) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("node", script));
    command.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(command).directory(JS.toFile()).start();
    boolean finished = p.waitFor(90, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(finished).as("the browser script finished: %s %s", out, err).isTrue();
    assertThat(p.exitValue()).as("browser script: %s\n%s", out, err).isZero();
    return AdminFixture.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
  }
}
