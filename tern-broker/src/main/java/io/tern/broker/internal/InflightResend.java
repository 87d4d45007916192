package io.tern.broker.internal;

import io.tern.codec.PacketType;
import io.tern.codec.ReasonCodes;
import java.util.ArrayDeque;

/**
 * What a {@link Session} sends again of its in-flight window when a new connection attaches: the
 * messages its client had not acknowledged, in order, PUBLISH with DUP and their packet ids, or
 * PUBREL for a released QoS 2 one (MQTT-4.4.0-1); no more than the new connection's window at once
 * (MQTT-4.9.0-2: the client may have lowered its Receive Maximum), the rest owed and resent in
 * order as acks open the window, before anything new. An instance holds the packet ids still owed:
 * made only when some are (nearly never), it is the session's {@link Session#owed} until they are
 * all resent. Runs on the session's loop only.
 */
final class InflightResend {
  private final Session session;
  /**
   * Packet ids in the window that {@link #resendInflight} did not resend yet, in send order: more
   * than the new connection's Receive Maximum were unacknowledged.
   */
  private final ArrayDeque<Integer> ids = new ArrayDeque<>();

  private InflightResend(Session session) {
    this.session = session;
  }

  /**
   * A new connection attached ({@link SessionLifecycle#attach}): unacknowledged messages are sent
   * again first, in order, PUBLISH with DUP or PUBREL (MQTT-4.4.0-1), before the queue. What is
   * left owed becomes the session's {@link Session#owed} (null when nothing is). On loop.
   */
  static void resendInflight(Session s, MqttConnection c, Persistence p) {
    s.owed = null;
    InflightWindow inflight = s.inflight;
    if (!inflight.isEmpty()) {
      long now = System.nanoTime();
      // No more than the new connection's window at once (MQTT-4.9.0-2: the client may have lowered
      // its Receive Maximum); the rest are owed, resent in order as acks open the window.
      int budget = s.maxInflight;
      for (InflightWindow.Cursor it = inflight.cursor(); it.next(); ) {
        if (budget == 0) {
          if (s.owed == null) {
            s.owed = new InflightResend(s);
          }
          s.owed.ids.add(it.packetId());
          continue;
        }
        Delivery d = it.delivery();
        if (resend(c, it.packetId(), d, it.released(), now)) {
          budget--;
        } else {
          it.remove(); // too large for this connection's client: dropped as if sent (MQTT-3.1.2-25)
          s.forget(d);
        }
      }
      s.inflightSize = inflight.size();
      p.commitOrReport();
      c.flush();
    }
  }

  /**
   * Sends again, on a new connection, a message its client had not acknowledged: PUBREL for a
   * released QoS 2 one, else the PUBLISH with DUP and its packet id (MQTT-4.4.0-1). False when the
   * PUBLISH cannot go to this client (too large, or expired): the caller drops it.
   */
  private static boolean resend(MqttConnection c, int packetId, Delivery d, boolean released, long now) {
    if (released) {
      c.writeAck(PacketType.PUBREL, packetId, ReasonCodes.SUCCESS);
      return true;
    }
    io.tern.codec.Publish out = c.outgoing(d, now, true);
    if (out == null) {
      return false;
    }
    c.writePublish(out, d, true, packetId);
    return true;
  }

  /**
   * Resends what {@link #resendInflight} owes while the window has room: the in-flight messages the
   * connection has been sent count against it, not those it is owed. Returns whether something is
   * still owed (then nothing new is sent: the order of the window goes first). On loop, from the
   * session's send.
   */
  boolean resendOwed(MqttConnection c, long now) {
    Session s = session;
    InflightWindow inflight = s.inflight;
    ArrayDeque<Integer> o = ids;
    boolean forgot = false;
    while (!o.isEmpty() && inflight.size() - o.size() < s.maxInflight) {
      int packetId = o.poll();
      Delivery d = inflight.get(packetId);
      if (d == null) {
        continue; // acknowledged before it was resent: the client had it
      }
      if (!resend(c, packetId, d, inflight.released(packetId), now)) {
        inflight.remove(packetId);
        s.forget(d);
        forgot = true;
      }
    }
    s.inflightSize = inflight.size();
    if (forgot) {
      s.core.persistence().commitOrReport();
    }
    c.flush();
    if (o.isEmpty()) {
      s.owed = null;
      return false;
    }
    return true;
  }
}
