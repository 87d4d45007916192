package io.tern.broker.internal;

import io.tern.broker.store.StoredWill;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The wills of one {@link Session}: the will of its connected client kept in the store as armed
 * (a persistent session with a store, so that a crash of the broker does not lose it), and a will
 * whose Will Delay Interval runs after its connection ended (v5 section 3.1.3.2.2), with its timer:
 * published when the delay ends or the session does, whichever comes first, and not at all if the
 * client is back in time. Owns {@link #willArmedBy}, the delayed will and its timer. Made by the
 * session's first will ({@link Session#wills()}): most sessions never have one. Runs on the
 * session's loop, but {@link #disarmWill}, which any thread may call (a CAS on {@link
 * #willArmedBy}, reached through {@link Session#disarmWill}).
 */
final class SessionWills {
  private final Session session;
  /** The connection whose will is in the store as armed ({@link #armWill}), or null. */
  private volatile MqttConnection willArmedBy;
  /** A will whose Will Delay Interval runs (v5 section 3.1.3.2.2): sent when it ends or the session does. */
  private io.tern.codec.Publish delayedWill;
  private ScheduledFuture<?> willTimer;
  private static final java.lang.invoke.VarHandle WILL_ARMED_BY;

  static {
    try {
      WILL_ARMED_BY = java.lang.invoke.MethodHandles.lookup()
          .findVarHandle(SessionWills.class, "willArmedBy", MqttConnection.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  SessionWills(Session session) {
    this.session = session;
  }

  /**
   * The client's connection ended with a will that has a Will Delay Interval: it is published when
   * the delay ends or when the session does, whichever comes first, and not at all if the client
   * connects to this session again before (v5 section 3.1.3.2.2). On loop.
   */
  void deferWill(io.tern.codec.Publish will, long delaySeconds) {
    BrokerCore core = session.core;
    if (session.storing) { // kept with the session: a restart within the delay still publishes it
      core.persistence().batch().putWill(session.clientId,
          new StoredWill(will, System.currentTimeMillis() + delaySeconds * 1000));
      core.persistence().commit();
    }
    scheduleWill(will, delaySeconds * 1000);
  }

  /**
   * The connection of this persistent session has a will: it is kept in the store while the client
   * is connected ({@link StoredWill#armed}), so that a crash of the broker does not lose it. Called
   * once the session is attached, on loop.
   */
  void armWill(MqttConnection c, io.tern.codec.Publish will, long delaySeconds) {
    if (!session.storing) {
      return;
    }
    willArmedBy = c;
    BrokerCore core = session.core;
    core.persistence().batch().putWill(session.clientId, StoredWill.armed(will, delaySeconds));
    core.persistence().commit();
  }

  /**
   * The connection's will is being published, deferred or discarded: its armed record goes (not
   * one a newer connection of the session armed since). Any thread.
   */
  void disarmWill(MqttConnection c) {
    if (WILL_ARMED_BY.compareAndSet(this, c, null) && session.inStore) {
      BrokerCore core = session.core;
      core.persistence().batch().removeWill(session.clientId);
      core.persistence().commit();
    }
  }

  /** A delayed will read back from the store, due in {@code delayMillis}. On loop. */
  void scheduleWill(io.tern.codec.Publish will, long delayMillis) {
    delayedWill = will;
    Session.cancel(willTimer);
    willTimer = session.loop.schedule(() -> session.runOnLoop(this::publishDelayedWill), delayMillis,
        TimeUnit.MILLISECONDS);
  }

  private void publishDelayedWill() {
    io.tern.codec.Publish w = delayedWill;
    delayedWill = null;
    willTimer = null;
    if (w != null) {
      if (session.inStore) {
        session.core.persistence().batch().removeWill(session.clientId); // written with the will's deliveries
      }
      session.core.publishWill(w, session.clientId);
    }
  }

  /**
   * The session is attached to a new connection ({@link SessionLifecycle#attach}), its store
   * writes in {@code p}. On loop.
   */
  void clientBack(Persistence p) {
    if (delayedWill != null) { // the client is back before its Will Delay ran out (MQTT-3.1.3-9)
      delayedWill = null;
      Session.cancel(willTimer);
      willTimer = null;
      if (session.inStore) {
        p.batch().removeWill(session.clientId);
      }
    }
  }

  /**
   * The session ends ({@link SessionLifecycle#terminateBecause}): a will still waiting for its
   * delay goes now. On loop.
   */
  void sessionEnded() {
    Session.cancel(willTimer);
    publishDelayedWill();
  }
}
