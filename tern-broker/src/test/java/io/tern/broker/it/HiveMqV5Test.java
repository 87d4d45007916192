package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** MQTT 5.0 end to end with the HiveMQ MQTT client in v5 mode, and with its v3 mode on the same topics. */
@Timeout(30)
class HiveMqV5Test {
  @RegisterExtension final TestBroker tb = new TestBroker();
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void disconnectAll() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  /** A connected client that allows the broker {@code aliasMaximum} topic aliases, subscribed to {@code filter}. */
  private Mqtt5BlockingClient.Mqtt5Publishes aliasedSubscriber(String id, int aliasMaximum, String filter,
      MqttQos qos) {
    Mqtt5BlockingClient sub = client(id);
    sub.connectWith().restrictions().topicAliasMaximum(aliasMaximum).applyRestrictions().send();
    Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter(filter).qos(qos).send();
    return in;
  }

  private Mqtt5BlockingClient client(String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(tb.port())
        .buildBlocking();
    clients.add(c);
    return c;
  }

  /** A connected client subscribed to {@code filter}: what it receives. */
  private Mqtt5BlockingClient.Mqtt5Publishes subscriber(String id, String filter, MqttQos qos) {
    Mqtt5BlockingClient sub = client(id);
    sub.connect();
    Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter(filter).qos(qos).send();
    return in;
  }

  private static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  private static Mqtt5Publish next(Mqtt5BlockingClient.Mqtt5Publishes in) throws InterruptedException {
    Optional<Mqtt5Publish> p = in.receive(5, TimeUnit.SECONDS);
    assertThat(p).as("a message within 5 s").isPresent();
    return p.get();
  }

  @Test
  void connAckAnnouncesCapabilities() {
    tb.start(b -> b.maxQos(1).retainAvailable(false));
    Mqtt5ConnAck ack = client("c").connect();
    assertThat(ack.getRestrictions().getMaximumQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(ack.getRestrictions().isRetainAvailable()).isFalse();
    assertThat(ack.getRestrictions().isSharedSubscriptionAvailable()).isTrue();
    assertThat(ack.getRestrictions().areSubscriptionIdentifiersAvailable()).isTrue();
    assertThat(ack.getRestrictions().getTopicAliasMaximum()).isEqualTo(32);
  }

  @Test
  void aWillTheBrokerCannotHonourIsRefusedWithItsReasonCode() {
    tb.start(b -> b.maxQos(1).retainAvailable(false));
    assertThatThrownBy(() -> client("qos2").connectWith().willPublish().topic("w").qos(MqttQos.EXACTLY_ONCE)
        .payload("gone".getBytes(StandardCharsets.UTF_8)).applyWillPublish().send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.QOS_NOT_SUPPORTED)); // MQTT-3.2.2-12
    assertThatThrownBy(() -> client("retained").connectWith().willPublish().topic("w").retain(true)
        .payload("gone".getBytes(StandardCharsets.UTF_8)).applyWillPublish().send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.RETAIN_NOT_SUPPORTED)); // MQTT-3.2.2-13
    Mqtt5ConnAck fits = client("fits").connectWith().willPublish().topic("w").qos(MqttQos.AT_LEAST_ONCE)
        .payload("gone".getBytes(StandardCharsets.UTF_8)).applyWillPublish().send();
    assertThat(fits.getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
  }

  @Test
  void qos1And2AcksCarryTheirReasonCodesAndRepeatedTopicsArriveIntact() throws Exception {
    tb.start();
    Mqtt5BlockingClient.Mqtt5Publishes in = subscriber("sub", "acks/#", MqttQos.EXACTLY_ONCE);
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    // The same topic again and again (the decoder reuses it), then another of the same length.
    String[] topics = {"acks/a", "acks/a", "acks/a", "acks/b", "acks/a"};
    for (int i = 0; i < topics.length; i++) {
      MqttQos qos = i % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE;
      Mqtt5PublishResult r = pub.publishWith().topic(topics[i]).qos(qos)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
      if (qos == MqttQos.AT_LEAST_ONCE) {
        assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) r).getPubAck().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
      } else {
        assertThat(((Mqtt5PublishResult.Mqtt5Qos2Result) r).getPubRec().getReasonCode())
            .isEqualTo(Mqtt5PubRecReasonCode.SUCCESS);
      }
    }
    for (int i = 0; i < topics.length; i++) {
      Mqtt5Publish got = next(in);
      assertThat(got.getTopic().toString()).isEqualTo(topics[i]);
      assertThat(text(got)).isEqualTo("m" + i);
    }
    // Nobody subscribed: MQTT 5 says so in the ack (0x10), and the flow still completes.
    Mqtt5PublishResult none1 = pub.publishWith().topic("nobody/1").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) none1).getPubAck().getReasonCode())
        .isEqualTo(Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS);
    Mqtt5PublishResult none2 = pub.publishWith().topic("nobody/2").qos(MqttQos.EXACTLY_ONCE).send();
    assertThat(((Mqtt5PublishResult.Mqtt5Qos2Result) none2).getPubRec().getReasonCode())
        .isEqualTo(Mqtt5PubRecReasonCode.NO_MATCHING_SUBSCRIBERS);
  }

  @Test
  void userPropertiesAndMessageExpiryReachTheSubscriber() throws Exception {
    tb.start();
    Mqtt5BlockingClient.Mqtt5Publishes in = subscriber("sub", "data/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    pub.publishWith().topic("data/1").qos(MqttQos.AT_LEAST_ONCE).payload("v".getBytes(StandardCharsets.UTF_8))
        .userProperties().add("unit", "celsius").applyUserProperties()
        .messageExpiryInterval(120)
        .contentType("text/plain")
        .send();
    Mqtt5Publish got = next(in);
    assertThat(got.getUserProperties().asList()).hasSize(1);
    assertThat(got.getUserProperties().asList().get(0).getName().toString()).isEqualTo("unit");
    assertThat(got.getMessageExpiryInterval().getAsLong()).isBetween(119L, 120L);
    assertThat(got.getContentType().get().toString()).isEqualTo("text/plain");
  }

  @Test
  void aClientAllowingEveryAliasGetsEveryTopicRightPastTheBrokersOwnBound() throws Exception {
    // The broker uses at most 1,024 aliases per connection and none for a topic over 4,096
    // characters, whatever the client allows: past that the least recently used alias is reused.
    tb.start();
    Mqtt5BlockingClient.Mqtt5Publishes in = aliasedSubscriber("all-aliases", 65_535, "many/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 1_100; i++) {
      topics.add("many/" + i);
    }
    topics.addAll(List.of("many/0", "many/1099", "many/" + "x".repeat(5_000), "many/5"));
    for (String t : topics) { // one at a time: 1,104 at once would pass max_queued_messages (1000)
      pub.publishWith().topic(t).qos(MqttQos.AT_LEAST_ONCE).payload(t.getBytes(StandardCharsets.UTF_8)).send();
      Mqtt5Publish p = next(in);
      assertThat(p.getTopic().toString()).isEqualTo(t);
      assertThat(text(p)).isEqualTo(t);
    }
  }

  @Test
  void topicAliasesTowardsTheClientAreResolvedByIt() throws Exception {
    tb.start();
    Mqtt5BlockingClient.Mqtt5Publishes in = aliasedSubscriber("aliased", 2, "s/#", MqttQos.AT_MOST_ONCE);
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    String[] topics = {"s/a", "s/b", "s/a", "s/c", "s/a", "s/b", "s/c"};
    for (String t : topics) {
      pub.publishWith().topic(t).qos(MqttQos.AT_LEAST_ONCE).payload(t.getBytes(StandardCharsets.UTF_8)).send();
    }
    for (String t : topics) {
      Mqtt5Publish p = next(in);
      assertThat(p.getTopic().toString()).isEqualTo(t);
      assertThat(text(p)).isEqualTo(t);
    }
  }

  @Test
  void retainHandlingAndSubscriptionIdentifiers() throws Exception {
    tb.start();
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    pub.publishWith().topic("cfg/a").retain(true).qos(MqttQos.AT_LEAST_ONCE)
        .payload("retained".getBytes(StandardCharsets.UTF_8)).send();
    Mqtt5BlockingClient sub = client("sub");
    sub.connect();
    Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("cfg/#").qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
    pub.publishWith().topic("cfg/a").qos(MqttQos.AT_LEAST_ONCE)
        .payload("live".getBytes(StandardCharsets.UTF_8)).send();
    assertThat(text(next(in))).as("the retained message was not sent (Retain Handling 2)").isEqualTo("live");
  }

  @Test
  void sharedSubscriptionWithV5AndV3Members() throws Exception {
    tb.start();
    Mqtt5BlockingClient v5 = client("v5-worker");
    v5.connect();
    Mqtt5BlockingClient.Mqtt5Publishes in5 = v5.publishes(MqttGlobalPublishFilter.ALL);
    v5.subscribeWith().topicFilter("$share/pool/jobs").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt3BlockingClient v3 = Mqtt3Client.builder().identifier("v3-worker").serverHost("127.0.0.1")
        .serverPort(tb.port()).buildBlocking();
    v3.connect();
    Mqtt3BlockingClient.Mqtt3Publishes in3 = v3.publishes(MqttGlobalPublishFilter.ALL);
    v3.subscribeWith().topicFilter("$share/pool/jobs").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = client("pub");
    pub.connect();
    for (int i = 0; i < 4; i++) {
      pub.publishWith().topic("jobs").qos(MqttQos.AT_LEAST_ONCE).payload(("j" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    int toV5 = 0;
    int toV3 = 0;
    for (int i = 0; i < 2; i++) {
      next(in5);
      toV5++;
      Optional<Mqtt3Publish> p = in3.receive(5, TimeUnit.SECONDS);
      assertThat(p).isPresent();
      toV3++;
    }
    assertThat(toV5 + toV3).isEqualTo(4);
    assertThat(in5.receiveNow()).isEmpty();
    assertThat(in3.receiveNow()).isEmpty();
    v3.disconnect();
  }

  @Test
  void v3SubscriberGetsV5MessagesWithoutProperties() throws Exception {
    tb.start();
    Mqtt3BlockingClient v3 = Mqtt3Client.builder().identifier("old").serverHost("127.0.0.1")
        .serverPort(tb.port()).buildBlocking();
    v3.connect();
    Mqtt3BlockingClient.Mqtt3Publishes in3 = v3.publishes(MqttGlobalPublishFilter.ALL);
    v3.subscribeWith().topicFilter("mixed").qos(MqttQos.AT_MOST_ONCE).send();
    Mqtt5BlockingClient pub = client("new");
    pub.connect();
    pub.publishWith().topic("mixed").qos(MqttQos.EXACTLY_ONCE).payload("hi".getBytes(StandardCharsets.UTF_8))
        .userProperties().add("k", "v").applyUserProperties().send();
    Optional<Mqtt3Publish> p = in3.receive(5, TimeUnit.SECONDS);
    assertThat(p).isPresent();
    assertThat(p.get().getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);
    assertThat(new String(p.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hi");
    v3.disconnect();
  }
}
