package io.tern.server.config;

import io.tern.broker.TlsConfig;
import io.tern.server.auth.PasswordHash;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The admin HTTP server (REST API, Prometheus metrics, dashboard), under {@code admin:}.
 *
 * <p>It serves only when it has credentials to check: {@code enabled} left out means "on when at
 * least one user, password file or API key is configured". Every endpoint but {@code /health}
 * requires them, so a server without any would be either open to anyone who can reach it or
 * useless; the embedded defaults therefore leave it off, and the server logs one line saying how to
 * turn it on (see docs/operations.md).
 *
 * @param enabled {@code true}/{@code false} as configured, or {@code null}: on when credentials exist
 * @param bind the address to bind; {@code 127.0.0.1} by default (this machine only)
 * @param port the TCP port, 0 for any free one; 8080 by default
 * @param tls HTTPS settings (as the MQTT listeners'), or {@code null} for plain HTTP
 * @param users administrators with PBKDF2 password hashes (as {@code tern passwd} writes them)
 * @param passwordFile a password file of administrators ({@code tern passwd} manages it), or null
 * @param apiKeys bearer tokens, stored as their SHA-256
 * @param lockoutLoopback whether failed logins from loopback addresses count towards the lockout
 *     (by default they do not: every client of the machine shares the address, and a script's or a
 *     test suite's wrong passwords locked the right ones out too; see docs/operations.md)
 * @param maxConnections the admin server's open connections at most ({@link #DEFAULT_MAX_CONNECTIONS}
 *     by default): past it, new ones wait in the kernel's accept queue until one closes
 */
public record AdminConfig(
    Boolean enabled, String bind, int port, TlsConfig tls, List<User> users, Path passwordFile, List<ApiKey> apiKeys,
    boolean lockoutLoopback, int maxConnections) {
  public static final String DEFAULT_BIND = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  /**
   * A few dashboards and scrapers need a handful; unbounded, 1,180 connections trickling their
   * headers took every file descriptor of the process, and MQTT clients could not connect.
   */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;

  /** An administrator: a name and the hash of the password. */
  public record User(String name, PasswordHash passwordHash) {
    public User {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(passwordHash, "passwordHash");
      if (name.isEmpty() || name.indexOf(':') >= 0) {
        throw new IllegalArgumentException("an admin user name must be non-empty and without ':'");
      }
    }

    @Override
    public String toString() {
      return "User[" + name + "]"; // never the hash
    }
  }

  /**
   * An API key: a name (for logs) and the SHA-256 of the key, in hex. Keys are random tokens
   * ({@code openssl rand -hex 32}), so a fast hash is enough: there is nothing to guess from.
   */
  public record ApiKey(String name, String sha256) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public ApiKey {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(sha256, "sha256");
      sha256 = sha256.toLowerCase(Locale.ROOT);
      if (!HEX64.matcher(sha256).matches()) {
        throw new IllegalArgumentException("sha256 must be 64 hex digits (printf %s KEY | sha256sum)");
      }
    }

    @Override
    public String toString() {
      return "ApiKey[" + name + "]";
    }
  }

  public AdminConfig {
    Objects.requireNonNull(bind, "bind");
    users = List.copyOf(users);
    apiKeys = List.copyOf(apiKeys);
    if (bind.isBlank()) {
      throw new IllegalArgumentException("admin bind address must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("admin port must be 0..65535, got " + port);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("admin max_connections must be 1 or more, got " + maxConnections);
    }
    if (Boolean.TRUE.equals(enabled) && !hasCredentials(users, passwordFile, apiKeys)) {
      throw new IllegalArgumentException("admin is enabled but has no users, password_file or api_keys: "
          + "every endpoint but /health needs credentials");
    }
  }

  /**
   * With failed logins from loopback addresses not counted towards the lockout, and {@link
   * #DEFAULT_MAX_CONNECTIONS} (the defaults).
   */
  public AdminConfig(
      Boolean enabled, String bind, int port, TlsConfig tls, List<User> users, Path passwordFile, List<ApiKey> apiKeys) {
    this(enabled, bind, port, tls, users, passwordFile, apiKeys, false, DEFAULT_MAX_CONNECTIONS);
  }

  /** Off unless credentials are configured: 127.0.0.1:8080, no users. */
  public static AdminConfig defaults() {
    return new AdminConfig(null, DEFAULT_BIND, DEFAULT_PORT, null, List.of(), null, List.of());
  }

  private static boolean hasCredentials(List<User> users, Path passwordFile, List<ApiKey> apiKeys) {
    return !users.isEmpty() || passwordFile != null || !apiKeys.isEmpty();
  }

  /** Whether the admin server runs: as configured, or when it has credentials. */
  public boolean active() {
    return enabled != null ? enabled : hasCredentials(users, passwordFile, apiKeys);
  }

  /** This configuration listening on another address and port (tests, {@code --admin-port}). */
  public AdminConfig withAddress(String newBind, int newPort) {
    return new AdminConfig(enabled, newBind, newPort, tls, users, passwordFile, apiKeys, lockoutLoopback,
        maxConnections);
  }

  /** This configuration with {@code lockout_loopback} set. */
  public AdminConfig withLockoutLoopback(boolean on) {
    return new AdminConfig(enabled, bind, port, tls, users, passwordFile, apiKeys, on, maxConnections);
  }

  /** This configuration with {@code max_connections} set. */
  public AdminConfig withMaxConnections(int max) {
    return new AdminConfig(enabled, bind, port, tls, users, passwordFile, apiKeys, lockoutLoopback, max);
  }
}
