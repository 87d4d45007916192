package io.tern.broker.internal;

import io.tern.broker.store.StoredSubscription;
import java.util.List;

/**
 * The subscriptions of one {@link Session}: its own table of them by filter, their entries in the
 * broker's subscription trie, and, for a session kept in the store, their records there. What the
 * session holds is this table itself (it extends {@link SubscriptionTable} rather than holding one:
 * an object less per subscribed session, and the reference to the session fits in the table's
 * padding, 32 bytes either way); the table's own {@code put} and {@code remove} are for this class:
 * others add and remove through {@link #subscribe}, {@link #subscribeAll} and {@link #unsubscribe},
 * which keep the trie and the store in step. A session without subscriptions holds {@link #NONE},
 * shared and never added to; its first SUBSCRIBE makes its own ({@link Session#subscribing()}).
 * Runs on the session's loop only.
 */
final class SessionSubscriptions extends SubscriptionTable {
  /** Held by every session without subscriptions (never added to: see {@link Session#subscribing()}). */
  static final SessionSubscriptions NONE = new SessionSubscriptions(null);

  private final Session session;

  SessionSubscriptions(Session session) {
    this.session = session;
  }

  /** Adds or replaces a subscription; true when it is new for this session. */
  boolean subscribe(Subscriber s) {
    keep(s);
    return session.core.subscriptions().subscribe(s);
  }

  /**
   * {@link #subscribe} for each of a SUBSCRIBE packet's accepted filters, in order, with one
   * taking of the trie's lock; returns, for each, whether it is new.
   */
  boolean[] subscribeAll(List<Subscriber> subs) {
    for (Subscriber s : subs) {
      keep(s);
    }
    boolean[] isNew = new boolean[subs.size()];
    session.core.subscriptions().subscribeAll(subs, isNew);
    return isNew;
  }

  /** The session's own record of a subscription, and the store's. */
  private void keep(Subscriber s) {
    put(s);
    if (session.storing) {
      session.core.persistence().batch().putSubscription(session.clientId, new StoredSubscription(
          s.filter(), s.qos(), s.noLocal(), s.retainAsPublished(), s.retainHandling(), s.subscriptionId()));
    }
  }

  boolean unsubscribe(String filter) {
    if (remove(filter) == null) {
      return false;
    }
    if (session.inStore) {
      session.core.persistence().batch().removeSubscription(session.clientId, filter);
    }
    session.core.subscriptions().unsubscribe(session, filter);
    return true;
  }

  /** The session ends: its subscriptions leave the trie (the store's records go with the session's). */
  void unsubscribeAll() {
    for (Subscriber sub : values()) {
      session.core.subscriptions().unsubscribe(session, sub.filter());
    }
  }
}
