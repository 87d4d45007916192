package io.tern.test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.tern.broker.Broker;
import io.tern.broker.MqttMessage;
import io.tern.codec.Property;
import java.net.URI;
import java.time.Duration;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** One broker for the class: injection, sharing, and captures of what real clients publish. */
@TernBroker
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TernBrokerPerClassTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TernInject static TernTestBroker shared;
  @TernInject TernTestBroker broker;
  @TernInject URI uri;
  private static Broker first;

  @Test
  @Order(1)
  void injectsOneRunningBrokerAsParameterAndFields(TernTestBroker param, Broker raw, URI u) {
    assertThat(param).isSameAs(broker).isSameAs(shared);
    assertThat(raw).isSameAs(broker.broker());
    assertThat(raw.isRunning()).isTrue();
    assertThat(u).isEqualTo(uri).hasToString("tcp://127.0.0.1:" + raw.port());
    assertThat(broker.uri()).isEqualTo(u.toString());
    first = raw;
  }

  @Test
  @Order(2)
  void laterTestsOfTheClassGetTheSameBroker(Broker raw) {
    assertThat(raw).isSameAs(first);
  }

  @Test
  void capturesWhatAPahoV3ClientPublishes() throws Exception {
    try (TernMessages readings = broker.capture("sensors/+/temperature")) {
      MqttClient paho = new MqttClient(broker.uri(), "paho-v3", new MemoryPersistence());
      MqttConnectOptions options = new MqttConnectOptions();
      options.setConnectionTimeout(10);
      paho.setTimeToWait(10_000);
      paho.connect(options);
      paho.publish("sensors/1/temperature", "20.5".getBytes(UTF_8), 1, false);
      paho.publish("sensors/1/humidity", "40".getBytes(UTF_8), 1, false);
      paho.publish("sensors/2/temperature", "21.0".getBytes(UTF_8), 0, false);
      paho.disconnect();
      paho.close();
      readings.await(2, WAIT);
      assertThat(readings.topics()).containsExactly("sensors/1/temperature", "sensors/2/temperature");
      assertThat(readings.payloads()).containsExactly("20.5", "21.0");
      assertThat(readings).extracting(MqttMessage::qos).containsExactly(1, 0);
    }
  }

  @Test
  void capturesQosRetainAndPropertiesOfAnMqtt5Client() {
    TernMessages messages = broker.capture("v5/#");
    Mqtt5BlockingClient hive = Mqtt5Client.builder().identifier("hive").serverHost(broker.host())
        .serverPort(broker.port()).buildBlocking();
    hive.connect();
    hive.publishWith().topic("v5/x").qos(MqttQos.EXACTLY_ONCE).retain(true).contentType("text/plain")
        .userProperties().add("unit", "celsius").applyUserProperties().payload("21.5".getBytes(UTF_8)).send();
    hive.disconnect();
    MqttMessage m = messages.awaitFirst(WAIT);
    assertThat(m.qos()).isEqualTo(2);
    assertThat(m.retain()).isTrue();
    assertThat(m.properties().getString(Property.CONTENT_TYPE)).isEqualTo("text/plain");
    assertThat(m.properties().userProperties()).singleElement()
        .satisfies(p -> assertThat(p.name() + "=" + p.value()).isEqualTo("unit=celsius"));
    messages.close();
  }

  @Test
  void awaitFailsWithWhatDidArrive() {
    TernMessages messages = broker.capture("few/#");
    broker.publish("few/a", "one");
    assertThatThrownBy(() -> messages.await(2, Duration.ofMillis(300)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected 2 message(s) on few/# within 300 ms, but 1 arrived: few/a=one");
    messages.close();
  }

  @Test
  void awaitMatchingFindsALaterMessage() {
    TernMessages messages = broker.capture("m/#");
    broker.publish("m/1", "skip");
    broker.publish("m/2", "this one");
    assertThat(messages.awaitMatching(msg -> msg.payloadAsString().startsWith("this"), WAIT).topic()).isEqualTo("m/2");
    assertThatThrownBy(() -> messages.awaitMatching(msg -> false, Duration.ofMillis(100)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("2 arrived");
    messages.close();
  }

  @Test
  void assertNonePassesInSilenceAndFailsAtAMessage() {
    TernMessages quiet = broker.capture("quiet/#");
    quiet.assertNone(Duration.ofMillis(100));
    broker.publish("quiet/x", "noise");
    assertThatThrownBy(() -> quiet.assertNone(Duration.ofSeconds(5)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("quiet/x=noise");
    quiet.close();
  }

  @Test
  void aClosedCaptureReceivesNothingMoreButKeepsWhatItHad() {
    TernMessages messages = broker.capture("c/#");
    broker.publish("c/1", "kept");
    messages.awaitFirst(WAIT);
    messages.close();
    broker.publish("c/2", "after");
    try (TernMessages witness = broker.capture("c/#")) {
      broker.publish("c/3", "seen by the witness");
      witness.awaitFirst(WAIT);
    }
    assertThat(messages.payloads()).containsExactly("kept");
  }

  @Nested
  class NestedTests {
    @Test
    void nestedClassesShareTheOuterBroker(TernTestBroker b) {
      assertThat(b).isSameAs(shared);
    }
  }
}
