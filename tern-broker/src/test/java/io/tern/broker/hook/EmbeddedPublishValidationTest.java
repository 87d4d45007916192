package io.tern.broker.hook;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.tern.broker.MqttMessage;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
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

  /**
   * Properties a PUBLISH may not carry (MQTT 5 2.2.2.2), and the two the broker sets per subscriber:
   * forwarded, each made HiveMQ and Paho v5 subscribers drop their connections (an outside audit).
   */
  static Stream<MqttProperties> propertiesNotForAPublish() {
    return Stream.of(
        MqttProperties.builder().reasonString("set by admin").build(),
        MqttProperties.builder().sessionExpiryInterval(60).build(),
        MqttProperties.builder().receiveMaximum(10).build(),
        MqttProperties.builder().maximumPacketSize(1000).build(),
        MqttProperties.builder().set(Property.WILL_DELAY_INTERVAL, 5L).build(),
        MqttProperties.builder().set(Property.ASSIGNED_CLIENT_IDENTIFIER, "x").build(),
        MqttProperties.builder().userProperty("k", "v").topicAlias(1).build(), // MQTT-3.3.2-10
        MqttProperties.builder().subscriptionIdentifier(7).build()); // MQTT-3.3.4-3
  }

  @ParameterizedTest
  @MethodSource("propertiesNotForAPublish")
  void propertiesAPublishMayNotCarryAreRefused(MqttProperties bad) throws Exception {
    start(b -> {});
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes received = publishes(sub);
    sub.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();

    assertThatThrownBy(() -> broker.publish("cfg/1", bytes("x"), 1, true, bad))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MqttMessage.of("cfg/1", new byte[0]).withProperties(bad))
        .isInstanceOf(IllegalArgumentException.class);
    MqttMessage wrapped = MqttMessage.wrap(new Publish("cfg/1", 1, true, false, 0, bytes("x"), bad));
    assertThatThrownBy(() -> broker.publish(wrapped)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> broker.publish(wrapped, "someone")).isInstanceOf(IllegalArgumentException.class);

    broker.publish("after", bytes("fine"), 1, false);
    assertThat(receive(received, 5000).orElseThrow().getTopic().toString()).isEqualTo("after"); // nothing before
    assertThat(broker.management().retained("#")).isEmpty();
    assertThat(sub.getState().isConnected()).isTrue();
  }

  @Test
  void aPublishHookRewriteWithAPropertyAPublishMayNotCarryFailsThatHook() {
    // MqttMessage.wrap checks nothing: the broker checks what a hook hands back, sync or async.
    MqttProperties bad = MqttProperties.builder().reasonString("nope").build();
    start(b -> b.hook((PublishHook) (client, m) -> {
      MqttMessage out = MqttMessage.wrap(new Publish(m.topic(), m.qos(), m.retain(), false, 0, m.payloadBytes(), bad));
      return switch (m.topic()) {
        case "sync" -> PublishDecision.rewrite(out);
        case "async" -> PublishDecision.async(CompletableFuture.completedFuture(PublishDecision.rewrite(out)));
        default -> PublishDecision.CONTINUE;
      };
    }));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();
    Mqtt5BlockingClient pub = v5("pub");
    for (String topic : new String[] {"sync", "async"}) {
      // Refused as by a hook that throws: the publisher learns it, nothing is routed or retained.
      assertThatThrownBy(() -> pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(bytes("x")).send())
          .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
              .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR));
    }
    pub.publishWith().topic("fine").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("y")).send();
    assertThat(receive(in, 5000).orElseThrow().getTopic().toString()).isEqualTo("fine");
    assertThat(broker.hookFailures()).isEqualTo(2);
    assertThat(broker.management().retained("#")).isEmpty();
    assertThat(sub.getState().isConnected()).isTrue();
    assertThat(pub.getState().isConnected()).isTrue();
  }

  @Test
  void aDeliverHookRewriteWithATopicAliasSkipsThatSubscriberAndIsCounted() {
    MqttProperties alias = MqttProperties.builder().topicAlias(3).build();
    start(b -> b.hook((DeliverHook) (subscriber, m) -> m.topic().equals("aliased")
        ? DeliverDecision.rewrite(MqttMessage.wrap(
            new Publish(m.topic(), m.qos(), m.retain(), false, 0, m.payloadBytes(), alias)))
        : DeliverDecision.CONTINUE));
    Mqtt5BlockingClient sub = v5("sub");
    Mqtt5BlockingClient.Mqtt5Publishes in = publishes(sub);
    sub.subscribeWith().topicFilter("#").send();

    broker.publish("aliased", bytes("x"));
    broker.publish("fine", bytes("y"));
    assertThat(receive(in, 5000).orElseThrow().getTopic().toString()).isEqualTo("fine");
    assertThat(broker.hookFailures()).isEqualTo(1);
    assertThat(sub.getState().isConnected()).isTrue();
  }

  @Test
  void aHookRewriteBuiltWithWithPropertiesThrowsInTheHookAndFailsIt() {
    start(b -> b.hook((PublishHook) (client, m) -> PublishDecision.rewrite(
        m.withProperties(MqttProperties.builder().sessionExpiryInterval(10).build()))));
    Mqtt5BlockingClient pub = v5("pub");
    assertThatThrownBy(() -> pub.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("x")).send())
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR));
    assertThat(broker.hookFailures()).isEqualTo(1);
  }
}
