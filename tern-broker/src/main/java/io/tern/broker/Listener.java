package io.tern.broker;

import java.util.Objects;

/**
 * A network endpoint the broker accepts MQTT connections on: plain TCP, TLS, WebSocket or WebSocket
 * over TLS, each optionally behind a proxy that speaks the PROXY protocol.
 *
 * <pre>{@code
 * Listener.tcp(1883)                                  // 0.0.0.0:1883
 * Listener.tcp("127.0.0.1", 0)                        // loopback, any free port: see Broker#port()
 * Listener.tls("0.0.0.0", 8883, TlsConfig.builder(chain, key).build())
 * Listener.ws("0.0.0.0", 8080).withName("ws")         // path /mqtt
 * Listener.tcp(1883).withProxyProtocol(true)          // behind HAProxy, an AWS NLB, ...
 * }</pre>
 *
 * @param name a name for logs, the auth SPIs and {@link Broker#port(String)}; unique per broker
 * @param host the address to bind, {@code 0.0.0.0} for all IPv4 interfaces
 * @param port the port, 0 for a free one chosen at start
 * @param type what is spoken on it
 * @param path the HTTP path of the WebSocket upgrade ({@code ws} and {@code wss}), {@code /mqtt} by default
 * @param proxyProtocol whether every connection starts with a PROXY protocol (v1 or v2) header, whose
 *     client address then replaces the proxy's in logs and auth; connections without one are closed
 * @param tls the TLS settings, required for {@code mqtts} and {@code wss}, {@code null} otherwise
 * @param maxConnections open connections on this listener beyond which new ones are closed; 0: no limit
 */
public record Listener(
    String name, String host, int port, Type type, String path, boolean proxyProtocol, TlsConfig tls,
    int maxConnections) {

  /** What a listener speaks. */
  public enum Type {
    /** MQTT over TCP. */
    MQTT(false, false),
    /** MQTT over TLS. */
    MQTTS(true, false),
    /** MQTT over WebSocket. */
    WS(false, true),
    /** MQTT over WebSocket over TLS. */
    WSS(true, true);

    private final boolean tls;
    private final boolean webSocket;

    Type(boolean tls, boolean webSocket) {
      this.tls = tls;
      this.webSocket = webSocket;
    }

    public boolean isTls() {
      return tls;
    }

    public boolean isWebSocket() {
      return webSocket;
    }
  }

  /** The WebSocket path when none is given. */
  public static final String DEFAULT_PATH = "/mqtt";

  public Listener {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(type, "type");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port);
    }
    if (type.isTls() && tls == null) {
      throw new IllegalArgumentException("listener " + name + ": type " + type + " needs TLS settings");
    }
    if (!type.isTls() && tls != null) {
      throw new IllegalArgumentException("listener " + name + ": TLS settings on a listener of type " + type);
    }
    if (path == null || path.isEmpty()) {
      path = DEFAULT_PATH;
    }
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("listener " + name + ": path must start with /, got " + path);
    }
    if (maxConnections < 0) {
      throw new IllegalArgumentException("listener " + name + ": max connections must be >= 0");
    }
  }

  /** A plain TCP listener. */
  public Listener(String name, String host, int port) {
    this(name, host, port, Type.MQTT, DEFAULT_PATH, false, null, 0);
  }

  /** A plain TCP listener on all interfaces. */
  public static Listener tcp(int port) {
    return new Listener("mqtt", "0.0.0.0", port);
  }

  /** A plain TCP listener on one address. */
  public static Listener tcp(String host, int port) {
    return new Listener("mqtt", host, port);
  }

  /** A TLS listener, named {@code mqtts}. */
  public static Listener tls(String host, int port, TlsConfig tls) {
    return new Listener("mqtts", host, port, Type.MQTTS, DEFAULT_PATH, false, tls, 0);
  }

  /** A WebSocket listener on {@code /mqtt}, named {@code ws}. */
  public static Listener ws(String host, int port) {
    return new Listener("ws", host, port, Type.WS, DEFAULT_PATH, false, null, 0);
  }

  /** A WebSocket over TLS listener on {@code /mqtt}, named {@code wss}. */
  public static Listener wss(String host, int port, TlsConfig tls) {
    return new Listener("wss", host, port, Type.WSS, DEFAULT_PATH, false, tls, 0);
  }

  public Listener withName(String newName) {
    return new Listener(newName, host, port, type, path, proxyProtocol, tls, maxConnections);
  }

  /** The WebSocket path (for {@code ws} and {@code wss}). */
  public Listener withPath(String newPath) {
    return new Listener(name, host, port, type, newPath, proxyProtocol, tls, maxConnections);
  }

  public Listener withProxyProtocol(boolean enabled) {
    return new Listener(name, host, port, type, path, enabled, tls, maxConnections);
  }

  public Listener withMaxConnections(int max) {
    return new Listener(name, host, port, type, path, proxyProtocol, tls, max);
  }
}
