package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.sub;
import static io.tern.broker.conformance.Packets.subAck;
import static io.tern.broker.conformance.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttPacket;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** MQTT 3.1.1 section 4.7 Topic Names and Topic Filters: matching, live and retained. */
class Conformance_4_7_TopicsTest extends Mqtt5TestBase {
  private static final String BARRIER = "barrier/topic";

  /**
   * Whether a message published to {@code topic} reaches a subscription to {@code filter}: the
   * subscriber also listens on a barrier topic that the publisher uses right after, so the barrier
   * message is the next delivery exactly when the first one was not delivered.
   */
  private boolean liveDelivery(String filter, String topic) {
    RawClient s = connect("s");
    s.send(Packets.subscribe(1, sub(filter, 0), sub(BARRIER, 0)));
    s.expect(subAck(1, 0, 0));
    RawClient pub = connect("pub");
    pub.send(publish(topic, 0, 0, "m"));
    pub.send(publish(BARRIER, 0, 0, "barrier"));
    Publish first = s.expect(Publish.class);
    if (text(first).equals("barrier")) {
      return false;
    }
    assertThat(first.topic()).isEqualTo(topic);
    assertThat(text(s.expect(Publish.class))).isEqualTo("barrier");
    return true;
  }

  /**
   * Whether a retained message on {@code topic} is sent to a new subscription to {@code filter}:
   * the retained messages of a subscription are queued while its SUBSCRIBE is handled, so they all
   * come before the answer to a PINGREQ sent after the SUBACK.
   */
  private boolean retainedDelivery(String filter, String topic) {
    RawClient pub = connect("pub");
    pub.send(publish(topic, 1, true, false, 1, "m"));
    pub.expect(pubAck(1));
    RawClient s = connect("s");
    s.send(Packets.subscribe(1, filter, 0));
    s.expect(subAck(1, 0));
    s.send(PingReq.INSTANCE);
    boolean delivered = false;
    for (MqttPacket p = s.expectPacket(); !(p instanceof PingResp); p = s.expectPacket()) {
      assertThat(p).isEqualTo(publish(topic, 0, true, false, 0, "m"));
      delivered = true;
    }
    return delivered;
  }

  @ParameterizedTest(name = "\"{0}\" matches \"{1}\": {2}")
  @CsvSource({
      // multi-level wildcard (section 4.7.1.2)
      "sport/tennis/player1/#, sport/tennis/player1, true",
      "sport/tennis/player1/#, sport/tennis/player1/ranking, true",
      "sport/tennis/player1/#, sport/tennis/player1/score/wimbledon, true",
      "sport/#, sport, true",
      "#, sport/tennis, true",
      "#, /leading/slash, true",
      "sport/#, sports, false",
      // single-level wildcard (section 4.7.1.3)
      "sport/tennis/+, sport/tennis/player1, true",
      "sport/tennis/+, sport/tennis/player1/ranking, false",
      "sport/+, sport, false",
      "sport/+, sport/, true",
      "+/+, /finance, true",
      "/+, /finance, true",
      "+, /finance, false",
      "+, finance, true",
      "a/+/c, a//c, true",
      "+/b/#, a/b, true",
      // exact matching: case-sensitive, no trimming, empty levels count (section 4.7.3)
      "ACCOUNTS, Accounts, false",
      "a/b, a/b/, false",
      "a/b, /a/b, false",
      "a//b, a/b, false",
      "' a', ' a', true",
      "\u00e9t\u00e9, \u00e9t\u00e9, true",
      // topics beginning with $ (section 4.7.2; not $SYS, which clients may not publish to)
      "#, $monitor/broker/load, false",
      "+/broker/load, $monitor/broker/load, false",
      "+/#, $monitor/broker, false",
      "+, $monitor, false",
      "$monitor/#, $monitor/broker/load, true",
      "$monitor/broker/+, $monitor/broker/load, true",
      "$monitor, $monitor, true",
      "a/#, a/$b, true",
      "a/+, a/$b, true",
  })
  @DisplayName("MQTT-4.7.1-1..3, MQTT-4.7.2-1, MQTT-4.7.3-4: topic filter matching of live messages")
  void liveMatching(String filter, String topic, boolean matches) {
    assertThat(liveDelivery(filter, topic)).as("'%s' matches '%s'", filter, topic).isEqualTo(matches);
  }

  @ParameterizedTest(name = "\"{0}\" matches retained \"{1}\": {2}")
  @CsvSource({
      "#, $monitor/broker/load, false",
      "+/broker/load, $monitor/broker/load, false",
      "+/#, $monitor/broker, false",
      "+, $monitor, false",
      "$monitor/#, $monitor/broker/load, true",
      "$monitor/+/load, $monitor/broker/load, true",
      "sport/#, sport, true",
      "sport/+, sport, false",
      "sport/+, sport/, true",
      "a/+/c, a//c, true",
      "ACCOUNTS, Accounts, false",
      "a/b, /a/b, false",
  })
  @DisplayName("MQTT-4.7.2-1, MQTT-3.3.1-6: topic filter matching of retained messages")
  void retainedMatching(String filter, String topic, boolean matches) {
    assertThat(retainedDelivery(filter, topic)).as("'%s' matches retained '%s'", filter, topic).isEqualTo(matches);
  }

  @Test
  @DisplayName("MQTT-4.7.2: no client may publish to $SYS (the broker's own), whatever the authorizer; other $ topics pass")
  void clientsCannotPublishToSys() {
    RawClient s = connect("s");
    s.send(Packets.subscribe(1, sub("$SYS/#", 0), sub("$SYSTEM/#", 0)));
    s.expect(subAck(1, 0, 0));
    RawClient v3 = connect("v3");
    v3.send(publish("$SYS/broker/version", 1, true, false, 1, "spoofed"));
    v3.expect(pubAck(1)); // MQTT 3 cannot be told: acknowledged and dropped
    RawClient v5 = connect5("v5");
    v5.send(publish5("$SYS", 1, 2, "spoofed", io.tern.codec.MqttProperties.EMPTY));
    assertThat(v5.expect(io.tern.codec.PubAck.class).reasonCode()).isEqualTo(io.tern.codec.ReasonCodes.NOT_AUTHORIZED);
    v3.send(publish("$SYSTEM/x", 0, 0, "passes"));
    assertThat(s.expect(Publish.class).topic()).as("only the one not in $SYS").isEqualTo("$SYSTEM/x");
    assertThat(broker().securityStats().publishesDenied()).isEqualTo(2);
    assertThat(broker().stats().retainedMessages()).isZero();
  }

  /** A valid topic name of 20,001 levels (40,001 bytes, under the 65,535 limit of MQTT-1.5.3). */
  private static final String DEEP_TOPIC = "a/".repeat(20_000) + "z";

  @Test
  @DisplayName("MQTT-4.7.3-3 / MQTT-3.8.4-1: a retained message on a topic 20,001 levels deep is sent to a '#' subscription")
  void deepRetainedTopicIsMatchedByHash() {
    RawClient pub = connect("pub");
    pub.send(publish(DEEP_TOPIC, 1, true, false, 1, "deep"));
    pub.expect(pubAck(1));
    RawClient s = subscriber("s", "#", 0);
    assertThat(s.expect(Publish.class)).isEqualTo(publish(DEEP_TOPIC, 0, true, false, 0, "deep"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"the topic itself", "'+' for every level but the last", "'a/#'"})
  @DisplayName("MQTT-4.7.3-3: a filter 20,001 levels deep matches a topic as deep, live and retained")
  void deepFilterMatchesDeepTopic(String which) {
    String filter = which.startsWith("the") ? DEEP_TOPIC
        : which.startsWith("'+'") ? "+/".repeat(20_000) + "z" : "a/#";
    RawClient s = subscriber("s", filter, 1);
    RawClient pub = connect("pub");
    pub.send(publish(DEEP_TOPIC, 1, true, false, 1, "deep"));
    pub.expect(pubAck(1));
    Publish live = s.expect(Publish.class);
    assertThat(live).isEqualTo(publish(DEEP_TOPIC, 1, false, false, live.packetId(), "deep"));
    RawClient late = subscriber("late", filter, 0);
    assertThat(late.expect(Publish.class)).isEqualTo(publish(DEEP_TOPIC, 0, true, false, 0, "deep"));
  }
}
