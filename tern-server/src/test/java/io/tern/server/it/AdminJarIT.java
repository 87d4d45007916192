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
import java.util.List;
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

  /**
   * Seven retained messages of 8 MB in a 256 MB heap, with the flag docs/operations.md recommends:
   * a listing held each payload about five times over (text, base64, one JSON string, its bytes),
   * and a page of them ran the heap out, which ended the process. Pages now hold the first 4 KiB of
   * each, and a whole message is written to the response as it is encoded.
   */
  @Test
  void pagesOfLargeRetainedMessagesAreAnsweredWithinASmallHeap(@TempDir Path dir) throws Exception {
    String key = "it-key-" + System.nanoTime();
    int mqtt = TernProcess.freePort();
    int admin = TernProcess.freePort();
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: " + mqtt + "}]\n"
        + "storage: {durability: none}\n"
        + "admin:\n  port: " + admin + "\n  api_keys: [{name: it, sha256: " + sha256(key) + "}]\n");
    tern = TernProcess.startWithJvmOptions(List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
        "--config", config.toString()).awaitStarted();
    byte[] payload = new byte[8_000_000];
    java.util.Arrays.fill(payload, (byte) 'p');
    org.eclipse.paho.client.mqttv3.MqttClient publisher = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + mqtt, "big-publisher", new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    publisher.connect();
    for (int i = 0; i < 7; i++) {
      publisher.publish("big/" + i, payload, 1, true);
    }
    publisher.disconnect();
    publisher.close();

    HttpClient http = HttpClient.newHttpClient();
    HttpRequest list = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/v1/retained?per_page=200"))
        .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(60)).build();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) { // as four dashboards on the Retained tab, three refreshes each
        answers.add(pool.submit(() -> http.send(list, HttpResponse.BodyHandlers.ofString())));
      }
      for (var answer : answers) {
        HttpResponse<String> r = answer.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode page = JSON.readTree(r.body());
        assertThat(page.get("total").asInt()).isEqualTo(7);
        assertThat(page.get("items").get(0).get("truncated").asBoolean()).isTrue();
        assertThat(page.get("items").get(0).get("payload").asText()).hasSize(4096);
      }
    } finally {
      pool.shutdownNow();
    }
    HttpResponse<java.io.InputStream> one = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin + "/api/v1/retained/big/3"))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(one.statusCode()).isEqualTo(200);
    JsonNode whole = JSON.readTree(one.body());
    assertThat(whole.get("payload").asText()).hasSize(payload.length);
    assertThat(whole.get("payload_size").asInt()).isEqualTo(payload.length);
    assertThat(tern.output()).doesNotContain("OutOfMemoryError");
    assertThat(tern.terminate()).isZero();
  }

  private static String sha256(String text) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * 600 connections to the admin port trickling their headers, with 400 file descriptors: before,
   * the admin server accepted them all, the process ran out of descriptors, MQTT clients could not
   * connect, and Jetty logged a stack trace each second. Now it holds at most admin.max_connections
   * (256) and closes a head not whole in 10 s.
   */
  @Test
  void slowAdminConnectionsDoNotTakeTheDescriptorsMqttClientsNeed(@TempDir Path dir) throws Exception {
    int mqtt = TernProcess.freePort();
    int admin = TernProcess.freePort();
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: " + mqtt + "}]\n"
        + "storage: {durability: none}\n"
        + "admin:\n  port: " + admin + "\n  api_keys: [{name: it, sha256: " + sha256("k") + "}]\n");
    tern = TernProcess.startWithOpenFilesLimit(400, "--config", config.toString()).awaitStarted();
    List<java.net.Socket> slow = openTrickling(admin, 600);
    try {
      for (int round = 0; round < 3; round++) { // 12 s: past the head deadline
        drip(slow);
        assertThat(mqttConnAck(mqtt)).as("CONNACK to an MQTT client, round %d", round).isEqualTo(0);
        Thread.sleep(4000);
      }
      assertThat(tern.output()).doesNotContain("Accept Failure").doesNotContain("\tat ")
          .doesNotContain("cannot accept connections");
    } finally {
      for (java.net.Socket s : slow) {
        s.close();
      }
    }
    assertThat(tern.terminate()).isZero();
  }

  /**
   * At the open files limit (admin.max_connections above it) a failed accept is logged on one line,
   * not as Jetty's WARN with a stack trace each second.
   */
  @Test
  void atTheOpenFilesLimitAdminAcceptFailuresAreLoggedOnceNotEverySecond(@TempDir Path dir) throws Exception {
    int admin = TernProcess.freePort();
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, "listeners: [{bind: 127.0.0.1, port: 0}]\n"
        + "storage: {durability: none}\n"
        + "admin:\n  port: " + admin + "\n  max_connections: 5000\n  api_keys: [{name: it, sha256: " + sha256("k")
        + "}]\n");
    tern = TernProcess.startWithOpenFilesLimit(200, "--config", config.toString()).awaitStarted();
    List<java.net.Socket> open = openTrickling(admin, 300);
    try {
      await().atMost(Duration.ofSeconds(10))
          .until(() -> tern.lines().stream().anyMatch(l -> l.contains("Admin: cannot accept connections")));
      Thread.sleep(3000); // three more retries
      assertThat(tern.lines()).filteredOn(l -> l.contains("cannot accept connections")).singleElement().asString()
          .contains("Too many open files").contains("ulimit -n");
      assertThat(tern.output()).doesNotContain("Accept Failure").doesNotContain("\tat ");
    } finally {
      for (java.net.Socket s : open) {
        s.close();
      }
    }
  }

  /** Up to {@code n} connections that began a request head (fewer when the kernel's queue is full). */
  private static List<java.net.Socket> openTrickling(int port, int n) throws java.io.IOException {
    List<java.net.Socket> sockets = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      java.net.Socket s = new java.net.Socket();
      try {
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
        s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
        sockets.add(s);
      } catch (java.io.IOException full) {
        s.close(); // the accept queue is full: the rest would wait as well
      }
    }
    return sockets;
  }

  private static void drip(List<java.net.Socket> sockets) {
    for (java.net.Socket s : sockets) {
      try {
        s.getOutputStream().write('a');
      } catch (java.io.IOException closed) {
        // closed by the server
      }
    }
  }

  /** Connects an MQTT 3.1.1 client; the CONNACK's return code, or -1 without one within 5 s. */
  private static int mqttConnAck(int port) throws java.io.IOException {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(5000);
      byte[] id = "probe".getBytes(StandardCharsets.UTF_8);
      java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
      p.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, (byte) id.length});
      p.write(id);
      s.getOutputStream().write(0x10);
      s.getOutputStream().write(p.size());
      p.writeTo(s.getOutputStream());
      byte[] ack = s.getInputStream().readNBytes(4);
      return ack.length == 4 && ack[0] == 0x20 ? ack[3] : -1;
    } catch (java.net.SocketTimeoutException e) {
      return -1;
    }
  }
}
