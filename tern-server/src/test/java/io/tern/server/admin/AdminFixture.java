package io.tern.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.server.auth.PasswordHash;
import io.tern.server.config.AdminConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

/**
 * An in-process broker with the admin server in front of it, on free loopback ports, and an HTTP
 * client for the tests: user {@code admin} / {@code s3cret} and API key {@link #API_KEY}.
 */
final class AdminFixture implements AutoCloseable {
  static final String USER = "admin";
  static final String PASSWORD = "s3cret";
  static final String API_KEY = "test-api-key-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  final Broker broker;
  final ServerMetrics metrics = new ServerMetrics();
  final AdminServer admin;
  private final String scheme;
  final HttpClient http;

  AdminFixture() {
    this(b -> {});
  }

  AdminFixture(Consumer<Broker.Builder> customize) {
    this(customize, c -> c, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
  }

  /** With a changed admin configuration and another HTTP client (HTTPS tests). */
  AdminFixture(Consumer<Broker.Builder> customize, java.util.function.UnaryOperator<AdminConfig> adminChange,
      HttpClient client) {
    this(customize, adminChange, client, null);
  }

  /** With a store, timed by the fixture's metrics as the server's is. */
  AdminFixture(io.tern.broker.store.MessageStore store) {
    this(b -> {}, c -> c, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), store);
  }

  private AdminFixture(Consumer<Broker.Builder> customize, java.util.function.UnaryOperator<AdminConfig> adminChange,
      HttpClient client, io.tern.broker.store.MessageStore store) {
    this.http = client;
    Broker.Builder b = Broker.builder().listener(Listener.tcp("127.0.0.1", 0));
    if (store != null) {
      b.store(metrics.timed(store));
    }
    customize.accept(b);
    broker = b.build().start();
    metrics.bind(broker);
    AdminConfig config = new AdminConfig(null, "127.0.0.1", 0, null,
        List.of(new AdminConfig.User(USER, PasswordHash.create(PASSWORD.toCharArray(), PasswordHash.MIN_ITERATIONS))),
        null, List.of(new AdminConfig.ApiKey("tests", AdminAuth.sha256(API_KEY))));
    config = adminChange.apply(config);
    scheme = config.tls() == null ? "http" : "https";
    admin = AdminServer.start(broker, config, metrics, broker::isRunning);
  }

  int mqttPort() {
    return broker.port();
  }

  String base() {
    return scheme + "://127.0.0.1:" + admin.port();
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<String> send(String method, String path, String body, String authorization) {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    if (body != null) {
      r.header("Content-Type", "application/json");
    }
    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** With the admin's Basic credentials. */
  HttpResponse<String> call(String method, String path, String body) {
    return send(method, path, body, basic(USER, PASSWORD));
  }

  HttpResponse<String> get(String path) {
    return call("GET", path, null);
  }

  /** GET with Basic credentials, expecting 200, as JSON. */
  JsonNode getJson(String path) {
    HttpResponse<String> r = get(path);
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": " + r.statusCode() + " " + r.body());
    }
    return json(r);
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  @Override
  public void close() {
    admin.close();
    broker.stop();
    metrics.close();
  }
}
