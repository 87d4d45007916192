package io.tern.broker.internal;

import io.tern.codec.MqttProperties;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The topic aliases the broker uses towards one client ({@link io.tern.broker.TopicAliasPolicy#LRU}):
 * at most the client's Topic Alias Maximum (MQTT-3.3.2-9), the least recently used topic giving up
 * its alias when all are taken. One per connection, on its event loop; aliases never outlive the
 * connection (MQTT-3.3.2-7).
 *
 * <p>Bounded on the broker's side too: a client may allow 65,535 aliases, and each alias keeps its
 * topic name alive for the connection's life, so a subscriber to {@code #} allowing that many could
 * make the broker hold 65,535 topic names of up to 65,535 characters each. The broker uses at most
 * {@link #MAX_ALIASES} (a smaller number is always allowed) and gives none to a topic longer than
 * {@link #MAX_ALIASED_TOPIC}: at most a few MB per connection.
 */
final class OutboundTopicAliases {
  static final int MAX_ALIASES = 1024;
  static final int MAX_ALIASED_TOPIC = 4096;
  private final int max;
  private final LinkedHashMap<String, Integer> byTopic = new LinkedHashMap<>(16, 0.75f, true);
  /** Properties holding just a Topic Alias, per alias, for messages without properties of their own. */
  private MqttProperties[] aliasOnly;

  OutboundTopicAliases(int clientMax) {
    this.max = Math.min(clientMax, MAX_ALIASES);
  }

  /** The properties of a message with the given alias added; built once per alias when it has none. */
  MqttProperties withAlias(MqttProperties props, int alias) {
    if (props != MqttProperties.EMPTY) {
      return props.toBuilder().topicAlias(alias).build();
    }
    if (aliasOnly == null) {
      aliasOnly = new MqttProperties[Math.min(max, 1024) + 1];
    }
    if (alias >= aliasOnly.length) {
      return MqttProperties.builder().topicAlias(alias).build();
    }
    MqttProperties p = aliasOnly[alias];
    if (p == null) {
      p = MqttProperties.builder().topicAlias(alias).build();
      aliasOnly[alias] = p;
    }
    return p;
  }

  /**
   * The alias for the topic: positive when the client already knows it (send an empty topic name),
   * negative (minus the alias) when it is assigned now (send the topic name with the alias); 0 when
   * the topic gets none.
   */
  int aliasFor(String topic) {
    if (topic.length() > MAX_ALIASED_TOPIC) {
      return 0; // none: sent with its name
    }
    Integer known = byTopic.get(topic);
    if (known != null) {
      return known;
    }
    int alias;
    if (byTopic.size() < max) {
      alias = byTopic.size() + 1;
    } else {
      Iterator<Map.Entry<String, Integer>> eldest = byTopic.entrySet().iterator();
      alias = eldest.next().getValue();
      eldest.remove();
    }
    byTopic.put(topic, alias);
    return -alias;
  }
}
