package io.tern.broker.auth;

/** What a client wants to do with a topic. */
public enum Action {
  /** Publish to a topic name. */
  PUBLISH,
  /** Subscribe to a topic filter (which may contain wildcards). */
  SUBSCRIBE,
  /** Receive a message published to a topic name, through a subscription or as a retained message. */
  RECEIVE
}
