package io.tern.broker.internal;

import io.netty.channel.EventLoop;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who owns which client id: the map from client id to session, and the connect protocol that hands
 * a session from one connection (and event loop) to the next.
 *
 * <p>The decision (new session, replace, resume) is one atomic {@code compute} on the map; the work
 * that follows (closing the previous connection, moving the session to the new connection's loop)
 * runs on the loop that owns the session at that moment, so it needs no locks. A cluster-wide
 * implementation would replace this class.
 */
final class SessionRegistry {
  /** Called on the new connection's loop once its session is ready. */
  interface Ready {
    void sessionReady(Session session, boolean sessionPresent);
  }

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final BrokerCore core;

  SessionRegistry(BrokerCore core) {
    this.core = core;
  }

  Session get(String clientId) {
    return sessions.get(clientId);
  }

  Collection<Session> all() {
    return sessions.values();
  }

  int size() {
    return sessions.size();
  }

  /** Adds a session read back from the store, before the broker accepts connections. */
  void restore(Session session) {
    sessions.put(session.clientId, session);
  }

  void removeIfSame(String clientId, Session session) {
    sessions.remove(clientId, session);
  }

  /**
   * Connects {@code connection} (running on {@code loop}) to the session of {@code clientId}.
   *
   * <ul>
   *   <li>No session, or a clean start: a new session; an existing one is discarded and its
   *       connection, if any, taken over (closed, its will published).
   *   <li>A persistent session exists and the client asks to resume it: its connection, if any, is
   *       taken over, the session moves to {@code loop}, session present is set.
   * </ul>
   *
   * {@code ready} runs on {@code loop} after the previous owner has let go; it must check that the
   * session's {@link Session#claimant} is still {@code claimant} (a later connect may have won).
   */
  /**
   * Runs {@code task} on the session's loop; when a connection still holds the session, only after
   * that loop has read what already waits in the connection's socket. A client that sends
   * DISCONNECT and at once connects again with its client id (a script running mosquitto_pub in a
   * loop) has its DISCONNECT taken, and its will discarded (MQTT-3.1.2-10, MQTT-3.14.4-3), before the
   * takeover closes that connection: the takeover ran first 1 to 2 times in 100, and the will went
   * out. A task scheduled for later runs after the loop's next poll of its sockets; a plain task
   * could run in the batch it was added from, before it.
   */
  private static void afterPendingReads(Session s, Runnable task) {
    s.runOnLoop(() -> {
      if (s.connection() == null) {
        task.run();
      } else {
        s.loop.schedule(() -> s.runOnLoop(task), 1, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    });
  }

  void connect(String clientId, boolean cleanStart, boolean persistent, EventLoop loop, Object claimant, Ready ready) {
    Session[] replaced = new Session[1];
    boolean[] created = new boolean[1];
    Session session = sessions.compute(clientId, (id, old) -> {
      if (old == null || cleanStart || old.terminated) {
        replaced[0] = old;
        created[0] = true;
        return new Session(id, core, loop, persistent, claimant);
      }
      return old;
    });
    if (created[0]) {
      Session old = replaced[0];
      if (old == null) {
        loop.execute(() -> ready.sessionReady(session, false));
      } else {
        afterPendingReads(old, () -> {
          MqttConnection previous = old.connection();
          if (previous != null) {
            previous.takeOver();
          }
          old.lifecycle.terminateBecause(io.tern.broker.event.SessionEndCause.REPLACED);
          loop.execute(() -> ready.sessionReady(session, false));
        });
      }
      return;
    }
    afterPendingReads(session, () -> {
      if (session.terminated) { // discarded while we were on our way: start again
        connect(clientId, cleanStart, persistent, loop, claimant, ready);
        return;
      }
      MqttConnection previous = session.connection();
      if (previous != null) {
        previous.takeOver(); // detaches the session from it
      }
      session.claimant = claimant;
      session.loop = loop;
      loop.execute(() -> {
        if (session.terminated && session.claimant == claimant) {
          connect(clientId, cleanStart, persistent, loop, claimant, ready);
        } else {
          ready.sessionReady(session, true);
        }
      });
    });
  }
}
