package io.tern.broker.internal;

import io.tern.broker.DropPolicy;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredSession;
import io.tern.broker.store.StoredSubscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;

/**
 * Fills a new {@link Session} from what the store kept of it when the broker starts: its Session
 * Expiry Interval and when its client went away, its subscriptions, its queue and in-flight window
 * (in the order the messages arrived), its inbound QoS 2 packet ids, and the queue bounds applied
 * to what was read back; the records read back that are not restored (their message gone or
 * expired before it was sent, or over a bound) leave the store through the recovery's batch; the
 * in-flight ones keep their packet ids, and new ids follow the last of them. Owns nothing that
 * outlives {@link #restore}: one per restored session, made by {@link Persistence#recover} and
 * dropped after it. Runs on the starting thread, before the broker accepts connections; the
 * session's loop sees it all with its first task.
 */
final class SessionRestore {
  private final Session session;

  SessionRestore(Session session) {
    this.session = session;
  }

  /**
   * Fills the session from its stored state, before the broker accepts connections (so on the
   * starting thread; the loop's first task sees it all). Returns the number of messages restored.
   */
  int restore(StoredSession s, java.util.Map<Long, Message> messages, StoreBatch b, long nowNanos, long nowMillis) {
    SessionLifecycle life = session.lifecycle;
    life.setExpiryInterval(s.expiryInterval());
    life.disconnectedAtMillis = s.disconnectedAtMillis() == 0 ? System.currentTimeMillis() : s.disconnectedAtMillis();
    List<Subscriber> shared = new ArrayList<>(0);
    for (StoredSubscription sub : s.subscriptions()) {
      Subscriber restoredSub = Subscriber.of(session, sub.filter(), sub.qos(), sub.noLocal(), sub.retainAsPublished(),
          sub.retainHandling(), sub.subscriptionId());
      session.subscribing().subscribe(restoredSub);
      if (restoredSub.shared()) {
        shared.add(restoredSub);
      }
    }
    long maxSeq = 0;
    java.util.Map<Long, QueueRun> runs = new HashMap<>();
    for (StoredQueued q : s.queue()) {
      if (q.run() != 0) {
        QueueRun r = runs.get(q.run());
        int span = (int) (q.seq() - q.run() + 1);
        if (r == null || r.count < span) {
          runs.put(q.run(), new QueueRun(q.run(), r == null ? span : Math.max(span, r.count)));
        }
      }
    }
    runs.values().forEach(r -> r.remaining = 0);
    // In the order the messages arrived (their sequence numbers): the store keeps QoS 2 records and
    // QoS 1 runs apart. A QoS 1 message from before the last one in flight was sent then too (the
    // store does not record QoS 1 sends): it goes back in flight, under a new packet id, so that the
    // resend after a reconnect keeps the order of sending, QoS 1 and 2 together (MQTT-4.6.0-1).
    List<StoredQueued> records = new ArrayList<>(s.queue());
    records.sort(java.util.Comparator.comparingLong(StoredQueued::seq));
    long lastInflightSeq = -1;
    int lastStoredId = 0;
    java.util.Set<Integer> storedIds = new HashSet<>();
    for (StoredQueued q : records) {
      if (q.packetId() != 0) {
        lastInflightSeq = q.seq();
        lastStoredId = q.packetId();
        storedIds.add(q.packetId());
      }
    }
    // Ids go on from the last one sent, as if the broker had not stopped: not from 1 again, where
    // the ids of flows the store could not give back (their message gone) would come first.
    session.continuePacketIdsAfter(lastStoredId);
    // QoS 1 sends are not recorded: a QoS 1 message may have been sent before (and goes with DUP)
    // unless the session record says it came after all that was sent when the client went away.
    long sentThrough = s.sentThroughSeq() == StoredSession.UNKNOWN ? Long.MAX_VALUE : s.sentThroughSeq();
    List<Delivery> gone = new ArrayList<>(0);
    for (StoredQueued q : records) {
      maxSeq = Math.max(maxSeq, q.seq());
      QueueRun run = q.run() == 0 ? null : runs.get(q.run());
      if (run != null) {
        run.remaining++;
      }
      Message m;
      if (q.message() != null) {
        m = Persistence.restored(q.message(), nowNanos, nowMillis);
        m.storedInline = true;
      } else {
        m = messages.get(q.messageId());
      }
      if (m != null && q.packetId() == 0 && m.expired(nowNanos)) {
        // Expired before it was sent: deleted (MQTT-3.3.2-5). One with a packet id had been sent,
        // and its flow goes on whatever its age, as without a restart: resent with DUP, or its
        // PUBREL resent; its id is not free until the flow ends (MQTT-4.4.0-1). Dropped, its id went
        // to the next message, which a client still waiting for that PUBREL took for the resend.
        m = null;
      }
      Delivery d = new Delivery(m, q.qos(), q.retain(), q.subscriptionIds(),
          m == null ? null : sharedFilterOf(m.topic(), shared), q.seq(), q.qos() == 1 && q.seq() <= sentThrough, run,
          q.retainedOnSubscribe() && q.packetId() == 0);
      if (m == null) { // its message expired or is gone: nothing to deliver
        gone.add(d);
        continue;
      }
      m.addStoreRefs(1);
      if (q.packetId() != 0 || (q.qos() == 1 && q.seq() < lastInflightSeq)) {
        if (session.inflight == Session.NO_INFLIGHT) {
          session.inflight = new InflightWindow();
        }
        int packetId = q.packetId();
        while (packetId == 0 || (q.packetId() == 0 && storedIds.contains(packetId))) {
          packetId = session.nextPacketId();
        }
        session.inflight.put(packetId, d, q.released());
      } else {
        session.queue.addLast(d);
        session.queuedBytes += m.size(); // counted in the broker's total below
        if (d.onSubscribe()) { // outside max_queued_messages, as before the restart
          session.retainedInQueue++;
          session.addRetainedPending(1);
        } else {
          session.addPending(1);
        }
      }
    }
    session.storeSeq = maxSeq;
    life.maybeSentThroughSeq = Math.min(sentThrough, maxSeq); // those restored with DUP stay so
    if (!s.inboundQos2().isEmpty()) {
      session.inboundQos2 = new InboundQos2(session, s.inboundQos2());
    }
    session.inStore = true;
    session.storing = true;
    for (Delivery d : gone) {
      forgetRestored(d, b);
    }
    // The queue bounds hold for what was stored too (they may have been lowered since, and a run
    // keeps messages a bound dropped until its last one goes). max_queued_messages counts what is
    // not a retained message for a new subscription; max_queued_bytes counts everything, and takes
    // those last.
    BrokerCore core = session.core;
    int max = core.config().maxQueuedMessages();
    long maxBytes = core.config().maxQueuedBytes();
    boolean dropNew = core.config().dropPolicy() == DropPolicy.DROP_NEW;
    java.util.ArrayDeque<Delivery> queue = session.queue;
    while (queue.size() - session.retainedInQueue > max || (maxBytes > 0 && session.queuedBytes > maxBytes)) {
      Delivery d = session.retainedInQueue == 0 || session.retainedInQueue == queue.size()
          ? (dropNew ? queue.pollLast() : queue.pollFirst()) : session.pollBounded(dropNew);
      session.leftQueue(d);
      session.queuedBytes -= d.message().size(); // not counted in the broker's total yet
      forgetRestored(d, b);
      d.message().addStoreRefs(-1);
      session.drop(1);
    }
    long counted = 0; // a message counted once broker-wide adds its bytes with its first session
    long onceBytes = 0;
    for (Delivery d : queue) {
      if (d.message().countedOnce()) {
        onceBytes += d.message().size();
        counted += d.message().hold(1);
      }
    }
    session.queuedOnceBytes = onceBytes;
    session.reportedBytes = session.queuedBytes - onceBytes;
    core.memory().add(session.reportedBytes + counted);
    return queue.size() + session.inflight.size();
  }

  /** A delivery read back that is not restored: its record goes (with its run, once none of that is left). */
  private void forgetRestored(Delivery d, StoreBatch b) {
    QueueRun run = d.run();
    if (run == null) {
      b.removeQueued(session.clientId, d.seq());
    } else if (--run.remaining == 0) {
      b.removeRun(session.clientId, run.first, run.count);
    }
  }

  /**
   * The shared subscription a delivery read back from the store was made for (the store does not
   * keep it): the session's shared subscription matching the topic, unless one of its ordinary
   * subscriptions matches too (then the copy may be that one's, and is not handed to another member
   * when the session ends). Null when none.
   */
  private String sharedFilterOf(String topic, List<Subscriber> shared) {
    if (shared.isEmpty()) {
      return null;
    }
    String found = null;
    for (Subscriber sub : session.subscriptions().values()) { // once per message read back at start
      if (io.tern.codec.Topics.matches(sub.topicFilter(), topic)) {
        if (!sub.shared()) {
          return null;
        }
        if (found == null) {
          found = sub.filter();
        }
      }
    }
    return found;
  }
}
