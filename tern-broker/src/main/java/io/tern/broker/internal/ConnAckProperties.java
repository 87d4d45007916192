package io.tern.broker.internal;

import io.tern.broker.BrokerConfig;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;

/** What the broker announces to an MQTT 5 client in CONNACK (v5 section 3.2.2.3). */
final class ConnAckProperties {
  private ConnAckProperties() {}

  /**
   * The CONNACK properties; one left out means its default (65535, QoS 2, available), so only
   * limits below the default and features turned off are sent.
   *
   * @param assignedClientId the identifier generated for an empty one, or null
   * @param responseInfo whether the client set Request Response Information
   * @param serverKeepAlive the keep alive the client must use instead of its own, or -1 (its own)
   */
  static MqttProperties of(BrokerConfig cfg, long requestedExpiry, long grantedExpiry, String assignedClientId,
      boolean responseInfo, int serverKeepAlive) {
    MqttProperties.Builder b = MqttProperties.builder()
        .set(Property.TOPIC_ALIAS_MAXIMUM, cfg.topicAliasMaximum());
    if (cfg.maxPacketSize() < io.tern.codec.MqttDecoder.PROTOCOL_MAX_PACKET_SIZE) {
      b.set(Property.MAXIMUM_PACKET_SIZE, (long) cfg.maxPacketSize()); // absent: the protocol's limit (MQTT 5 3.2.2.3.6)
    }
    if (cfg.receiveMaximum() < 65535) {
      b.set(Property.RECEIVE_MAXIMUM, cfg.receiveMaximum());
    }
    if (cfg.maxQos() < 2) {
      b.set(Property.MAXIMUM_QOS, cfg.maxQos());
    }
    if (!cfg.retainAvailable()) {
      b.set(Property.RETAIN_AVAILABLE, 0);
    }
    if (!cfg.wildcardSubscriptionsAvailable()) {
      b.set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, 0);
    }
    if (!cfg.subscriptionIdentifiersAvailable()) {
      b.set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0);
    }
    if (!cfg.sharedSubscriptionsAvailable()) {
      b.set(Property.SHARED_SUBSCRIPTION_AVAILABLE, 0);
    }
    if (grantedExpiry != requestedExpiry) {
      b.set(Property.SESSION_EXPIRY_INTERVAL, grantedExpiry); // 3.2.2.3.2: the server's value wins
    }
    if (serverKeepAlive >= 0) {
      b.set(Property.SERVER_KEEP_ALIVE, serverKeepAlive); // MQTT-3.2.2-21
    }
    if (assignedClientId != null) {
      b.set(Property.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId); // MQTT-3.2.2-16
    }
    if (responseInfo && cfg.responseInformation() != null) {
      b.set(Property.RESPONSE_INFORMATION, cfg.responseInformation());
    }
    return b.build();
  }
}
