package io.tern.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.plugins.AutoSubscribe;
import io.tern.broker.plugins.DelayedPublish;
import io.tern.broker.plugins.ExclusiveSubscriptions;
import io.tern.broker.plugins.TopicRewrite;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code plugins} section: read, checked, and turned into running plugins. */
@Timeout(60)
class PluginsConfigTest {
  private static ServerConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "test.yaml");
  }

  @Test
  void everyPluginKeyIsRead() {
    ServerConfig c = parse("""
        plugins:
          delayed_publish: true
          exclusive_subscriptions: true
          auto_subscribe:
            - {filter: "commands/%c", qos: 1}
          topic_rewrite:
            - {match: "^legacy/(.*)$", replace: "v2/$1"}
          topic_rewrite_subscriptions: true
        """);
    PluginsConfig p = c.plugins();
    assertThat(p.delayedPublish()).isTrue();
    assertThat(p.exclusiveSubscriptions()).isTrue();
    assertThat(p.autoSubscribe()).containsExactly(new PluginsConfig.AutoSubscription("commands/%c", 1));
    assertThat(p.topicRewrite()).containsExactly(new PluginsConfig.Rewrite("^legacy/(.*)$", "v2/$1"));
    assertThat(p.rewriteSubscriptions()).isTrue();
    assertThat(p.plugins()).hasExactlyElementsOfTypes(TopicRewrite.class, DelayedPublish.class,
        ExclusiveSubscriptions.class, AutoSubscribe.class);
  }

  @Test
  void withoutTheSectionNoPluginRuns() {
    assertThat(parse("log:\n  level: info\n").plugins().plugins()).isEmpty();
  }

  @Test
  void mistakesAreNamedWithTheirPath() {
    assertThatThrownBy(() -> parse("plugins:\n  topic_rewrite:\n    - {match: '(', replace: x}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.topic_rewrite[0].match: ");
    assertThatThrownBy(() -> parse("plugins:\n  topic_rewrite:\n    - {match: '^a/(.*)$', replace: 'b/$2'}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.topic_rewrite[0].replace: ")
        .hasMessageContaining("$2");
    assertThatThrownBy(() -> parse("plugins:\n  auto_subscribe:\n    - {filter: 'a/#/b', qos: 1}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.auto_subscribe[0].filter: ");
    assertThatThrownBy(() -> parse("plugins:\n  auto_subscribe:\n    - {filter: 'a', qos: 3}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.auto_subscribe[0].qos: ");
    assertThatThrownBy(() -> parse("plugins:\n  delayed: true\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.delayed: ");
    assertThatThrownBy(() -> parse("plugins:\n  topic_rewrite: nope\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yaml: plugins.topic_rewrite: ");
  }

  @Test
  void configuredPluginsRunInTheBrokerAsTheServerWiresThem() throws Exception {
    ServerConfig c = parse("""
        plugins:
          delayed_publish: true
          topic_rewrite:
            - {match: "^legacy/(.*)$", replace: "v2/$1"}
        """);
    Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).plugins(c.plugins().plugins()).build().start();
    try {
      MqttClient paho = new MqttClient("tcp://127.0.0.1:" + broker.port(), "p", new MemoryPersistence());
      paho.setTimeToWait(5000);
      MqttConnectOptions o = new MqttConnectOptions();
      o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      paho.connect(o);
      java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
      paho.subscribe("v2/#", 1, (topic, m) -> got.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8)));
      paho.publish("legacy/a", new MqttMessage("now".getBytes(StandardCharsets.UTF_8)));
      assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("v2/a now");
      paho.publish("$delayed/1/v2/b", "later".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
      assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("v2/b later");
      paho.disconnect();
      paho.close();
    } finally {
      broker.stop();
    }
  }
}
