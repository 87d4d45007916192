package io.tern.server.config;

/** The protocol a listener speaks. TLS and WebSocket listeners will come with the broker's transports. */
public enum ListenerType {
  /** MQTT over plain TCP. */
  MQTT;

  /** The name used in configuration files. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
