package io.tern.broker.internal;

import io.tern.broker.store.StoreBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The life of one {@link Session} around its connections: attached to a new connection ({@link
 * #attach}), left by it ({@link #detach}, or {@link #release} for a connection that never attached),
 * kept without one for its Session Expiry Interval (v5 section 3.1.2.11.2; v3 Clean Session 0 is
 * "never"), and ended ({@link #terminateBecause}): with its connection when not persistent, when
 * its expiry timer fires, or when a new session replaces it; its end discards the window, the
 * mailbox and the queue, and hands the unacknowledged deliveries of shared subscriptions to other
 * members. Owns the Session Expiry Interval, whether the session is persistent, when its client
 * went away, and the expiry timer; what it attaches, sends and discards is the session's (its
 * connection, window, queue), and its wills and subscriptions are their parts'. One per session,
 * made with it; runs on the session's loop only.
 */
final class SessionLifecycle {
  private final Session session;
  private boolean persistent;
  /** When the client last went away (ms since the epoch): the start of the session's expiry. */
  long disconnectedAtMillis;
  /**
   * Seconds the session outlives its connection; 0: it ends with it, {@link Session#NEVER_EXPIRES}:
   * never (the value stored with the session: {@link io.tern.broker.store.StoredSession#NEVER} is
   * the same).
   */
  private long expiryInterval;
  private ScheduledFuture<?> expiryTimer;
  /**
   * The highest sequence number of a stored message that may have been sent to a client before the
   * messages in flight now: what a restart could not tell (see {@link SessionRestore}). With the
   * messages in flight, what {@link #sentThrough} stores when the client goes away, so that after a
   * restart the messages queued after it go without DUP: they were never sent.
   */
  long maybeSentThroughSeq;

  SessionLifecycle(Session session, boolean persistent) {
    this.session = session;
    this.persistent = persistent;
    this.expiryInterval = persistent ? Session.NEVER_EXPIRES : 0;
  }

  /**
   * A persistent session's record, written before its CONNACK is; a stored session attached with
   * Session Expiry Interval 0 leaves the store then. Throws a {@link
   * io.tern.broker.store.StoreException} when the store cannot be written, with nothing changed, so
   * that the client can be refused. On loop.
   */
  void storeAttach(long expiryIntervalNow) {
    Persistence p = session.core.persistence();
    if (!p.enabled()) {
      return;
    }
    if (expiryIntervalNow > 0) {
      p.batch().putSession(session.clientId, expiryIntervalNow, 0);
      p.commit();
      session.inStore = true;
    } else if (session.inStore) {
      // It ends with this connection (v5 section 3.1.2.11.2), and a crash ends the connection too:
      // its records go now, not at its end, which a crash never reaches. Left until then, a killed
      // broker brought it back in its old state, with its old expiry (Session Present 1,
      // MQTT-3.2.2-2; a durability audit). Publishers stop storing deliveries for it first.
      boolean wasStoring = session.storing;
      session.storing = false;
      try {
        p.batch().removeSession(session.clientId); // with its will, subscriptions, queue, inbound ids
        p.commit();
      } catch (io.tern.broker.store.StoreException e) {
        session.storing = wasStoring;
        throw e;
      }
      session.inStore = false;
    }
  }

  /**
   * Binds the session to a new connection: unacknowledged messages are sent again first, in order,
   * PUBLISH with DUP or PUBREL (MQTT-4.4.0-1), then the queue. After {@link #storeAttach}.
   */
  void attach(MqttConnection c, long expiryIntervalNow, int clientReceiveMaximum) {
    Session s = session;
    BrokerCore core = s.core;
    s.connection = c;
    setExpiryInterval(expiryIntervalNow);
    // v5 section 3.3.4: the client's Receive Maximum caps the window (MQTT-3.3.4-9).
    s.maxInflight = Math.min(core.config().maxInflight(), clientReceiveMaximum);
    s.online = true;
    s.progress(System.nanoTime()); // a new connection has its own stall timeout
    Session.cancel(expiryTimer);
    expiryTimer = null;
    Persistence p = core.persistence();
    SessionWills w = s.wills;
    if (w != null) {
      w.clientBack(p);
    }
    s.storing = persistent && p.enabled(); // its record was written by storeAttach
    p.commitOrReport(); // before the CONNACK leaves
    InflightResend.resendInflight(s, c, p);
    s.pump();
  }

  /** The Session Expiry Interval from now on (CONNECT, or a v5 DISCONNECT changing it). On loop. */
  void setExpiryInterval(long seconds) {
    this.expiryInterval = seconds;
    this.persistent = seconds > 0;
  }

  long expiryInterval() {
    return expiryInterval;
  }

  /** The connection ended. A non-persistent session ends with it. */
  void detach(MqttConnection c) {
    Session s = session;
    if (s.connection != c) {
      return;
    }
    s.connection = null;
    forgetClaimant(c);
    s.online = false;
    disconnectedAtMillis = System.currentTimeMillis();
    s.afterQueueChange(); // publishers waiting for its client go on: it drops at its bound now
    if (!persistent) {
      terminateBecause(io.tern.broker.event.SessionEndCause.CONNECTION_CLOSED);
      return;
    }
    if (!s.core.config().queueQos0WhenOffline()) {
      s.dropQueuedQos0();
      s.afterQueueChange();
    }
    if (s.storing) {
      StoreBatch b = s.core.persistence().batch();
      s.storeRunsApart(b);
      b.putSession(s.clientId, expiryInterval, disconnectedAtMillis, sentThrough());
      s.core.persistence().commitOrReport();
    }
    scheduleExpiry();
  }

  /**
   * The sequence number through which the queued messages may have been sent: the last one in flight
   * (sends go in sequence order, and a message stays in flight until acknowledged), or one that a
   * restart could not tell about. A walk over the window, once per disconnect.
   */
  private long sentThrough() {
    long through = maybeSentThroughSeq;
    for (InflightWindow.Cursor it = session.inflight.cursor(); it.next(); ) {
      through = Math.max(through, it.delivery().seq());
    }
    return through;
  }

  long disconnectedAtMillis() {
    return disconnectedAtMillis;
  }

  /**
   * A persistent session without a connection ends once its Session Expiry Interval has passed
   * since its client went away ({@link #disconnectedAtMillis}: now after a detach, the stored time
   * for a session read back from the store); with a store, its records go with it ({@link
   * #terminate}). On loop; the next attach cancels it.
   */
  void scheduleExpiry() {
    Session.cancel(expiryTimer);
    expiryTimer = null;
    if (expiryInterval == Session.NEVER_EXPIRES) {
      return;
    }
    long since = disconnectedAtMillis;
    long delay = Math.max(0, since + expiryInterval * 1000 - System.currentTimeMillis());
    expiryTimer = session.loop.schedule(() -> expireIfOfflineSince(since), delay, TimeUnit.MILLISECONDS);
  }

  /** A connection that never attached went away: a non-persistent session ends here. */
  void release(long expiryIntervalNow) {
    Session s = session;
    setExpiryInterval(expiryIntervalNow);
    if (s.connection != null) {
      return;
    }
    if (!persistent) {
      terminateBecause(io.tern.broker.event.SessionEndCause.CONNECTION_CLOSED);
      return;
    }
    disconnectedAtMillis = System.currentTimeMillis();
    if (s.storing) {
      StoreBatch b = s.core.persistence().batch();
      s.storeRunsApart(b);
      b.putSession(s.clientId, expiryInterval, disconnectedAtMillis, sentThrough());
      s.core.persistence().commitOrReport();
    }
    scheduleExpiry();
  }

  /**
   * {@link #release} for a session whose client went away before it was attached (before its
   * CONNACK): kept as if the client had connected and dropped, and so also stored when it is
   * persistent and has no record yet (a new one). Such sessions were kept in memory only, listed
   * but gone after a restart (a soak probe: TLS clients that closed before reading their CONNACK,
   * 395 of 400 sessions lost at a clean restart). On loop.
   */
  void releaseUnattached(MqttConnection c, long expiryIntervalNow) {
    Session s = session;
    forgetClaimant(c);
    if (!s.storing && s.connection == null) {
      try {
        storeAttach(expiryIntervalNow);
        s.storing = s.inStore;
      } catch (io.tern.broker.store.StoreException e) {
        s.core.persistence().reportFailure(e); // in memory all the same, as after a failed release
      }
    }
    release(expiryIntervalNow);
  }

  /**
   * The connection that claimed the session is gone: not held by an offline session any longer
   * (with its channel, buffers and TLS engine: a soak probe found one per offline session in the
   * heap). A newer claimant is left alone. On loop.
   */
  private void forgetClaimant(MqttConnection c) {
    if (session.claimant == c) {
      session.claimant = null;
    }
  }

  /** Ends the session if its client has stayed away since {@code sinceMillis} (its expiry timer). */
  void expireIfOfflineSince(long sinceMillis) {
    session.runOnLoop(() -> {
      if (!session.terminated && session.connection == null && disconnectedAtMillis == sinceMillis) {
        terminateBecause(io.tern.broker.event.SessionEndCause.EXPIRED);
      }
    });
  }

  /** Discards the session: subscriptions, queues, in-flight state. On loop. */
  void terminate() {
    terminateBecause(io.tern.broker.event.SessionEndCause.CONNECTION_CLOSED);
  }

  /** Discards the session (see {@link #terminate()}), telling event listeners why. On loop. */
  void terminateBecause(io.tern.broker.event.SessionEndCause cause) {
    Session s = session;
    if (s.terminated) {
      return;
    }
    s.terminated = true;
    BrokerCore core = s.core;
    if (core.events().active()) {
      core.events().emit(new io.tern.broker.event.BrokerEvent.SessionEnded(System.currentTimeMillis(), s.clientId,
          cause));
    }
    s.online = false;
    Session.cancel(expiryTimer);
    expiryTimer = null;
    SessionWills w = s.wills;
    if (w != null) {
      w.sessionEnded(); // the session ends: a will still waiting for its delay goes now
    }
    s.subscriptions.unsubscribeAll();
    s.subscriptions = SessionSubscriptions.NONE;
    List<Delivery> unacked = new ArrayList<>();
    InflightWindow inflight = s.inflight;
    for (InflightWindow.Cursor it = inflight.cursor(); it.next(); ) {
      Delivery d = it.delivery();
      // A shared subscription's QoS 1 message the client had not acknowledged goes to another
      // member (v5 4.8.2: SHOULD); a QoS 2 one sent to this client goes to nobody else, whether or
      // not it had answered PUBREC (MQTT-4.8.2-5: its delivery was begun here, and another member
      // could make it twice). Messages still queued, never sent, go to another member too.
      if (d.sharedFilter() != null && d.qos() == 1) {
        unacked.add(d);
      }
      s.releaseRef(d);
    }
    inflight.clear();
    s.inflightSize = 0;
    s.inboundQos2 = null;
    Object o;
    while ((o = s.pollMailbox()) != null) {
      if (o instanceof Delivery d) {
        s.queue.addLast(d);
        s.queuedHandedOff(d.message());
      } else {
        @SuppressWarnings("unchecked")
        List<Delivery> batch = (List<Delivery>) o;
        for (Delivery d : batch) {
          s.queue.addLast(d);
          s.queuedHandedOff(d.message());
        }
      }
    }
    s.discardQueued(unacked); // with the queued messages of shared subscriptions (Session.movesToAnotherMember)
    core.registry().removeIfSame(s.clientId, s);
    if (s.inStore) {
      core.persistence().batch().removeSession(s.clientId); // with its will, subscriptions, queue
      s.inStore = false;
      s.storing = false;
    }
    core.persistence().commitOrReport();
    if (!unacked.isEmpty()) {
      core.redeliverShared(unacked, s);
    }
  }
}
