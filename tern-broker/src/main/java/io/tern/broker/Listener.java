package io.tern.broker;

import java.util.Objects;

/**
 * A network endpoint the broker accepts MQTT connections on.
 *
 * <pre>{@code
 * Listener.tcp(1883)                 // 0.0.0.0:1883
 * Listener.tcp("127.0.0.1", 0)       // loopback, any free port: see Broker#port()
 * }</pre>
 *
 * @param name a name for logs and for {@link Broker#port(String)}
 * @param host the address to bind, {@code 0.0.0.0} for all IPv4 interfaces
 * @param port the port, 0 for a free one chosen at start
 */
public record Listener(String name, String host, int port) {
  public Listener {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port);
    }
  }

  /** A plain TCP listener on all interfaces. */
  public static Listener tcp(int port) {
    return new Listener("mqtt", "0.0.0.0", port);
  }

  /** A plain TCP listener on one address. */
  public static Listener tcp(String host, int port) {
    return new Listener("mqtt", host, port);
  }
}
