package io.tern.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.server.auth.PasswordHash;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin server and the log formats of the built tern.jar, as an operator starts it. */
class AdminJarIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("Admin: listening on http://127\\.0\\.0\\.1:(\\d+)");
  private TernProcess tern;

  @AfterEach
  void stop() {
    if (tern != null) {
      tern.close();
    }
  }

  @Test
  void withTheBuiltInDefaultsTheAdminServerIsOffAndTheLogSaysHowToTurnItOn() {
    tern = TernProcess.start("--port", "0", "--bind", "127.0.0.1").awaitStarted();
    assertThat(tern.output()).contains("Admin: off (no admin users, password_file or api_keys configured)")
        .contains("docs/operations.md");
    assertThat(tern.terminate()).isZero();
  }

  @Test
  void anAdminPortInUseExitsOneWithOneErrorLine(@TempDir Path dir) throws Exception {
    String hash = PasswordHash.create("pw".toCharArray(), PasswordHash.MIN_ITERATIONS).encode();
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path config = dir.resolve("tern.yaml");
      Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: 0}]\nstorage: {durability: none}\n"
          + "admin:\n  port: " + taken.getLocalPort() + "\n  users: [{name: ops, password_hash: \"" + hash + "\"}]\n");
      tern = TernProcess.start("--config", config.toString());
      assertThat(tern.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
      assertThat(tern.lines()).filteredOn(l -> l.contains("ERROR")).singleElement().asString().contains("Cannot start: admin server: cannot listen on 127.0.0.1:"
              + taken.getLocalPort());
      assertThat(tern.output()).doesNotContain("\tat ");
    }
  }

  @Test
  void anAdminUserTurnsItOnAndJsonLogsAreOneObjectPerLine(@TempDir Path dir) throws Exception {
    String hash = PasswordHash.create("pw-of-ops".toCharArray(), PasswordHash.MIN_ITERATIONS).encode();
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: 0}]\n"
        + "storage: {durability: none}\n"
        + "log: {format: json}\n"
        + "admin:\n  port: 0\n  users:\n    - name: ops\n      password_hash: \"" + hash + "\"\n");
    tern = TernProcess.start("--config", config.toString()).awaitStarted();
    int port = 0;
    for (String line : tern.lines()) {
      JsonNode event = JSON.readTree(line); // every line is one JSON object
      assertThat(event.has("level") && event.has("formattedMessage")).as(line).isTrue();
      Matcher m = LISTENING.matcher(event.get("formattedMessage").asText());
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      }
    }
    assertThat(port).as("the admin port in the log:\n%s", tern.output()).isPositive();
    assertThat(tern.output()).doesNotContain(hash).doesNotContain("pw-of-ops");

    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port;
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/stats")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(denied.statusCode()).isEqualTo(401);
    String wrong = "Basic " + Base64.getEncoder().encodeToString("ops:not-it-42".getBytes(StandardCharsets.UTF_8));
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/stats")).header("Authorization", wrong)
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    String basic = "Basic " + Base64.getEncoder().encodeToString("ops:pw-of-ops".getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> stats = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/stats"))
        .header("Authorization", basic).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(stats.body()).get("connections").get("current").asInt()).isZero();
    HttpResponse<String> dashboard = http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(dashboard.body()).contains("<title>Tern dashboard</title>");
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
        .header("Authorization", basic).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("tern_connections_current").contains("jvm_memory_used_bytes");
    await().atMost(Duration.ofSeconds(5)).until(() -> tern.output().contains("refused a request from"));
    assertThat(tern.output()).contains("wrong password for user ops").doesNotContain("not-it-42");
    assertThat(tern.terminate()).isZero();
  }
}
