package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.ConnAck;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.ReasonCodes;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MQTT 5.0 section 3.2 CONNACK: the capabilities announced, and each one enforced. */
class Mqtt5_3_2_ConnAckTest extends Mqtt5TestBase {

  @Test
  @DisplayName("3.2.2.3: defaults announced: Topic Alias Maximum, Receive Maximum; no Maximum Packet Size of its own; QoS 2, retain, wildcards, ids, shared available")
  void defaultCapabilities() {
    connect5("c");
    MqttProperties p = lastConnAck().properties();
    assertThat(p.getInt(Property.TOPIC_ALIAS_MAXIMUM, -1)).isEqualTo(32);
    assertThat(p.getInt(Property.RECEIVE_MAXIMUM, -1)).isEqualTo(1024);
    for (Property absent : List.of(Property.MAXIMUM_PACKET_SIZE, Property.MAXIMUM_QOS, Property.RETAIN_AVAILABLE,
        Property.WILDCARD_SUBSCRIPTION_AVAILABLE, Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE,
        Property.SHARED_SUBSCRIPTION_AVAILABLE, Property.SERVER_KEEP_ALIVE, Property.ASSIGNED_CLIENT_IDENTIFIER,
        Property.RESPONSE_INFORMATION, Property.SESSION_EXPIRY_INTERVAL)) {
      assertThat(p.has(absent)).as("%s absent (default applies)", absent).isFalse();
    }
  }

  @Test
  @DisplayName("3.2.2.3: configured limits are announced")
  void configuredCapabilities() {
    configure(b -> b.maxQos(1).retainAvailable(false).wildcardSubscriptionsAvailable(false)
        .subscriptionIdentifiersAvailable(false).sharedSubscriptionsAvailable(false).receiveMaximum(10)
        .topicAliasMaximum(0).serverKeepAlive(30));
    connect5("c");
    MqttProperties p = lastConnAck().properties();
    assertThat(p.getInt(Property.MAXIMUM_QOS, -1)).isEqualTo(1);
    assertThat(p.getInt(Property.RETAIN_AVAILABLE, -1)).isZero();
    assertThat(p.getInt(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, -1)).isZero();
    assertThat(p.getInt(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, -1)).isZero();
    assertThat(p.getInt(Property.SHARED_SUBSCRIPTION_AVAILABLE, -1)).isZero();
    assertThat(p.getInt(Property.RECEIVE_MAXIMUM, -1)).isEqualTo(10);
    assertThat(p.getInt(Property.TOPIC_ALIAS_MAXIMUM, -1)).isZero();
    assertThat(p.getInt(Property.SERVER_KEEP_ALIVE, -1)).isEqualTo(30);
  }

  @Test
  @DisplayName("MQTT-3.2.2-16: an empty client id gets an Assigned Client Identifier")
  void assignedClientIdentifier() {
    connect5(v5(""), false);
    assertThat(lastConnAck().properties().getString(Property.ASSIGNED_CLIENT_IDENTIFIER)).isNotBlank();
  }

  @Test
  @DisplayName("MQTT-3.1.3-5: an Assigned Client Identifier is 23 characters at most, so the client can come back with it")
  void anAssignedClientIdentifierFitsTheSmallestClientIdLimit() {
    configure(b -> b.maxClientIdLength(23));
    connect5(v5("").properties(MqttProperties.builder().set(Property.SESSION_EXPIRY_INTERVAL, 60L).build()), false);
    String id = lastConnAck().properties().getString(Property.ASSIGNED_CLIENT_IDENTIFIER);
    assertThat(id).hasSizeLessThanOrEqualTo(23).matches("tern-[0-9A-Za-z]+");
    RawClient again = connect5(v5(id).cleanSession(false)
        .properties(MqttProperties.builder().set(Property.SESSION_EXPIRY_INTERVAL, 60L).build()), true);
    assertThat(again).isNotNull();
  }

  @Test
  @DisplayName("3.2.2.3.15: Response Information only when requested and configured")
  void responseInformation() {
    configure(b -> b.responseInformation("responses/"));
    connect5(v5("asks").properties(
        MqttProperties.builder().set(Property.REQUEST_RESPONSE_INFORMATION, 1).build()), false);
    assertThat(lastConnAck().properties().getString(Property.RESPONSE_INFORMATION)).isEqualTo("responses/");
    connect5("does-not-ask");
    assertThat(lastConnAck().properties().has(Property.RESPONSE_INFORMATION)).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: Response Information is left out where the client's Maximum Packet Size has no room for it")
  void responseInformationLeftOutWhereItWouldNotFit() {
    configure(b -> b.responseInformation("responses/"));
    connect5(v5("small").properties(MqttProperties.builder().maximumPacketSize(20)
        .set(Property.REQUEST_RESPONSE_INFORMATION, 1).build()), false);
    ConnAck ack = lastConnAck();
    assertThat(ack.properties().has(Property.RESPONSE_INFORMATION)).isFalse();
    assertThat(io.tern.codec.MqttEncoder.encodedSize(ack, MqttVersion.V5)).isLessThanOrEqualTo(20);
    connect5(v5("roomy").properties(MqttProperties.builder().maximumPacketSize(64)
        .set(Property.REQUEST_RESPONSE_INFORMATION, 1).build()), false);
    assertThat(lastConnAck().properties().getString(Property.RESPONSE_INFORMATION)).isEqualTo("responses/");
  }

  @Test
  @DisplayName("3.2.2.3.2: a Session Expiry Interval above the broker's maximum is lowered and announced")
  void sessionExpiryLowered() {
    configure(b -> b.maxSessionExpiryInterval(60));
    connect5(v5("c").properties(MqttProperties.builder().sessionExpiryInterval(3600).build()), false);
    assertThat(lastConnAck().properties().getLong(Property.SESSION_EXPIRY_INTERVAL, -1)).isEqualTo(60);
  }

  @Test
  @DisplayName("4.12: an unknown Authentication Method gets CONNACK 0x8C and the connection is closed")
  void unknownAuthenticationMethod() {
    expectRefused(v5("c").properties(MqttProperties.builder()
        .set(Property.AUTHENTICATION_METHOD, "NO-SUCH-MECHANISM").build()), ReasonCodes.BAD_AUTHENTICATION_METHOD);
  }

  /** Sends the CONNECT and expects a CONNACK with {@code reasonCode}, then the close (MQTT-3.2.2-7); returns it. */
  private ConnAck expectRefused(Packets.ConnectBuilder connect, int reasonCode) {
    RawClient c = open(connect.clientId(), MqttVersion.V5);
    c.send(connect.build());
    ConnAck ack = c.expect(ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(reasonCode);
    c.expectClosed();
    return ack;
  }

  @Test
  @DisplayName("MQTT-3.2.2-19: a refusing CONNACK leaves out its Reason String where the client's Maximum Packet Size has no room for it")
  void refusingConnAckFitsTheClientsMaximumPacketSize() {
    ConnAck roomy = expectRefused(v5("roomy").properties(MqttProperties.builder()
        .set(Property.AUTHENTICATION_METHOD, "NO-SUCH-MECHANISM").build()), ReasonCodes.BAD_AUTHENTICATION_METHOD);
    assertThat(roomy.properties().reasonString()).contains("NO-SUCH-MECHANISM");
    ConnAck small = expectRefused(v5("small").properties(MqttProperties.builder()
        .set(Property.AUTHENTICATION_METHOD, "NO-SUCH-MECHANISM").set(Property.MAXIMUM_PACKET_SIZE, 16L).build()),
        ReasonCodes.BAD_AUTHENTICATION_METHOD);
    assertThat(small.properties().reasonString()).isNull();
  }

  @Test
  @DisplayName("3.1.2.11.10: Authentication Data without an Authentication Method is a Protocol Error: CONNACK 0x82, closed")
  void authenticationDataWithoutMethod() {
    expectRefused(v5("c").properties(MqttProperties.builder()
        .set(Property.AUTHENTICATION_DATA, new byte[] {1, 2}).build()), ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT-3.2.2-12: a Will QoS above Maximum QoS is refused with CONNACK 0x9B; one within it is accepted")
  void willQosAboveMaximumRefused() {
    configure(b -> b.maxQos(1));
    expectRefused(v5("c").will("w", "gone", 2, false), ReasonCodes.QOS_NOT_SUPPORTED);
    connect5(v5("d").will("w", "gone", 1, false), false);
    assertThat(lastConnAck().reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
  }

  @Test
  @DisplayName("A will on $SYS (the broker's own tree) is refused with CONNACK 0x87, whatever the authorizer")
  void willOnSysRefused() {
    expectRefused(v5("c").will("$SYS/broker/version", "spoofed", 0, true), ReasonCodes.NOT_AUTHORIZED);
    connect5(v5("d").will("$SYSTEM/x", "gone", 0, false), false);
    assertThat(lastConnAck().reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
  }

  @Test
  @DisplayName("MQTT-3.2.2-13: with Retain Available 0 a Will Retain 1 is refused with CONNACK 0x9A")
  void willRetainWithoutRetainAvailableRefused() {
    configure(b -> b.retainAvailable(false));
    expectRefused(v5("c").will("w", "gone", 0, true), ReasonCodes.RETAIN_NOT_SUPPORTED);
    connect5(v5("d").will("w", "gone", 0, false), false);
    assertThat(lastConnAck().reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
  }

  @Test
  @DisplayName("MQTT-3.2.2-11: a PUBLISH above Maximum QoS gets DISCONNECT 0x9B")
  void maximumQosEnforced() {
    configure(b -> b.maxQos(1));
    RawClient c = connect5("c");
    c.send(publish5("t", 2, 1, "x", MqttProperties.EMPTY));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.QOS_NOT_SUPPORTED);
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.2.2-14: with Retain Available 0 a retained PUBLISH gets DISCONNECT 0x9A")
  void retainAvailableEnforced() {
    configure(b -> b.retainAvailable(false));
    RawClient c = connect5("c");
    c.send(retained5("t", 0, 0, "x", MqttProperties.EMPTY));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.RETAIN_NOT_SUPPORTED);
    c.expectClosed();
  }

  @Test
  @DisplayName("3.2.2.3.14: with Wildcard Subscription Available 0 a wildcard filter gets 0xA2, an exact one is granted")
  void wildcardsRefused() {
    configure(b -> b.wildcardSubscriptionsAvailable(false));
    RawClient c = connect5("c");
    c.send(new Subscribe(1, List.of(sub("a/+", 1), sub("a/b", 1)), MqttProperties.EMPTY));
    assertThat(c.expect(SubAck.class).reasonCodes())
        .containsExactly(ReasonCodes.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, 1);
  }

  @Test
  @DisplayName("3.2.2.3.15: with Shared Subscription Available 0 a $share filter gets 0x9E")
  void sharedRefused() {
    configure(b -> b.sharedSubscriptionsAvailable(false));
    RawClient c = connect5("c");
    subscribe5(c, sub("$share/g/a", 1), MqttProperties.EMPTY, ReasonCodes.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED);
  }

  @Test
  @DisplayName("3.2.2.3.13: with Subscription Identifier Available 0 a SUBSCRIBE with one gets DISCONNECT 0xA1")
  void subscriptionIdentifiersRefused() {
    configure(b -> b.subscriptionIdentifiersAvailable(false));
    RawClient c = connect5("c");
    c.send(new Subscribe(1, List.of(sub("a", 1)), MqttProperties.builder().subscriptionIdentifier(5).build()));
    assertThat(c.expect(Disconnect.class).reasonCode()).isEqualTo(ReasonCodes.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED);
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.2.2-21/22: under a max keep alive, a longer keep alive or none is replaced, told in CONNACK; a shorter one is kept")
  void maxKeepAliveReplacesLongerOnesAndNone() {
    configure(b -> b.maxKeepAlive(60));
    connect5(v5("longer").keepAlive(600), false);
    assertThat(lastConnAck().properties().getInt(Property.SERVER_KEEP_ALIVE, -1)).isEqualTo(60);
    connect5(v5("none").keepAlive(0), false);
    assertThat(lastConnAck().properties().getInt(Property.SERVER_KEEP_ALIVE, -1)).isEqualTo(60);
    connect5(v5("shorter").keepAlive(30), false);
    assertThat(lastConnAck().properties().has(Property.SERVER_KEEP_ALIVE)).as("MQTT-3.2.2-22: its own").isFalse();
    connect5(v5("same").keepAlive(60), false);
    assertThat(lastConnAck().properties().has(Property.SERVER_KEEP_ALIVE)).isFalse();
  }

  @Test
  @DisplayName("MQTT-3.2.2-21: a client held to the max keep alive is closed with DISCONNECT 0x8D when silent for 1.5 times it")
  void maxKeepAliveIsEnforced() {
    configure(b -> b.maxKeepAlive(1));
    RawClient none = connect5(v5("none").keepAlive(0), false);
    assertThat(lastConnAck().properties().getInt(Property.SERVER_KEEP_ALIVE, -1)).isEqualTo(1);
    assertThat(none.expect(Disconnect.class, Duration.ofSeconds(4)).reasonCode()).isEqualTo(ReasonCodes.KEEP_ALIVE_TIMEOUT);
    none.expectClosed();
  }

  @Test
  @DisplayName("MQTT-3.2.2-21: the Server Keep Alive replaces the client's: silence beyond 1.5 times it gets DISCONNECT 0x8D")
  void serverKeepAliveEnforced() {
    configure(b -> b.serverKeepAlive(1));
    RawClient c = connect5(v5("c").keepAlive(600), false);
    assertThat(lastConnAck().properties().getInt(Property.SERVER_KEEP_ALIVE, -1)).isEqualTo(1);
    assertThat(c.expect(Disconnect.class, Duration.ofSeconds(4)).reasonCode()).isEqualTo(ReasonCodes.KEEP_ALIVE_TIMEOUT);
    c.expectClosed();
  }
}
