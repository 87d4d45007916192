package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static io.tern.broker.conformance.Packets.sub;
import static io.tern.broker.conformance.Packets.subAck;
import static io.tern.broker.conformance.Packets.text;
import static io.tern.broker.conformance.Packets.unsubAck;
import static io.tern.broker.conformance.Packets.unsubscribe;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1.1 section 3.10 UNSUBSCRIBE and 3.11 UNSUBACK. */
class Conformance_3_10_UnsubscribeTest extends BrokerTestBase {

  @Test
  @DisplayName("MQTT-3.10.4-4: UNSUBSCRIBE is answered with UNSUBACK with the same packet id")
  void unsubscribeIsAnsweredWithUnsuback() {
    RawClient c = subscriber("c", "a", 0);
    c.sendHex("a2 05 12 34 00 01 61");
    c.expectHex("b0 02 12 34");
  }

  @Test
  @DisplayName("MQTT-3.10.4-2: after UNSUBACK, no new message is delivered for the filter")
  void noDeliveryAfterUnsubscribe() {
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, sub("gone", 1), sub("kept", 0)));
    c.expect(subAck(1, 1, 0));
    c.send(unsubscribe(2, "gone"));
    c.expect(unsubAck(2));
    RawClient pub = connect("pub");
    pub.send(publish("gone", 1, 1, "not for c"));
    pub.expect(pubAck(1));
    pub.send(publish("kept", 0, 0, "for c"));
    assertThat(c.expect(Publish.class)).isEqualTo(publish("kept", 0, 0, "for c"));
  }

  @Test
  @DisplayName("MQTT-3.10.4-5: UNSUBSCRIBE of a filter that is not subscribed still gets UNSUBACK")
  void unsubscribeOfAnUnknownFilterGetsUnsuback() {
    RawClient c = connect("c");
    c.send(unsubscribe(9, "never/subscribed"));
    c.expect(unsubAck(9));
  }

  @Test
  @DisplayName("MQTT-3.10.4-6: an UNSUBSCRIBE with several filters is answered with one UNSUBACK")
  void multiFilterUnsubscribeGetsOneUnsuback() {
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, sub("a", 0), sub("b", 0)));
    c.expect(subAck(1, 0, 0));
    c.send(unsubscribe(2, "a", "b", "c"));
    c.expect(unsubAck(2));
    RawClient pub = connect("pub");
    pub.send(publish("a", 0, 0, "x"));
    pub.send(publish("b", 0, 0, "x"));
    pub.ping();
    c.ping();
  }

  @Test
  @DisplayName("MQTT-3.10.4-1: filters are compared character by character: unsubscribing a/b keeps a/+")
  void unsubscribeMatchesTheFilterNotTheTopics() {
    RawClient c = subscriber("c", "a/+", 0);
    c.send(unsubscribe(2, "a/b"));
    c.expect(unsubAck(2));
    RawClient pub = connect("pub");
    pub.send(publish("a/b", 0, 0, "still"));
    assertThat(text(c.expect(Publish.class))).isEqualTo("still");
  }

  @Test
  @DisplayName("MQTT-3.10.3-2: an UNSUBSCRIBE without any filter closes the connection")
  void unsubscribeWithoutFiltersClosesTheConnection() {
    witness();
    RawClient c = connect("c");
    c.sendHex("a2 02 00 01");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"a0", "a1", "a3", "aa"})
  @DisplayName("MQTT-3.10.1-1: UNSUBSCRIBE fixed header flags other than 0010 close the connection")
  void unsubscribeWithWrongFixedHeaderFlagsClosesTheConnection(String firstByte) {
    witness();
    RawClient c = connect("c");
    c.sendHex(firstByte + " 05 00 01 00 01 61");
    c.expectClosed();
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-2.3.1-1: an UNSUBSCRIBE with packet id 0 closes the connection")
  void unsubscribeWithPacketIdZeroClosesTheConnection() {
    RawClient c = connect("c");
    c.sendHex("a2 05 00 00 00 01 61");
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.10.3-1 / MQTT-4.7.1-2: an UNSUBSCRIBE with an invalid filter closes the connection")
  void unsubscribeWithInvalidFilterClosesTheConnection() {
    RawClient c = connect("c");
    c.send(unsubscribe(1, "a/#/b"));
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.10.4-2: unsubscribing one of two overlapping filters keeps the other")
  void unsubscribeOneOfTwoOverlappingFilters() {
    RawClient c = connect("c");
    c.send(Packets.subscribe(1, sub("o/#", 0), sub("o/t", 1)));
    c.expect(subAck(1, 0, 1));
    c.send(unsubscribe(2, "o/t"));
    c.expect(unsubAck(2));
    RawClient pub = connect("pub");
    pub.send(publish("o/t", 1, 1, "m"));
    assertThat(c.expect(Publish.class)).isEqualTo(publish("o/t", 0, 0, "m"));
  }
}
