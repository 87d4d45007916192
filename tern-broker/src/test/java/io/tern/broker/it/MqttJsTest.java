package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.testsupport.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 end to end with MQTT.js ({@code protocolVersion: 5}) run by Node: the scenarios are in
 * {@code src/test/js/scenarios.js}, MQTT.js is pinned in {@code src/test/js/package-lock.json} and
 * installed with {@code npm ci} on first use (bounded to 3 minutes). Skipped when Node or npm is
 * missing or the install fails, unless {@code -Dtern.requireMqttJs=true} (set by CI), which makes
 * that a failure.
 */
class MqttJsTest {
  private static final Path JS = Path.of("src", "test", "js");
  private static final boolean REQUIRED = Boolean.getBoolean("tern.requireMqttJs");

  @RegisterExtension final TestBroker tb = new TestBroker();

  @BeforeAll
  static void needsNodeAndMqttJs() throws Exception {
    ExternalTools.requireNode(REQUIRED);
    ExternalTools.npmCi(JS, REQUIRED, "mqtt");
  }

  private String run(String scenario) throws Exception {
    Process p = new ProcessBuilder("node", "scenarios.js", Integer.toString(tb.port()), scenario)
        .directory(JS.toFile()).start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("scenario %s finished", scenario).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.exitValue()).as("scenario %s: %s", scenario, err).isZero();
    return out;
  }

  @Test
  void publishPropertiesReachAnMqttJsSubscriber() throws Exception {
    tb.start();
    assertThat(run("properties")).isEqualTo("{\"payload\":\"hello\",\"userProperties\":{\"trace\":\"abc\"},"
        + "\"contentType\":\"text/plain\",\"responseTopic\":\"js/reply\",\"correlationData\":[1,2,3],"
        + "\"messageExpiryInterval\":60}");
  }

  @Test
  void sharedSubscriptionSplitsBetweenMqttJsClients() throws Exception {
    tb.start();
    assertThat(run("shared")).isEqualTo("{\"toA\":2,\"toB\":2}");
  }

  @Test
  void topicAliasesFromTheBrokerAreResolvedByMqttJs() throws Exception {
    tb.start();
    assertThat(run("topicAliases")).isEqualTo(
        "{\"topics\":[\"js/a/1\",\"js/a/2\",\"js/a/1\",\"js/a/3\",\"js/a/1\",\"js/a/2\"],"
        + "\"payloads\":[\"js/a/1\",\"js/a/2\",\"js/a/1\",\"js/a/3\",\"js/a/1\",\"js/a/2\"]}");
  }

  @Test
  void mqttJsClientLogsInWithScramSha256EnhancedAuthentication() throws Exception {
    java.util.Map<String, io.tern.broker.auth.ScramCredential> users =
        java.util.Map.of("alice", io.tern.broker.auth.ScramCredential.create("secret".toCharArray(), 4096));
    tb.start(b -> b.enhancedAuthenticator(io.tern.broker.auth.ScramSha256Authenticator.METHOD,
        new io.tern.broker.auth.ScramSha256Authenticator(users::get)));
    assertThat(run("scram")).isEqualTo("{\"reasonCode\":0,\"method\":\"SCRAM-SHA-256\",\"serverVerified\":true,"
        + "\"payload\":\"after SCRAM\",\"wrongPassword\":134}");
  }

  @Test
  void persistentSessionOfAnMqttJsClientKeepsMessages() throws Exception {
    tb.start();
    assertThat(run("sessionExpiry")).isEqualTo(
        "{\"firstSessionPresent\":false,\"sessionPresent\":true,\"payload\":\"queued\"}");
  }
}
