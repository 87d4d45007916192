package io.tern.broker.internal;

import java.util.BitSet;
import java.util.Collection;

/**
 * The packet ids of the QoS 2 PUBLISHes one session's client sent that await their PUBREL: the
 * receiver's side of exactly once (MQTT-4.3.3), where a resend of such a packet id is acknowledged
 * and not routed again. Session state: it outlives the connection, and a session kept in the store
 * keeps it there too. Owns the set of packet ids. Made by the session's first QoS 2 PUBLISH or
 * PUBREL ({@link Session#inboundQos2()}), or by the restore of a session that had some; most
 * clients never send QoS 2. Runs on the session's loop only.
 */
final class InboundQos2 {
  private final Session session;
  /**
   * One bit per packet id: at most 8 KiB however many await PUBREL. An MQTT 3 client has no
   * Receive Maximum and may use every id (MQTT.js sends a burst of 2,000 QoS 2 PUBLISHes at once);
   * a set of boxed ids cost ~60 bytes each, 3.9 MB for a client that used them all.
   */
  private final BitSet ids = new BitSet();
  private int count;

  InboundQos2(Session session, Collection<Integer> ids) {
    this.session = session;
    for (int id : ids) {
      if (!this.ids.get(id)) {
        this.ids.set(id);
        count++;
      }
    }
  }

  /** True while this packet id awaits its PUBREL. */
  boolean awaitsRelease(int packetId) {
    return ids.get(packetId);
  }

  /** True when this packet id is new, false for a resend before PUBREL. */
  boolean received(int packetId) {
    boolean added = !ids.get(packetId);
    if (added) {
      ids.set(packetId);
      count++;
    }
    if (added && session.storing) {
      session.core.persistence().batch().putInboundQos2(session.clientId, packetId);
    }
    return added;
  }

  /** Inbound PUBREL: forgets the packet id; true when it was known. */
  boolean released(int packetId) {
    boolean removed = ids.get(packetId);
    if (removed) {
      ids.clear(packetId);
      count--;
    }
    if (removed && session.inStore) {
      session.core.persistence().batch().removeInboundQos2(session.clientId, packetId);
    }
    return removed;
  }

  int count() {
    return count;
  }
}
