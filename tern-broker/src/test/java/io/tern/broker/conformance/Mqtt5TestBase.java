package io.tern.broker.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.ConnAck;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The frame of the MQTT 5.0 conformance tests ({@code Mqtt5_*}): v5 CONNECTs with properties, the
 * CONNACK they got, subscriptions with options and identifiers.
 */
abstract class Mqtt5TestBase extends BrokerTestBase {
  private ConnAck lastConnAck;

  /** A v5 client connected with Clean Start 1 and no properties. */
  RawClient connect5(String clientId) {
    return connect5(Packets.v5(clientId), false);
  }

  /** Sends the CONNECT and expects CONNACK success with this session present flag. */
  RawClient connect5(Packets.ConnectBuilder c, boolean sessionPresent) {
    RawClient client = open(c.clientId().isEmpty() ? "(empty id)" : c.clientId(), MqttVersion.V5);
    client.send(c.build());
    ConnAck ack = client.expect(ConnAck.class);
    assertThat(ack.reasonCode()).as("CONNACK reason code of %s: %s", c.clientId(), ack).isZero();
    assertThat(ack.sessionPresent()).as("session present").isEqualTo(sessionPresent);
    lastConnAck = ack;
    return client;
  }

  /** The CONNACK of the last {@link #connect5} call. */
  ConnAck lastConnAck() {
    return lastConnAck;
  }

  /** Subscribes (packet id 1) and expects the SUBACK granting {@code qos}. */
  static void subscribe5(RawClient c, Subscription sub) {
    subscribe5(c, sub, MqttProperties.EMPTY, sub.qos());
  }

  static void subscribe5(RawClient c, Subscription sub, MqttProperties props, int expectedCode) {
    c.send(new Subscribe(1, List.of(sub), props));
    SubAck ack = c.expect(SubAck.class);
    assertThat(ack.reasonCodes()).as("SUBACK %s", ack).containsExactly(expectedCode);
  }

  static Subscription sub(String filter, int qos) {
    return new Subscription(filter, qos);
  }

  /** Subscription options (v5 section 3.8.3.1). */
  static Subscription sub(String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling) {
    return new Subscription(filter, qos, noLocal, retainAsPublished, retainHandling);
  }

  static Publish publish5(String topic, int qos, int packetId, String payload, MqttProperties props) {
    return new Publish(topic, qos, false, false, packetId, payload.getBytes(StandardCharsets.UTF_8), props);
  }

  static Publish retained5(String topic, int qos, int packetId, String payload, MqttProperties props) {
    return new Publish(topic, qos, true, false, packetId, payload.getBytes(StandardCharsets.UTF_8), props);
  }
}
