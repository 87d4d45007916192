package io.tern.broker;

/** What a session's outbound queue does when it is full. Every drop is counted. */
public enum DropPolicy {
  /** Keep what is queued, drop the message that does not fit (Mosquitto's behaviour). */
  DROP_NEW,
  /** Drop the oldest queued message to make room for the new one. */
  DROP_OLDEST
}
