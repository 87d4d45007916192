package io.tern.broker.internal;

/**
 * A QoS 1 or 2 message sent to a client and not yet acknowledged. {@code released} is set once the
 * client's PUBREC arrived and our PUBREL went out: from then on a resend is a PUBREL, not a PUBLISH
 * (MQTT-4.4.0-1).
 */
final class Outbound {
  final Delivery delivery;
  final int packetId;
  boolean released;
  /** Acknowledged (or dropped): no longer in its {@link InflightWindow}, whatever its send-order queue still holds. */
  boolean gone;

  Outbound(Delivery delivery, int packetId) {
    this.delivery = delivery;
    this.packetId = packetId;
  }
}
