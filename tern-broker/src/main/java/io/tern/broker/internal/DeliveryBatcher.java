package io.tern.broker.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Collects the deliveries a connection routes during one read of its socket, per target session,
 * and hands each session its batch in one go when the read completes. A fan-in of many publishers
 * to one subscriber then costs the subscriber's loop one hand-off per publisher read, not one per
 * message. Owned by one connection, on its event loop: no synchronization.
 */
final class DeliveryBatcher implements DeliverySink {
  private final Map<Session, ArrayList<Delivery>> batches = new IdentityHashMap<>(4); // grows for fan-out
  private Session lastSession;
  private ArrayList<Delivery> lastBatch;

  @Override
  public void deliver(Session session, Delivery delivery) {
    if (session == lastSession) {
      lastBatch.add(delivery);
      return;
    }
    ArrayList<Delivery> batch = batches.get(session);
    if (batch == null) {
      batch = new ArrayList<>(16);
      batches.put(session, batch);
    }
    batch.add(delivery);
    lastSession = session;
    lastBatch = batch;
  }

  /**
   * Hands every batch to its session; the lists are given away, new ones are made next time.
   * With a store, the deliveries to persistent sessions are written first, together with whatever
   * else the calling thread has added to its batch during this read: one store write per read.
   * Returns a session whose loop is far behind (the caller should pause reading until it catches
   * up), or null.
   */
  Session flush(Persistence p) {
    if (lastSession == null) {
      p.commit();
      return null;
    }
    Session behind = null;
    if (batches.size() == 1 && !p.enabled()) {
      if (lastSession.enqueueAll(lastBatch)) {
        behind = lastSession;
      }
    } else {
      if (p.enabled()) {
        for (Map.Entry<Session, ArrayList<Delivery>> e : batches.entrySet()) {
          if (e.getKey().admitAll(e.getValue())) {
            e.getKey().persistAll(e.getValue(), p, p.batch());
          } else {
            e.getValue().clear();
          }
        }
        p.commit(); // in the store before it can be delivered, acked and removed
        for (Map.Entry<Session, ArrayList<Delivery>> e : batches.entrySet()) {
          if (!e.getValue().isEmpty() && e.getKey().handOver(e.getValue()) && behind == null) {
            behind = e.getKey();
          }
        }
      } else {
        for (Map.Entry<Session, ArrayList<Delivery>> e : batches.entrySet()) {
          if (e.getKey().enqueueAll(e.getValue()) && behind == null) {
            behind = e.getKey();
          }
        }
      }
    }
    batches.clear();
    lastSession = null;
    lastBatch = null;
    return behind;
  }
}
