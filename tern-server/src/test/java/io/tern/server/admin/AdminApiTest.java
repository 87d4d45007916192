package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST API over real HTTP, with real MQTT clients (HiveMQ, Paho v5) connected to the broker. */
class AdminApiTest {
  private AdminFixture f;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    f = new AdminFixture();
  }

  @AfterEach
  void stop() {
    for (Mqtt5BlockingClient c : clients) {
      try {
        c.disconnect();
      } catch (RuntimeException e) {
        // already gone
      }
    }
    f.close();
  }

  private Mqtt5BlockingClient connect(String id, String username, boolean persistent) {
    var b = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(f.mqttPort()).buildBlocking();
    var connect = b.connectWith().cleanStart(!persistent).sessionExpiryInterval(persistent ? 3600 : 0);
    if (username != null) {
      connect.simpleAuth().username(username).password("pw".getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
    }
    connect.send();
    clients.add(b);
    return b;
  }

  // ------------------------------------------------------------------ auth

  @Test
  void healthNeedsNoCredentialsButEverythingElseDoes() {
    assertThat(f.send("GET", "/health", null, null).statusCode()).isEqualTo(200);
    assertThat(AdminFixture.json(f.send("GET", "/api/v1/health", null, null)).get("status").asText()).isEqualTo("up");
    for (String path : List.of("/api/v1/clients", "/api/v1/stats", "/metrics", "/api/v1/openapi.json",
        "/api/v1/ready", "/api/v1/retained")) {
      HttpResponse<String> r = f.send("GET", path, null, null);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).as(path).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
      assertThat(AdminFixture.json(r).get("error").asText()).isEqualTo("unauthorized");
    }
  }

  @Test
  void badCredentialsGet401AndGoodOnesAreAccepted() {
    HttpResponse<String> wrong = f.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "wrong"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(AdminFixture.json(wrong).get("message").asText()).startsWith("invalid credentials");
    assertThat(AdminFixture.json(f.send("GET", "/api/v1/stats", null, null)).get("message").asText())
        .startsWith("authentication required");
    assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("nobody", "s3cret")).statusCode()).isEqualTo(401);
    assertThat(f.send("GET", "/api/v1/stats", null, "Bearer not-a-key").statusCode()).isEqualTo(401);
    assertThat(f.send("GET", "/api/v1/stats", null, "Digest foo").statusCode()).isEqualTo(401);
    assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "s3cret")).statusCode()).isEqualTo(200);
    assertThat(f.send("GET", "/api/v1/stats", null, "Bearer " + AdminFixture.API_KEY).statusCode()).isEqualTo(200);
  }

  @Test
  void loginGivesASessionTokenThatLogoutEnds() {
    HttpResponse<String> login = f.call("POST", "/api/v1/login", null);
    assertThat(login.statusCode()).isEqualTo(200);
    String token = AdminFixture.json(login).get("token").asText();
    assertThat(token).hasSizeGreaterThan(30);
    assertThat(f.send("GET", "/api/v1/clients", null, "Bearer " + token).statusCode()).isEqualTo(200);
    assertThat(f.send("POST", "/api/v1/logout", null, "Bearer " + token).statusCode()).isEqualTo(204);
    assertThat(f.send("GET", "/api/v1/clients", null, "Bearer " + token).statusCode()).isEqualTo(401);
  }

  @Test
  void loggingInTakesAPasswordNotASessionTokenOrAnApiKey() {
    // A token that could log in again would renew itself for ever, past the removal of its user.
    String token = AdminFixture.json(f.call("POST", "/api/v1/login", null)).get("token").asText();
    assertError(f.send("POST", "/api/v1/login", null, "Bearer " + token), 401, null);
    assertError(f.send("POST", "/api/v1/login", null, "Bearer " + AdminFixture.API_KEY), 401, null);
  }

  @Test
  void aBodyWithAKeyTwiceIsRefused() {
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"qos\": 0, \"qos\": 2}"), 400, "body");
  }

  @Test
  void aBodyWithAnythingButWhiteSpaceAfterItsObjectIsRefused() {
    connect("c", null, false);
    for (String body : List.of("{\"filter\": \"x\"} trailing", "{\"filter\": \"x\"}{\"filter\": \"y\"}",
        "{\"filter\": \"x\"} 1", "{\"filter\": \"x\"} {")) {
      HttpResponse<String> r = f.call("POST", "/api/v1/subscriptions/c", body);
      assertError(r, 400, "body");
      assertThat(AdminFixture.json(r).get("message").asText()).as(body).startsWith("the body is not valid JSON");
    }
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\"} []"), 400, "body");
    assertThat(f.getJson("/api/v1/subscriptions/c").get("total").asInt()).isZero();
    assertThat(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"x\"} \r\n\t ").statusCode()).isEqualTo(201);
  }

  /** With {@code lockout_loopback}: these requests all come from 127.0.0.1, as a remote guesser's would from one address. */
  @Test
  void repeatedFailuresFromOneAddressAreLockedOut() {
    try (AdminFixture counted = new AdminFixture(b -> {}, c -> c.withLockoutLoopback(true),
        java.net.http.HttpClient.newHttpClient())) {
      for (int i = 0; i < 5; i++) {
        assertThat(counted.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "guess" + i)).statusCode())
            .isEqualTo(401);
      }
      HttpResponse<String> locked = counted.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "s3cret"));
      assertError(locked, 429, null);
      assertThat(locked.headers().firstValue("Retry-After")).hasValueSatisfying(
          v -> assertThat(Integer.parseInt(v)).isBetween(1, 60));
    }
  }

  /**
   * By default failures from loopback do not lock anyone out: every client of the machine shares
   * that address, and a script's (or a test suite's) wrong passwords must not refuse the right ones.
   */
  @Test
  void failuresFromLoopbackDoNotLockOutTheRightPasswordByDefault() {
    for (int i = 0; i < 8; i++) {
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "guess" + i)).statusCode())
          .isEqualTo(401);
      assertThat(f.send("GET", "/api/v1/stats", null, "Bearer wrong-" + i).statusCode()).isEqualTo(401);
    }
    assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("admin", "s3cret")).statusCode()).isEqualTo(200);
  }

  // ------------------------------------------------------------------ clients

  @Test
  void clientsListsConnectedClientsWithTheirDetails() {
    connect("dev-1", "alice", false);
    JsonNode page = f.getJson("/api/v1/clients");
    assertThat(page.get("total").asInt()).isEqualTo(1);
    JsonNode c = page.get("items").get(0);
    assertThat(c.get("client_id").asText()).isEqualTo("dev-1");
    assertThat(c.get("connected").asBoolean()).isTrue();
    assertThat(c.get("username").asText()).isEqualTo("alice");
    assertThat(c.get("remote_address").asText()).startsWith("127.0.0.1:");
    assertThat(c.get("listener").asText()).isEqualTo("mqtt");
    assertThat(c.get("protocol_version").asText()).isEqualTo("5.0");
    assertThat(c.get("keep_alive").asInt()).isEqualTo(60);
    assertThat(c.get("clean_start").asBoolean()).isTrue();
    assertThat(c.get("connected_at").asText()).isNotEmpty();
    assertThat(c.get("bytes_in").asLong()).isGreaterThan(0);
    assertThat(c.get("bytes_out").asLong()).isGreaterThan(0); // the CONNACK
    JsonNode one = f.getJson("/api/v1/clients/dev-1");
    assertThat(one.get("client_id").asText()).isEqualTo("dev-1");
    assertThat(one.has("inflight") && one.has("queued") && one.has("dropped")).isTrue();
  }

  @Test
  void clientsArePaginatedAndFiltered() {
    for (int i = 0; i < 5; i++) {
      connect("page-" + i, i % 2 == 0 ? "even" : "odd", false);
    }
    connect("other", null, true).disconnect(); // a persistent session, offline
    JsonNode p1 = f.getJson("/api/v1/clients?per_page=2");
    assertThat(p1.get("total").asInt()).isEqualTo(6);
    assertThat(p1.get("total_pages").asInt()).isEqualTo(3);
    assertThat(p1.get("page").asInt()).isEqualTo(1);
    assertThat(p1.get("per_page").asInt()).isEqualTo(2);
    assertThat(ids(p1)).containsExactly("other", "page-0");
    assertThat(ids(f.getJson("/api/v1/clients?per_page=2&page=3"))).containsExactly("page-3", "page-4");
    assertThat(ids(f.getJson("/api/v1/clients?per_page=2&page=4"))).isEmpty();
    assertThat(ids(f.getJson("/api/v1/clients?client_id_prefix=page-"))).hasSize(5);
    assertThat(ids(f.getJson("/api/v1/clients?username=even"))).containsExactly("page-0", "page-2", "page-4");
    assertThat(ids(f.getJson("/api/v1/clients?connected=false"))).containsExactly("other");
    assertThat(ids(f.getJson("/api/v1/clients?connected=true"))).hasSize(5);
  }

  @Test
  void malformedParametersGet400NamingTheField() {
    assertError(f.get("/api/v1/clients?page=0"), 400, "page");
    assertError(f.get("/api/v1/clients?per_page=5000"), 400, "per_page");
    assertError(f.get("/api/v1/clients?per_page=x"), 400, "per_page");
    assertError(f.get("/api/v1/clients?connected=maybe"), 400, "connected");
    assertError(f.get("/api/v1/sessions?online=1"), 400, "online");
    assertError(f.get("/api/v1/retained?filter=a/%23/b"), 400, "filter");
    assertError(f.call("POST", "/api/v1/publish", "{not json"), 400, "body");
  }

  @Test
  void aBodyThatIsNotDeclaredJsonIsRefused() {
    // What a cross-site form could send with a browser's remembered Basic credentials.
    HttpResponse<String> r = f.http.sendAsync(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(f.base() + "/api/v1/publish"))
        .header("Authorization", AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD))
        .header("Content-Type", "text/plain")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"topic\": \"a\"}")).build(),
        HttpResponse.BodyHandlers.ofString()).join();
    assertError(r, 415, "Content-Type");
  }

  @Test
  void aWrongMethodGets405WithAllowAndAnUnknownPath404AsJson() {
    assertMethodNotAllowed(f.call("PUT", "/api/v1/publish", "{\"topic\": \"a\"}"), "POST");
    assertMethodNotAllowed(f.get("/api/v1/publish"), "POST");
    assertMethodNotAllowed(f.call("PATCH", "/api/v1/clients/x", "{}"), "GET, DELETE");
    assertMethodNotAllowed(f.call("POST", "/metrics", null), "GET");
    assertMethodNotAllowed(f.call("DELETE", "/api/v1/stats", null), "GET");
    for (String path : List.of("/api/v1/no-such-endpoint", "/no-such-page", "/dashboard/no-such-file.js")) {
      HttpResponse<String> r = f.get(path);
      assertError(r, 404, null);
      assertThat(AdminFixture.json(r).get("error").asText()).isEqualTo("not_found");
    }
    assertError(f.call("PUT", "/api/v1/no-such-endpoint", "{}"), 404, null);
  }

  @Test
  void aBodyOverTheLimitGets413AsJson() {
    HttpResponse<String> r = f.call("POST", "/api/v1/publish",
        "{\"topic\": \"a\", \"payload\": \"" + "x".repeat(1_000_000) + "\"}");
    assertError(r, 413, null);
    assertThat(AdminFixture.json(r).get("error").asText()).isEqualTo("content_too_large");
  }

  @Test
  void requestsTheHttpServerRefusesItselfGetJsonErrors() throws Exception {
    String auth = "Authorization: " + AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD) + "\r\n";
    for (String target : List.of("/api/v1/retained/a%00b", "/api/v1/retained/a%zzb", "/api/v1/retained/a%C0%80")) {
      String r = raw("DELETE " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n");
      assertThat(r).as(target).startsWith("HTTP/1.1 400 ");
      assertJsonError(r, "bad_request");
    }
    String r = raw("GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n" + auth + "X-Big: " + "a".repeat(20_000)
        + "\r\nConnection: close\r\n\r\n");
    assertThat(r).startsWith("HTTP/1.1 431 ");
    assertJsonError(r, "request_header_fields_too_large");
  }

  @Test
  void aStateChangingRequestWithAnotherContentTypeThanJsonGets415EvenWithoutABody() {
    connect("victim", null, false);
    // What a cross-site form or fetch can send without a CORS preflight, body or none.
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/jsonx", "application/json-patch+json", "application/json; charset=iso-8859-1", "")) {
      for (String body : new String[] {null, "", "{\"enabled\": true}"}) {
        assertError(typed("POST", "/api/v1/clients/victim/trace", type, body), 415, "Content-Type");
      }
      assertError(typed("DELETE", "/api/v1/clients/victim", type, null), 415, "Content-Type");
      assertError(typed("POST", "/api/v1/login", type, null), 415, "Content-Type");
      assertError(typed("POST", "/api/v1/publish", type, "{\"topic\": \"a\"}"), 415, "Content-Type");
    }
    // No Content-Type at all: what a cross-site fetch without a body sends.
    assertError(typed("POST", "/api/v1/clients/victim/trace", null, null), 415, "Content-Type");
    assertError(typed("POST", "/api/v1/subscriptions/victim", null, null), 415, "Content-Type");
    assertThat(f.getJson("/api/v1/clients/victim").get("traced").asBoolean()).isFalse();
    assertThat(f.getJson("/api/v1/clients").get("total").asInt()).isEqualTo(1);
    // The media type with parameters, in any case.
    for (String type : List.of("application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\"")) {
      assertThat(typed("POST", "/api/v1/publish", type, "{\"topic\": \"a\"}").statusCode()).as(type).isEqualTo(200);
    }
    // Without a body, no Content-Type is needed where no body is taken.
    assertThat(typed("POST", "/api/v1/login", null, null).statusCode()).isEqualTo(200);
    assertThat(typed("DELETE", "/api/v1/clients/victim", null, null).statusCode()).isEqualTo(204);
  }

  @Test
  void traceNeedsEnabledAsABoolean() {
    connect("t", null, false);
    assertError(f.call("POST", "/api/v1/clients/t/trace", "{}"), 400, "enabled");
    assertError(f.call("POST", "/api/v1/clients/t/trace", ""), 400, "enabled");
    assertError(f.call("POST", "/api/v1/clients/t/trace", "{\"enabled\": null}"), 400, "enabled");
    assertError(f.call("POST", "/api/v1/clients/t/trace", "{\"enabled\": \"true\"}"), 400, "enabled");
    assertError(f.call("POST", "/api/v1/clients/t/trace", "{\"enabld\": false}"), 400, "enabld");
    assertThat(f.getJson("/api/v1/clients/t").get("traced").asBoolean()).isFalse();
  }

  @Test
  void unknownFieldsInABodyAreRefusedNamingTheField() {
    connect("c", null, false);
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"retian\": true}"), 400, "retian");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"qoss\": 2}"), 400, "qoss");
    assertError(f.call("POST", "/api/v1/publish/batch",
        "{\"messages\": [{\"topic\": \"a\"}, {\"topic\": \"b\", \"payloud\": \"x\"}]}"), 400, "messages[1].payloud");
    assertError(f.call("POST", "/api/v1/publish/batch", "{\"messages\": [], \"atomic\": true}"), 400, "atomic");
    assertError(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"a\", \"noLocal\": true}"), 400, "noLocal");
    assertThat(f.getJson("/api/v1/retained").get("total").asInt()).isZero();
    assertThat(f.getJson("/api/v1/subscriptions/c").get("total").asInt()).isZero();
  }

  @Test
  void aBodyThatIsNotUtf8IsRefused() {
    byte[] body = "{\"topic\": \"a\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
    HttpResponse<String> r = f.http.sendAsync(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(f.base() + "/api/v1/publish"))
        .header("Authorization", AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD))
        .header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString()).join();
    assertError(r, 400, "body");
  }

  @Test
  void unknownIdsGet404() {
    assertError(f.get("/api/v1/clients/nobody"), 404, null);
    assertError(f.call("DELETE", "/api/v1/clients/nobody", null), 404, null);
    assertError(f.get("/api/v1/sessions/nobody"), 404, null);
    assertError(f.call("DELETE", "/api/v1/sessions/nobody", null), 404, null);
    assertError(f.get("/api/v1/subscriptions/nobody"), 404, null);
    assertError(f.call("POST", "/api/v1/subscriptions/nobody", "{\"filter\":\"a\"}"), 404, null);
    assertError(f.call("DELETE", "/api/v1/subscriptions/nobody?filter=a", null), 404, null);
    assertError(f.get("/api/v1/retained/no/such/topic"), 404, null);
    assertError(f.call("DELETE", "/api/v1/retained/no/such/topic", null), 404, null);
    assertError(f.get("/api/v1/no-such-endpoint"), 404, null);
  }

  /**
   * "." and ".." are legal MQTT topic levels and client ids, but a browser resolves them in a path
   * (percent-encoded too): the dashboard's "disconnect a/../b" sent DELETE /clients/b. Every action
   * on a client id or topic also takes it in the query or the body.
   */
  @Test
  void aClientIdOrTopicWithDotLevelsIsAddressedInTheQueryOrTheBody() {
    String dots = "a/../b";
    String q = java.net.URLEncoder.encode(dots, StandardCharsets.UTF_8);
    connect("b", null, true);
    connect(dots, null, true);
    f.call("POST", "/api/v1/publish", "{\"topic\": \"b\", \"payload\": \"b\", \"retain\": true}");
    f.call("POST", "/api/v1/publish", "{\"topic\": \"a/../b\", \"payload\": \"dots\", \"retain\": true}");

    assertThat(ids(f.getJson("/api/v1/clients?client_id=" + q))).containsExactly(dots);
    assertThat(ids(f.getJson("/api/v1/sessions?client_id=" + q))).containsExactly(dots);
    assertThat(ids(f.getJson("/api/v1/clients?client_id=nobody"))).isEmpty();

    assertThat(f.call("POST", "/api/v1/trace", "{\"client_id\": \"a/../b\", \"enabled\": true}").statusCode())
        .isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> f.getJson("/api/v1/clients?client_id=" + q)
        .get("items").get(0).get("traced").asBoolean());
    assertThat(f.getJson("/api/v1/clients/b").get("traced").asBoolean()).isFalse();

    assertThat(f.call("POST", "/api/v1/subscriptions", "{\"client_id\": \"a/../b\", \"filter\": \"x/#\"}")
        .statusCode()).isEqualTo(201);
    assertThat(f.getJson("/api/v1/subscriptions?client_id=" + q).get("total").asInt()).isEqualTo(1);
    assertThat(f.getJson("/api/v1/subscriptions?client_id=b").get("total").asInt()).isZero();
    assertThat(f.call("DELETE", "/api/v1/subscriptions?client_id=" + q + "&filter=x/%23", null).statusCode())
        .isEqualTo(204);
    assertThat(f.getJson("/api/v1/subscriptions?client_id=" + q).get("total").asInt()).isZero();

    assertThat(f.call("DELETE", "/api/v1/retained?topic=" + q, null).statusCode()).isEqualTo(204);
    assertThat(f.getJson("/api/v1/retained?filter=" + q).get("total").asInt()).isZero();
    assertThat(f.getJson("/api/v1/retained/b").get("payload").asText()).isEqualTo("b");

    assertThat(f.call("DELETE", "/api/v1/clients?client_id=" + q, null).statusCode()).isEqualTo(204);
    await().atMost(Duration.ofSeconds(5)).until(() -> !f.getJson("/api/v1/clients?client_id=" + q)
        .get("items").get(0).get("connected").asBoolean());
    assertThat(f.getJson("/api/v1/clients/b").get("connected").asBoolean()).isTrue();
    assertThat(f.call("DELETE", "/api/v1/sessions?client_id=" + q, null).statusCode()).isEqualTo(204);
    assertThat(ids(f.getJson("/api/v1/sessions"))).containsExactly("b");

    assertError(f.call("DELETE", "/api/v1/clients?client_id=nobody", null), 404, null);
    assertError(f.call("DELETE", "/api/v1/clients", null), 400, "client_id");
    assertError(f.call("DELETE", "/api/v1/sessions?client_id=", null), 400, "client_id");
    assertError(f.call("DELETE", "/api/v1/retained", null), 400, "topic");
    assertError(f.call("DELETE", "/api/v1/retained?topic=a/%2B", null), 400, "topic");
    assertError(f.call("POST", "/api/v1/trace", "{\"enabled\": true}"), 400, "client_id");
    assertError(f.call("POST", "/api/v1/subscriptions", "{\"filter\": \"x\"}"), 400, "client_id");
    assertError(f.call("POST", "/api/v1/subscriptions/b", "{\"client_id\": \"b\", \"filter\": \"x\"}"), 400,
        "client_id");
    assertError(f.call("DELETE", "/api/v1/subscriptions?client_id=b", null), 400, "filter");
  }

  @Test
  void deletingAClientDisconnectsAnMqtt5ClientWithAdministrativeAction() throws Exception {
    MqttClient paho = new MqttClient("tcp://127.0.0.1:" + f.mqttPort(), "paho-v5", new MemoryPersistence());
    paho.setTimeToWait(10_000);
    BlockingQueue<Integer> reasons = new LinkedBlockingQueue<>();
    paho.setCallback(new MqttCallback() {
      @Override
      public void disconnected(MqttDisconnectResponse r) {
        reasons.add(r.getReturnCode());
      }

      @Override
      public void mqttErrorOccurred(MqttException e) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {}

      @Override
      public void deliveryComplete(IMqttToken token) {}

      @Override
      public void connectComplete(boolean reconnect, String serverURI) {}

      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {}
    });
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setAutomaticReconnect(false);
    paho.connect(o);
    try {
      assertThat(f.call("DELETE", "/api/v1/clients/paho-v5", null).statusCode()).isEqualTo(204);
      assertThat(reasons.poll(10, TimeUnit.SECONDS)).isEqualTo(0x98);
      await().atMost(Duration.ofSeconds(10)).until(() -> f.getJson("/api/v1/clients").get("total").asInt() == 0);
    } finally {
      paho.close(true);
    }
  }

  @Test
  void tracingLogsTheClientsPacketsAndCanBeSwitchedOff() {
    ch.qos.logback.classic.Logger traceLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.tern.broker.trace");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    traceLog.addAppender(lines);
    traceLog.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      Mqtt5BlockingClient c = connect("traced", null, false);
      JsonNode r = AdminFixture.json(f.call("POST", "/api/v1/clients/traced/trace", "{\"enabled\": true}"));
      assertThat(r.get("traced").asBoolean()).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> f.getJson("/api/v1/clients/traced").get("traced").asBoolean());
      c.subscribeWith().topicFilter("trace/me").send();
      f.broker.publish("trace/me", new byte[] {1, 2});
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.stream().anyMatch(
          e -> e.getFormattedMessage().startsWith("Client traced received PUBLISH (topic trace/me")));
      assertThat(lines.list).anyMatch(e -> e.getFormattedMessage().startsWith("Client traced sent Subscribe"));
      f.call("POST", "/api/v1/clients/traced/trace", "{\"enabled\": false}");
      await().atMost(Duration.ofSeconds(5)).until(() -> !f.getJson("/api/v1/clients/traced").get("traced").asBoolean());
      int before = lines.list.size();
      c.subscribeWith().topicFilter("trace/other").send();
      assertThat(lines.list).hasSize(before);
      assertError(f.call("POST", "/api/v1/clients/traced/trace", "{\"enabled\": 1}"), 400, "enabled");
    } finally {
      traceLog.detachAppender(lines);
      traceLog.setLevel(null);
    }
  }

  /**
   * Tracing takes any client id, with a session or not (a client traced before it connects has its
   * CONNECT traced): not 404 as for other unknown ids, but the answer says there is no session. The
   * ids traced were never bounded.
   */
  @Test
  void anyClientIdMayBeTracedUpToTheBound() {
    JsonNode r = AdminFixture.json(f.call("POST", "/api/v1/clients/not-yet/trace", "{\"enabled\": true}"));
    assertThat(r.get("traced").asBoolean()).isTrue();
    assertThat(r.get("session").asBoolean()).isFalse();
    for (int i = 1; i < io.tern.broker.management.BrokerManagement.MAX_TRACED; i++) {
      assertThat(f.call("POST", "/api/v1/trace", "{\"client_id\": \"id-" + i + "\", \"enabled\": true}")
          .statusCode()).isEqualTo(200);
    }
    HttpResponse<String> over = f.call("POST", "/api/v1/clients/one-more/trace", "{\"enabled\": true}");
    assertError(over, 409, "enabled");
    assertThat(AdminFixture.json(over).get("error").asText()).isEqualTo("conflict");
    JsonNode traced = f.getJson("/api/v1/trace");
    assertThat(traced.get("traced")).hasSize(io.tern.broker.management.BrokerManagement.MAX_TRACED);
    assertThat(traced.get("traced").get(traced.get("traced").size() - 1).asText()).isEqualTo("not-yet");
    assertThat(traced.get("max").asInt()).isEqualTo(io.tern.broker.management.BrokerManagement.MAX_TRACED);
    assertThat(f.call("POST", "/api/v1/clients/not-yet/trace", "{\"enabled\": false}").statusCode()).isEqualTo(200);
    assertThat(f.call("POST", "/api/v1/clients/one-more/trace", "{\"enabled\": true}").statusCode()).isEqualTo(200);
    connect("with-session", null, false);
    assertThat(f.call("POST", "/api/v1/clients/id-1/trace", "{\"enabled\": false}").statusCode()).isEqualTo(200);
    assertThat(AdminFixture.json(f.call("POST", "/api/v1/clients/with-session/trace", "{\"enabled\": true}"))
        .get("session").asBoolean()).isTrue();
  }

  // ------------------------------------------------------------------ sessions

  @Test
  void sessionsShowOnlineAndOfflineSessionsAndCanBeDeleted() {
    Mqtt5BlockingClient c = connect("keeper", null, true);
    c.subscribeWith().topicFilter("keep/#").qos(MqttQos.AT_LEAST_ONCE).send();
    c.disconnect();
    clients.remove(c);
    connect("live", null, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> f.getJson("/api/v1/sessions?online=false").get("total").asInt() == 1);
    f.broker.publish("keep/1", "queued".getBytes(StandardCharsets.UTF_8), 1, false);
    JsonNode s = f.getJson("/api/v1/sessions/keeper");
    assertThat(s.get("online").asBoolean()).isFalse();
    assertThat(s.get("subscriptions").asInt()).isEqualTo(1);
    assertThat(s.get("expiry_interval").asLong()).isEqualTo(3600);
    assertThat(s.get("expires_at").asText()).isNotEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> f.getJson("/api/v1/sessions/keeper").get("queued").asInt() == 1);
    // As max_queued_bytes counts it: payload "queued" and topic "keep/1".
    assertThat(f.getJson("/api/v1/sessions/keeper").get("queued_bytes").asLong()).isEqualTo(12);
    assertThat(ids(f.getJson("/api/v1/sessions"))).containsExactly("keeper", "live");
    assertThat(ids(f.getJson("/api/v1/sessions?online=true"))).containsExactly("live");
    assertThat(ids(f.getJson("/api/v1/sessions?client_id_prefix=kee"))).containsExactly("keeper");
    assertThat(f.call("DELETE", "/api/v1/sessions/keeper", null).statusCode()).isEqualTo(204);
    assertError(f.get("/api/v1/sessions/keeper"), 404, null);
    assertThat(f.getJson("/api/v1/subscriptions").get("total").asInt()).isZero();
  }

  @Test
  void deletingTheSessionOfAConnectedClientDisconnectsItAndEndsTheSession() {
    connect("doomed", null, true);
    assertThat(f.call("DELETE", "/api/v1/sessions/doomed", null).statusCode()).isEqualTo(204);
    await().atMost(Duration.ofSeconds(10)).until(() -> f.get("/api/v1/sessions/doomed").statusCode() == 404);
  }

  // ------------------------------------------------------------------ subscriptions and publish

  @Test
  void subscribeOnBehalfDeliversPublishesFromTheApiAndUnsubscribeStopsThem() throws Exception {
    Mqtt5BlockingClient c = connect("sub-client", null, false);
    try (Mqtt5BlockingClient.Mqtt5Publishes incoming = c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      HttpResponse<String> sub = f.call("POST", "/api/v1/subscriptions/sub-client",
          "{\"filter\": \"cmd/+/set\", \"qos\": 1}");
      assertThat(sub.statusCode()).isEqualTo(201);
      assertThat(AdminFixture.json(sub).get("qos").asInt()).isEqualTo(1);
      JsonNode list = f.getJson("/api/v1/subscriptions/sub-client");
      assertThat(list.get("items").get(0).get("filter").asText()).isEqualTo("cmd/+/set");

      HttpResponse<String> pub = f.call("POST", "/api/v1/publish", "{\"topic\": \"cmd/7/set\", \"payload\": \"on\", "
          + "\"qos\": 1, \"properties\": {\"content_type\": \"text/plain\", \"user_properties\": {\"k\": \"v\"}}}");
      assertThat(pub.statusCode()).isEqualTo(200);
      Optional<Mqtt5Publish> got = incoming.receive(10, TimeUnit.SECONDS);
      assertThat(got).isPresent();
      assertThat(got.get().getTopic().toString()).isEqualTo("cmd/7/set");
      assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("on");
      assertThat(got.get().getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
      assertThat(got.get().getContentType().map(Object::toString)).contains("text/plain");

      HttpResponse<String> batch = f.call("POST", "/api/v1/publish/batch", "{\"messages\": ["
          + "{\"topic\": \"cmd/1/set\", \"payload\": \"AAEC\", \"encoding\": \"base64\"},"
          + "{\"topic\": \"cmd/2/set\", \"payload\": \"two\"}]}");
      assertThat(AdminFixture.json(batch).get("published").asInt()).isEqualTo(2);
      assertThat(incoming.receive(10, TimeUnit.SECONDS).get().getPayloadAsBytes()).containsExactly(0, 1, 2);
      assertThat(incoming.receive(10, TimeUnit.SECONDS).get().getTopic().toString()).isEqualTo("cmd/2/set");

      assertThat(f.call("DELETE", "/api/v1/subscriptions/sub-client?filter=cmd/%2B/set", null).statusCode())
          .isEqualTo(204);
      assertError(f.call("DELETE", "/api/v1/subscriptions/sub-client?filter=cmd/%2B/set", null), 404, null);
      f.call("POST", "/api/v1/publish", "{\"topic\": \"cmd/8/set\", \"payload\": \"off\"}");
      assertThat(incoming.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
    }
  }

  @Test
  void subscriptionsAreFilteredByClientFilterAndShareGroup() {
    connect("a", null, false).subscribeWith().topicFilter("x/#").send();
    Mqtt5BlockingClient b = connect("b", null, false);
    b.subscribeWith().topicFilter("$share/g1/x/#").send();
    b.subscribeWith().topicFilter("y").send();
    assertThat(f.getJson("/api/v1/subscriptions").get("total").asInt()).isEqualTo(3);
    assertThat(f.getJson("/api/v1/subscriptions?client_id=b").get("total").asInt()).isEqualTo(2);
    assertThat(f.getJson("/api/v1/subscriptions?filter=x/%23").get("total").asInt()).isEqualTo(2);
    JsonNode shared = f.getJson("/api/v1/subscriptions?share_group=g1");
    assertThat(shared.get("total").asInt()).isEqualTo(1);
    assertThat(shared.get("items").get(0).get("topic_filter").asText()).isEqualTo("x/#");
  }

  @Test
  void badPublishAndSubscribeRequestsName400Fields() {
    connect("c", null, false);
    assertError(f.call("POST", "/api/v1/publish", "{\"payload\": \"x\"}"), 400, "topic");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a/+\"}"), 400, "topic");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"qos\": 3}"), 400, "qos");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"retain\": \"yes\"}"), 400, "retain");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"encoding\": \"hex\"}"), 400, "encoding");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"payload\": \"%%\", \"encoding\": \"base64\"}"),
        400, "payload");
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"properties\": {\"colour\": 1}}"),
        400, "properties.colour");
    assertError(f.call("POST", "/api/v1/publish/batch", "{\"messages\": [{\"topic\": \"a\"}, {\"topic\": \"\"}]}"),
        400, "messages[1].topic");
    assertError(f.call("POST", "/api/v1/publish/batch", "{}"), 400, "messages");
    assertError(f.call("POST", "/api/v1/subscriptions/c", "{}"), 400, "filter");
    assertError(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"a/#/b\"}"), 400, "filter");
    assertError(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"a\", \"qos\": 5}"), 400, "qos");
    assertError(f.call("DELETE", "/api/v1/subscriptions/c", null), 400, "filter");
  }

  @Test
  void noLocalOnASharedSubscriptionIsRefused() {
    connect("c", null, false);
    assertError(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"$share/g/x\", \"no_local\": true}"),
        400, "no_local");
    assertThat(f.getJson("/api/v1/subscriptions/c").get("total").asInt()).isZero();
    assertThat(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"$share/g/x\", \"no_local\": false}")
        .statusCode()).isEqualTo(201);
    assertThat(f.call("POST", "/api/v1/subscriptions/c", "{\"filter\": \"x\", \"no_local\": true}").statusCode())
        .isEqualTo(201);
  }

  @Test
  void publishRefusesWhatAnMqttClientCouldNotSend() throws Exception {
    // The JSON escapes reach the topic as U+0000 and a lone surrogate: the codec refuses both from a
    // client (MQTT-1.5.4-1/2), and a subscriber's client drops the connection on U+0000.
    Mqtt5BlockingClient c = connect("watcher", null, false);
    try (Mqtt5BlockingClient.Mqtt5Publishes incoming = c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      c.subscribeWith().topicFilter("#").send();
      for (String topic : List.of("a\\u0000b", "a\\ud800b", "a\\udc00", "a/+", "a/#", "$SYS/broker/uptime", "$SYS")) {
        assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"" + topic + "\", \"retain\": true}"), 400, "topic");
        assertError(f.call("POST", "/api/v1/publish/batch",
            "{\"messages\": [{\"topic\": \"ok\"}, {\"topic\": \"" + topic + "\"}]}"), 400, "messages[1].topic");
      }
      assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a\", \"payload\": \"x\\ud800\"}"), 400, "payload");
      assertError(f.call("POST", "/api/v1/publish",
          "{\"topic\": \"a\", \"properties\": {\"response_topic\": \"r\\u0000\"}}"), 400, "properties.response_topic");
      assertError(f.call("POST", "/api/v1/publish",
          "{\"topic\": \"a\", \"properties\": {\"content_type\": \"t\\udfff\"}}"), 400, "properties.content_type");
      assertError(f.call("POST", "/api/v1/publish",
          "{\"topic\": \"a\", \"properties\": {\"user_properties\": {\"k\": \"\\u0000\"}}}"),
          400, "properties.user_properties.k");
      assertThat(incoming.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    }
    assertThat(f.getJson("/api/v1/retained").get("total").asInt()).isZero();
    assertThat(f.getJson("/api/v1/retained?filter=$SYS/%23").get("total").asInt()).isZero();
  }

  @Test
  void aRetainedTopicInThePathIsCheckedAsATopicName() {
    assertError(f.get("/api/v1/retained/a/%2B"), 400, "topic");
    assertError(f.call("DELETE", "/api/v1/retained/a/%23", null), 400, "topic");
    assertError(f.call("DELETE", "/api/v1/retained/$SYS/broker/version", null), 400, "topic");
  }

  // ------------------------------------------------------------------ retained

  @Test
  void retainedMessagesCanBeListedReadAndDeleted() {
    f.call("POST", "/api/v1/publish", "{\"topic\": \"room/1/temp\", \"payload\": \"21.5\", \"retain\": true, \"qos\": 1}");
    f.call("POST", "/api/v1/publish", "{\"topic\": \"room/2/temp\", \"payload\": \"19\", \"retain\": true}");
    f.call("POST", "/api/v1/publish", "{\"topic\": \"hall/light\", \"payload\": \"/w==\", \"encoding\": \"base64\", "
        + "\"retain\": true}");
    assertThat(f.getJson("/api/v1/retained").get("total").asInt()).isEqualTo(3);
    JsonNode rooms = f.getJson("/api/v1/retained?filter=room/%2B/temp");
    assertThat(rooms.get("total").asInt()).isEqualTo(2);
    JsonNode one = f.getJson("/api/v1/retained/room/1/temp");
    assertThat(one.get("payload").asText()).isEqualTo("21.5");
    assertThat(one.get("qos").asInt()).isEqualTo(1);
    assertThat(one.get("payload_size").asInt()).isEqualTo(4);
    JsonNode binary = f.getJson("/api/v1/retained/hall/light");
    assertThat(binary.get("payload").isNull()).isTrue(); // 0xFF is not UTF-8
    assertThat(binary.get("payload_base64").asText()).isEqualTo("/w==");
    assertThat(f.call("DELETE", "/api/v1/retained/room/1/temp", null).statusCode()).isEqualTo(204);
    assertError(f.get("/api/v1/retained/room/1/temp"), 404, null);
    assertThat(f.getJson("/api/v1/retained?filter=room/%23").get("total").asInt()).isEqualTo(1);
  }

  @Test
  void aListingShowsTheFirstBytesOfALargePayloadAndTheMessageItselfAllOfIt() {
    // 'a' then 2-byte characters: the listing's cut at 4,096 bytes falls inside one of them.
    String text = "a" + "\u00e9".repeat(50_000);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    f.broker.publish("big/text", bytes, 0, true);
    byte[] binary = new byte[RetainedJson.LIST_PAYLOAD_BYTES + 1];
    binary[0] = (byte) 0xFF;
    f.broker.publish("big/binary", binary, 0, true);
    f.broker.publish("small", "21.5".getBytes(StandardCharsets.UTF_8), 0, true);

    JsonNode items = f.getJson("/api/v1/retained").get("items");
    assertThat(items).hasSize(3);
    JsonNode listed = items.get(1);
    assertThat(listed.get("topic").asText()).isEqualTo("big/text");
    assertThat(listed.get("payload_size").asInt()).isEqualTo(bytes.length);
    assertThat(listed.get("truncated").asBoolean()).isTrue();
    assertThat(java.util.Base64.getDecoder().decode(listed.get("payload_base64").asText()))
        .isEqualTo(java.util.Arrays.copyOf(bytes, RetainedJson.LIST_PAYLOAD_BYTES));
    assertThat(listed.get("payload").asText()).as("the character cut in two is left out")
        .isEqualTo(text.substring(0, 1 + (RetainedJson.LIST_PAYLOAD_BYTES - 1) / 2));
    assertThat(items.get(0).get("payload").isNull()).isTrue();
    assertThat(items.get(0).get("truncated").asBoolean()).isTrue();
    assertThat(items.get(2).get("payload").asText()).isEqualTo("21.5");
    assertThat(items.get(2).get("truncated").asBoolean()).isFalse();

    JsonNode whole = f.getJson("/api/v1/retained/big/text");
    assertThat(whole.get("payload").asText()).isEqualTo(text);
    assertThat(java.util.Base64.getDecoder().decode(whole.get("payload_base64").asText())).isEqualTo(bytes);
    assertThat(whole.get("payload_size").asInt()).isEqualTo(bytes.length);
    assertThat(whole.get("truncated").asBoolean()).isFalse();
  }

  @Test
  void anErrorInAHandlerIsAnsweredAsAJsonErrorAndLoggedOnceOnOneLine() {
    ch.qos.logback.classic.Logger adminLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AdminServer.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    adminLog.addAppender(lines);
    BrokenSize store = new BrokenSize();
    AdminFixture g = new AdminFixture(store);
    try {
      store.broken = true;
      HttpResponse<String> r = g.get("/api/v1/stats");
      assertError(r, 500, null);
      assertThat(AdminFixture.json(r).get("error").asText()).isEqualTo("internal_error");
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
      assertThat(lines.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
          .singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.ERROR);
            assertThat(e.getFormattedMessage()).contains("GET /api/v1/stats", "OutOfMemoryError", "(test)")
                .doesNotContain("\n");
            assertThat(e.getThrowableProxy()).as("one line, no stack").isNull();
          });
      store.broken = false;
      assertThat(g.get("/api/v1/stats").statusCode()).isEqualTo(200);
    } finally {
      g.close();
      adminLog.detachAppender(lines);
    }
  }

  /** A store whose size cannot be read while {@link #broken}: an Error, as the heap running out. */
  static final class BrokenSize extends io.tern.broker.testsupport.DelegatingStore {
    volatile boolean broken;

    @Override
    public long sizeBytes() {
      if (broken) {
        throw new OutOfMemoryError("Java heap space (test)");
      }
      return inner.sizeBytes();
    }
  }

  @Test
  void aRetainedMessageShowsWhatIsLeftOfItsExpiryInterval() {
    f.call("POST", "/api/v1/publish", "{\"topic\": \"exp\", \"payload\": \"x\", \"retain\": true, "
        + "\"properties\": {\"message_expiry_interval\": 100}}");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(f.getJson("/api/v1/retained/exp").get("message_expiry_interval").asLong()).isBetween(90L, 99L));
  }

  @Test
  void aTrailingSlashIsPartOfTheTopicOrClientIdInThePath() {
    f.call("POST", "/api/v1/publish", "{\"topic\": \"room\", \"payload\": \"plain\", \"retain\": true}");
    f.call("POST", "/api/v1/publish", "{\"topic\": \"room/\", \"payload\": \"slash\", \"retain\": true}");
    assertThat(f.getJson("/api/v1/retained/room/").get("payload").asText()).isEqualTo("slash");
    assertThat(f.call("DELETE", "/api/v1/retained/room/", null).statusCode()).isEqualTo(204);
    assertThat(f.getJson("/api/v1/retained/room").get("payload").asText()).isEqualTo("plain");
    assertError(f.get("/api/v1/retained/room/"), 404, null);
    connect("dev", null, false);
    assertError(f.get("/api/v1/clients/dev/"), 404, null);
    assertThat(f.getJson("/api/v1/clients/dev").get("connected").asBoolean()).isTrue();
  }

  // ------------------------------------------------------------------ stats, readiness, OpenAPI

  @Test
  void statsReadyAndOpenApiAnswer() {
    connect("s1", null, false).subscribeWith().topicFilter("t").send();
    JsonNode s = f.getJson("/api/v1/stats");
    assertThat(s.get("connections").get("current").asInt()).isEqualTo(1);
    assertThat(s.get("subscriptions").asInt()).isEqualTo(1);
    assertThat(s.get("rates").has("messages_received_per_second")).isTrue();
    assertThat(s.get("version").asText()).isNotEmpty();
    JsonNode ready = f.getJson("/api/v1/ready");
    assertThat(ready.get("ready").asBoolean()).isTrue();
    assertThat(ready.get("listeners").get("mqtt").asInt()).isEqualTo(f.mqttPort());
    JsonNode api = f.getJson("/api/v1/openapi.json");
    assertThat(api.get("openapi").asText()).startsWith("3.");
    assertThat(api.get("paths").has("/clients/{id}")).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> f.getJson("/api/v1/stats/history").get("samples").size() >= 2);
  }

  @Test
  void readyIsFalseOnceTheBrokerStops() {
    f.broker.stop();
    HttpResponse<String> r = f.get("/api/v1/ready");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(AdminFixture.json(r).get("ready").asBoolean()).isFalse();
  }

  @Test
  void readyIs503WhileTheStoreCannotBeWrittenAndAgainOnceItCan() {
    TimedStoreTest.FullDisk disk = new TimedStoreTest.FullDisk();
    AdminFixture g = new AdminFixture(disk);
    try {
      assertThat(g.get("/api/v1/ready").statusCode()).isEqualTo(200);
      disk.full = true; // the broker writes its alive stamp every second
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> g.get("/api/v1/ready").statusCode() == 503);
      HttpResponse<String> r = g.get("/api/v1/ready");
      assertThat(AdminFixture.json(r).get("ready").asBoolean()).isFalse();
      assertThat(AdminFixture.json(r).get("reason").asText()).isEqualTo("the store cannot be written");
      disk.full = false;
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> g.get("/api/v1/ready").statusCode() == 200);
    } finally {
      g.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  /** With the admin's credentials, this Content-Type (none when null) and body (none when null). */
  @Test
  void aStateChangingRequestFromAPageOfAnotherSiteGets403() throws Exception {
    String host = "127.0.0.1:" + f.admin.port();
    String login = "POST /api/v1/login HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: "
        + AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD) + "\r\nContent-Length: 0\r\n"
        + "Connection: close\r\n";
    // A cross-site form with the browser's remembered credentials: no session is made.
    assertThat(raw(login + "Origin: http://evil.example\r\n\r\n")).startsWith("HTTP/1.1 403").contains("\"Origin\"");
    assertThat(raw(login + "Origin: null\r\n\r\n")).startsWith("HTTP/1.1 403");
    assertThat(raw(login + "Origin: http://" + host + ".evil.example\r\n\r\n")).startsWith("HTTP/1.1 403");
    // The dashboard's own page, and a tool that sends no Origin.
    assertThat(raw(login + "Origin: http://" + host + "\r\n\r\n")).startsWith("HTTP/1.1 200");
    assertThat(raw(login + "\r\n")).startsWith("HTTP/1.1 200");
    // Reading is not refused by it (a page of another site cannot read the answer anyway).
    assertThat(raw("GET /api/v1/health HTTP/1.1\r\nHost: " + host + "\r\nOrigin: http://evil.example\r\n"
        + "Connection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
  }

  private HttpResponse<String> typed(String method, String path, String contentType, String body) {
    var r = java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.base() + path))
        .header("Authorization", AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD))
        .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      r.header("Content-Type", contentType);
    }
    return f.http.sendAsync(r.build(), HttpResponse.BodyHandlers.ofString()).join();
  }

  /** Sends {@code request} as it is on a new connection; the whole response, headers and body. */
  @Test
  void requestBodiesTricklingInAreRefusedAtTheDeadlineAndFreeTheirThreads() throws Exception {
    // Each held one of the server's threads for as long as it trickled: 16 of them (then its
    // threads) stopped it answering anything, /health included.
    int slow = 8;
    String head = "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD) + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: 1000\r\n\r\n{";
    long dripMillis = 2 * AdminServer.BODY_DEADLINE_MILLIS;
    // The credentials checked once first, and remembered: 8 first checks at once are more than two
    // hashing and four waiting, and the rest were answered 503 (on a loaded machine).
    String auth = AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD);
    assertThat(f.send("GET", "/api/v1/stats", null, auth).statusCode()).isEqualTo(200);
    java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(slow);
    try {
      List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < slow; i++) {
        answers.add(senders.submit(() -> {
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", f.admin.port())) {
            s.setSoTimeout(30_000);
            long began = System.nanoTime();
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            try { // a byte every 500 ms, until answered or for twice the deadline
              while (s.getInputStream().available() == 0
                  && System.nanoTime() - began < java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(dripMillis)) {
                Thread.sleep(500);
                s.getOutputStream().write(' ');
              }
            } catch (java.net.SocketException closed) {
              // refused: read the answer
            }
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer + " after " + (System.nanoTime() - began) / 1_000_000 + " ms";
          }
        }));
      }
      for (var answer : answers) {
        String a = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(a).startsWith("HTTP/1.1 408").as("the API's JSON error, not Javalin's empty answer")
            .containsIgnoringCase("Content-Type: application/json").contains("\"error\":\"request_timeout\"");
        assertThat(Long.parseLong(a.replaceAll("(?s).* after (\\d+) ms", "$1"))).as(a).isLessThan(dripMillis);
      }
      assertThat(f.send("GET", "/health", null, null).statusCode()).isEqualTo(200);
    } finally {
      senders.shutdownNow();
    }
  }

  @Test
  void aClientLeavingInTheMiddleOfItsBodyCostsNoWarning() throws Exception {
    ch.qos.logback.classic.Logger adminLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AdminServer.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    adminLog.addAppender(lines);
    try {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", f.admin.port())) {
        s.getOutputStream().write(("POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + AdminFixture.basic(AdminFixture.USER, AdminFixture.PASSWORD) + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: 1000\r\n\r\n{\"topic\":").getBytes(StandardCharsets.ISO_8859_1));
        Thread.sleep(300);
      }
      assertThat(f.send("GET", "/health", null, null).statusCode()).isEqualTo(200);
      Thread.sleep(300);
      assertThat(lines.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN));
    } finally {
      adminLog.detachAppender(lines);
    }
  }

  private String raw(String request) throws java.io.IOException {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", f.admin.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void assertJsonError(String rawResponse, String error) throws java.io.IOException {
    assertThat(rawResponse).containsIgnoringCase("Content-Type: application/json");
    JsonNode e = AdminFixture.JSON.readTree(rawResponse.substring(rawResponse.indexOf("\r\n\r\n") + 4));
    assertThat(e.get("error").asText()).isEqualTo(error);
    assertThat(e.get("message").asText()).isNotEmpty();
  }

  private static void assertMethodNotAllowed(HttpResponse<String> r, String allow) {
    assertError(r, 405, null);
    assertThat(AdminFixture.json(r).get("error").asText()).isEqualTo("method_not_allowed");
    assertThat(r.headers().firstValue("Allow")).contains(allow);
  }

  private static List<String> ids(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("items").forEach(n -> out.add(n.get("client_id").asText()));
    return out;
  }

  private static void assertError(HttpResponse<String> r, int status, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = AdminFixture.json(r);
    assertThat(e.get("message").asText()).isNotEmpty();
    if (field != null) {
      assertThat(e.get("field").asText()).as(r.body()).isEqualTo(field);
    }
  }
}
