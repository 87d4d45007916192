package io.tern.broker.event;

/** Why a session ended. */
public enum SessionEndCause {
  /** A non-persistent session (clean start / Session Expiry Interval 0) ended with its connection. */
  CONNECTION_CLOSED,
  /** Its Session Expiry Interval passed with no client connected. */
  EXPIRED,
  /** A new connection with the same client id asked for a clean start and replaced it. */
  REPLACED,
  /**
   * The broker stopped and has no store ({@code Broker.Builder.store}): its sessions live in memory
   * only and end with it, so the next CONNECT after a new start gets Session Present 0.
   */
  BROKER_STOPPED
}
