package io.tern.broker;

/**
 * Whether and how the broker uses topic aliases (MQTT 5.0 section 3.3.2.3.4) on the PUBLISHes it
 * sends to a client that announced a Topic Alias Maximum above 0. Aliases are per connection and
 * start empty on each one (MQTT-3.3.2-7).
 */
public enum TopicAliasPolicy {
  /** Never: every PUBLISH carries its topic name. */
  NONE,
  /**
   * The most recently used topics keep an alias: a topic seen for the first time takes a free alias,
   * or the alias of the least recently used topic once all of the client's aliases are taken.
   */
  LRU
}
