package io.tern.broker.internal;

import io.netty.util.collection.IntObjectHashMap;
import java.util.NoSuchElementException;

/**
 * A session's outbound QoS 1/2 messages awaiting their acknowledgement: by packet id, and in the
 * order they were sent (the order of resending after a reconnect, MQTT-4.6.0-1). Loop-owned, like
 * the session.
 *
 * <p>No object per message: an int-keyed map from packet id to the delivery (a {@code
 * LinkedHashMap<Integer, ...>} cost ~220 bytes of garbage per message), a ring of (packet id,
 * delivery) pairs in send order, and the ids whose PUBREL has gone out in a set made for the
 * first QoS 2 message. An in-flight entry object per message had been 24 of the ~270 bytes of
 * garbage a QoS 1 message made. A ring pair is current while the map still holds its delivery
 * under its id; an acknowledged message's pair is dropped when it reaches the head, and pairs left
 * behind by acknowledgements out of order are swept when they outnumber the window.
 *
 * <p>A delivery is put at most once into a window (a session sends each of its deliveries once;
 * one read back from the store is a new delivery): a pair whose delivery came back under the same
 * id would count twice.
 */
final class InflightWindow {
  /**
   * By {@link #key(int) mixed} packet id. Netty's map indexes a slot by the key's low bits and
   * probes linearly: consecutive packet ids as keys form one long cluster, and removing its first
   * entry shifted the whole cluster back (53% of the broker's CPU in QoS 1 fan-in with 1,000 in
   * flight). Multiplied by an odd constant (a bijection on int), they scatter.
   */
  private final IntObjectHashMap<Delivery> byId = new IntObjectHashMap<>(16);
  /** Mixed ids of the QoS 2 messages released (PUBREC received, PUBREL sent); null until the first. */
  private IntObjectHashMap<Boolean> released;
  private int[] ringIds = new int[16];
  private Delivery[] ringDeliveries = new Delivery[16];
  private int head;
  private int count;

  private static int key(int packetId) {
    return packetId * 0x9E3779B1;
  }

  int size() {
    return byId.size();
  }

  boolean isEmpty() {
    return byId.isEmpty();
  }

  boolean containsKey(int packetId) {
    return byId.containsKey(key(packetId));
  }

  Delivery get(int packetId) {
    return byId.get(key(packetId));
  }

  /** Whether the PUBREL of this QoS 2 message has gone out (from then on a resend is a PUBREL, MQTT-4.4.0-1). */
  boolean released(int packetId) {
    return released != null && released.containsKey(key(packetId));
  }

  /** Marks a message in the window as released. */
  void release(int packetId) {
    if (released == null) {
      released = new IntObjectHashMap<>(16);
    }
    released.put(key(packetId), Boolean.TRUE);
  }

  /** Adds a message sent (or read back) with this packet id, last in send order. */
  void put(int packetId, Delivery d) {
    Delivery previous = byId.put(key(packetId), d);
    if (previous == d) {
      return; // already in send order (not done by the session; kept harmless)
    }
    if (previous != null && released != null) {
      released.remove(key(packetId)); // the id now stands for another message
    }
    if (count == ringIds.length) {
      grow();
    }
    int at = (head + count) & (ringIds.length - 1);
    ringIds[at] = packetId;
    ringDeliveries[at] = d;
    count++;
  }

  /** Adds a message read back from the store, released or not. */
  void put(int packetId, Delivery d, boolean isReleased) {
    put(packetId, d);
    if (isReleased) {
      release(packetId);
    }
  }

  Delivery remove(int packetId) {
    Delivery d = byId.remove(key(packetId));
    if (d != null) {
      if (released != null) {
        released.remove(key(packetId));
      }
      if (ringDeliveries[head] == d && ringIds[head] == packetId) {
        popHead(); // acknowledged in send order, the usual case: no lookup
      }
      sweep();
    }
    return d;
  }

  void clear() {
    byId.clear();
    released = null;
    java.util.Arrays.fill(ringDeliveries, null);
    head = 0;
    count = 0;
  }

  private boolean current(int at) {
    return byId.get(key(ringIds[at])) == ringDeliveries[at];
  }

  private void popHead() {
    ringDeliveries[head] = null;
    head = (head + 1) & (ringIds.length - 1);
    count--;
  }

  /** Drops pairs no longer current from the head; every current message has a pair, so none to drop when the counts agree. */
  private void sweep() {
    while (count > byId.size() && !current(head)) {
      popHead();
    }
    if (count > 2 * byId.size() + 16) { // one message never acknowledged: do not pile up pairs behind it
      compact();
    }
  }

  /** Keeps only the current pairs, in order, in place (no garbage: it runs every few acks while one message is held). */
  private void compact() {
    int mask = ringIds.length - 1;
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int from = (head + i) & mask;
      if (current(from)) { // written at or behind what has been read
        int to = (head + kept) & mask;
        ringIds[to] = ringIds[from];
        ringDeliveries[to] = ringDeliveries[from];
        kept++;
      }
    }
    for (int i = kept; i < count; i++) {
      ringDeliveries[(head + i) & mask] = null;
    }
    count = kept;
  }

  private void grow() {
    int n = ringIds.length;
    int[] ids = new int[n * 2];
    Delivery[] deliveries = new Delivery[n * 2];
    for (int i = 0; i < count; i++) {
      int at = (head + i) & (n - 1);
      ids[i] = ringIds[at];
      deliveries[i] = ringDeliveries[at];
    }
    ringIds = ids;
    ringDeliveries = deliveries;
    head = 0;
  }

  /** The messages in send order, with their packet ids and whether they are released. */
  Cursor cursor() {
    return new Cursor();
  }

  /**
   * A walk over the window in send order: {@link #next} moves to the next message. {@link #remove}
   * takes the current one out of the window and the walk goes on; nothing else may change the
   * window during the walk.
   */
  final class Cursor {
    private int index = -1;
    private int packetId;
    private Delivery delivery;

    boolean next() {
      int mask = ringIds.length - 1;
      while (++index < count) {
        int at = (head + index) & mask;
        if (current(at)) {
          packetId = ringIds[at];
          delivery = ringDeliveries[at];
          return true;
        }
      }
      delivery = null;
      return false;
    }

    int packetId() {
      check();
      return packetId;
    }

    Delivery delivery() {
      check();
      return delivery;
    }

    boolean released() {
      check();
      return InflightWindow.this.released(packetId);
    }

    /** Takes the current message out of the window; its pair stays behind, no longer current. */
    void remove() {
      check();
      byId.remove(key(packetId));
      if (released != null) {
        released.remove(key(packetId));
      }
      delivery = null;
    }

    private void check() {
      if (delivery == null) {
        throw new NoSuchElementException();
      }
    }
  }
}
