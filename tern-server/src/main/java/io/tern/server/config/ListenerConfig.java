package io.tern.server.config;

import io.tern.broker.Listener;
import io.tern.broker.TlsConfig;
import java.util.Objects;

/**
 * One network endpoint, as configured under {@code listeners:}.
 *
 * @param name a name for logs, unique among listeners
 * @param type the protocol spoken on it
 * @param bind the address to bind, {@code 0.0.0.0} for every interface
 * @param port the TCP port, 0 for any free one
 * @param path the WebSocket path ({@code ws}, {@code wss}); {@code /mqtt} by default
 * @param proxyProtocol whether connections start with a PROXY protocol v1/v2 header
 * @param tls TLS settings, required for {@code mqtts} and {@code wss}, else {@code null}
 * @param maxConnections open connections on this listener at most; 0: no limit
 */
public record ListenerConfig(
    String name, ListenerType type, String bind, int port, String path, boolean proxyProtocol, TlsConfig tls,
    int maxConnections) {
  public static final String DEFAULT_BIND = "0.0.0.0";
  public static final int DEFAULT_PORT = 1883;

  public ListenerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(bind, "bind");
    if (name.isBlank()) {
      throw new IllegalArgumentException("listener name must not be empty");
    }
    if (bind.isBlank()) {
      throw new IllegalArgumentException("bind address must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    // The broker's rules: TLS settings where needed, a path starting with /.
    new Listener(name, bind, port, type.brokerType(), path, proxyProtocol, tls, maxConnections);
  }

  /** A plain MQTT listener. */
  public ListenerConfig(String name, ListenerType type, String bind, int port) {
    this(name, type, bind, port, Listener.DEFAULT_PATH, false, null, 0);
  }

  /** The listener at {@code index} when nothing about it is configured. */
  public static ListenerConfig defaults(int index) {
    return new ListenerConfig(defaultName(index), ListenerType.MQTT, DEFAULT_BIND, DEFAULT_PORT);
  }

  /** {@code mqtt} for the first listener, {@code mqtt-2}, {@code mqtt-3}, ... for the next ones. */
  public static String defaultName(int index) {
    return index == 0 ? "mqtt" : "mqtt-" + (index + 1);
  }

  /** This listener on another address and port. */
  public ListenerConfig withAddress(String newBind, int newPort) {
    return new ListenerConfig(name, type, newBind, newPort, path, proxyProtocol, tls, maxConnections);
  }

  Listener toListener() {
    return new Listener(name, bind, port, type.brokerType(), path, proxyProtocol, tls, maxConnections);
  }
}
