package io.tern.server.config;

import io.tern.broker.Listener;

/** The protocol a listener speaks. */
public enum ListenerType {
  /** MQTT over plain TCP. */
  MQTT(Listener.Type.MQTT),
  /** MQTT over TLS. */
  MQTTS(Listener.Type.MQTTS),
  /** MQTT over WebSocket. */
  WS(Listener.Type.WS),
  /** MQTT over WebSocket over TLS. */
  WSS(Listener.Type.WSS);

  private final Listener.Type brokerType;

  ListenerType(Listener.Type brokerType) {
    this.brokerType = brokerType;
  }

  Listener.Type brokerType() {
    return brokerType;
  }

  /** The name used in configuration files. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
