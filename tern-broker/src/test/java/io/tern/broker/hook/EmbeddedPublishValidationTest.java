package io.tern.broker.hook;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.MqttMessage;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The embedding API refuses what a client could not send (MQTT-1.5.4-1/2, MQTT-4.7.3-1): routed, a
 * topic with U+0000 made mosquitto_sub drop its connection, for good when the message was retained.
 */
@Timeout(30)
class EmbeddedPublishValidationTest extends HookTestBase {

  @ParameterizedTest
  @ValueSource(strings = {"a/\u0000/b", "a/\uD83D", "a/\uDE00/b", "", "a/+", "a/#"})
  void brokerPublishRefusesTopicsThatAreNotValidMqttTopicNames(String topic) throws Exception {
    start(b -> {});
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes received = publishes(sub);
    sub.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();

    assertThatThrownBy(() -> broker.publish(topic, "x".getBytes(UTF_8), 1, true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid topic name");
    assertThatThrownBy(() -> MqttMessage.of(topic, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MqttMessage.of("ok", new byte[0]).withTopic(topic))
        .isInstanceOf(IllegalArgumentException.class);

    broker.publish("after", "fine".getBytes(UTF_8), 1, false);
    Optional<Mqtt5Publish> first = receive(received, 5000);
    assertThat(first).isPresent();
    assertThat(first.get().getTopic().toString()).isEqualTo("after"); // nothing before it
    assertThat(broker.management().retained("#")).isEmpty();
  }

  @Test
  void aTopicOverTheLengthAnMqttStringCanHoldIsRefused() {
    start(b -> {});
    assertThatThrownBy(() -> broker.publish("t/" + "€".repeat(21_845), new byte[0], 0, false))
        .isInstanceOf(IllegalArgumentException.class);
    broker.publish("t/" + "€".repeat(21_844), new byte[0], 0, false); // 65,534 bytes: fits
  }

  @Test
  void stringPropertiesMustBeValidMqttStrings() {
    start(b -> {});
    MqttProperties badUser = MqttProperties.builder().userProperty("k", "v\u0000").build();
    MqttProperties badType = MqttProperties.builder().set(Property.CONTENT_TYPE, "text/\uD800").build();
    MqttProperties wildResponse = MqttProperties.builder().set(Property.RESPONSE_TOPIC, "replies/#").build();
    for (MqttProperties p : new MqttProperties[] {badUser, badType, wildResponse}) {
      assertThatThrownBy(() -> broker.publish("a", new byte[0], 0, false, p))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> MqttMessage.of("a", new byte[0]).withProperties(p))
          .isInstanceOf(IllegalArgumentException.class);
    }
    MqttProperties good = MqttProperties.builder().userProperty("k", "ü\uD83D\uDE00")
        .set(Property.CONTENT_TYPE, "text/plain").set(Property.RESPONSE_TOPIC, "replies/1").build();
    broker.publish("a", new byte[0], 0, false, good);
    assertThat(MqttMessage.of("a", new byte[0]).withProperties(good).properties()).isEqualTo(good);
  }
}
