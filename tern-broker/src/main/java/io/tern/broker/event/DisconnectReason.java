package io.tern.broker.event;

/** Why a client's connection ended. */
public enum DisconnectReason {
  /** The client sent DISCONNECT. */
  CLIENT_DISCONNECT,
  /** Nothing arrived within one and a half times the keep alive (MQTT-3.1.2-24). */
  KEEP_ALIVE_TIMEOUT,
  /** Another connection with the same client id took the session over. */
  TAKEN_OVER,
  /** The client broke the protocol (a malformed packet, a forbidden sequence). */
  PROTOCOL_ERROR,
  /** The broker is stopping. */
  SERVER_SHUTDOWN,
  /** The network connection was lost or closed without DISCONNECT. */
  NETWORK_LOSS,
  /** A hook or the authorizer closed the connection (a refused PUBLISH, a policy). */
  NOT_AUTHORIZED,
  /** Closed by the application or an administrator. */
  ADMINISTRATIVE,
  /** An unexpected error inside the broker. */
  INTERNAL_ERROR
}
