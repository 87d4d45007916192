package io.tern.broker.internal;

import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A session's outbound QoS 1/2 messages awaiting their acknowledgement: by packet id, and in the
 * order they were sent (the order of resending after a reconnect, MQTT-4.6.0-1). An int-keyed
 * map (no boxed packet ids, no entry object per message: a {@code LinkedHashMap<Integer, ...>} cost
 * ~220 bytes of garbage per message) and a queue in send order, from which an acknowledged message
 * is dropped when it reaches the head; acknowledgements out of order leave marks behind, which are
 * swept when they outnumber the window. Loop-owned, like the session.
 */
final class InflightWindow implements Iterable<Outbound> {
  /**
   * By {@link #key(int) mixed} packet id. Netty's map indexes a slot by the key's low bits and
   * probes linearly: consecutive packet ids as keys form one long cluster, and removing its first
   * entry shifted the whole cluster back (53% of the broker's CPU in QoS 1 fan-in with 1,000 in
   * flight). Multiplied by an odd constant (a bijection on int), they scatter.
   */
  private final IntObjectHashMap<Outbound> byId = new IntObjectHashMap<>(16);
  private final ArrayDeque<Outbound> order = new ArrayDeque<>(16);

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

  Outbound get(int packetId) {
    return byId.get(key(packetId));
  }

  /** Adds a message sent (or read back) with this packet id, last in send order. */
  void put(int packetId, Outbound o) {
    Outbound previous = byId.put(key(packetId), o);
    if (previous != null) {
      previous.gone = true;
    }
    order.addLast(o);
  }

  Outbound remove(int packetId) {
    Outbound o = byId.remove(key(packetId));
    if (o != null) {
      o.gone = true;
      sweep();
    }
    return o;
  }

  void clear() {
    byId.clear();
    order.clear();
  }

  private void sweep() {
    while (!order.isEmpty() && order.peekFirst().gone) {
      order.pollFirst();
    }
    if (order.size() > 2 * byId.size() + 16) { // one message never acknowledged: do not pile up marks behind it
      order.removeIf(x -> x.gone);
    }
  }

  /** The messages in send order; {@code remove()} takes the last one returned out of the window. */
  @Override
  public Iterator<Outbound> iterator() {
    Iterator<Outbound> it = order.iterator();
    return new Iterator<>() {
      private Outbound next = advance();
      private Outbound last;

      private Outbound advance() {
        while (it.hasNext()) {
          Outbound o = it.next();
          if (!o.gone) {
            return o;
          }
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Outbound next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        last = next;
        next = advance();
        return last;
      }

      @Override
      public void remove() {
        if (last == null) {
          throw new IllegalStateException();
        }
        byId.remove(key(last.packetId));
        last.gone = true; // left in the queue as a mark: the iteration goes on over it
        last = null;
      }
    };
  }
}
