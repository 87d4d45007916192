package io.tern.broker.internal;

import io.tern.broker.event.BrokerEvent;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.ReasonCodes;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import io.tern.codec.Topics;
import io.tern.codec.UnsubAck;
import io.tern.codec.Unsubscribe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The SUBSCRIBE and UNSUBSCRIBE packets one connected client sends: what the broker allows per
 * filter (shared and wildcard subscriptions, the authorizer, the per-client quotas), the subscribe
 * and unsubscribe hooks, the session's subscriptions, the SUBACK or UNSUBACK, the events, and the
 * retained messages a new subscription gets. Owns when this connection last logged a quota refusal
 * ({@link #QUOTA_LOG_NANOS}); the session, client and version are its {@link MqttConnection}'s. Made
 * by the connection on the first of these packets, one per connection; runs on the channel's event
 * loop only, as the connection does.
 */
final class SubscriptionRequests {
  /** A connection's quota refusals are logged at most this often: one line, not one per SUBSCRIBE it repeats. */
  static final long QUOTA_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final MqttConnection conn;
  private final BrokerCore core;
  private final PacketWriter writer;
  /** When a subscription refused over a per-client quota was last logged ({@link #QUOTA_LOG_NANOS}); 0: never. */
  private long quotaLoggedAtNanos;

  SubscriptionRequests(MqttConnection conn, BrokerCore core, PacketWriter writer) {
    this.conn = conn;
    this.core = core;
    this.writer = writer;
  }

  void onSubscribe(Subscribe s) {
    io.tern.broker.BrokerConfig cfg = core.config();
    int n = s.subscriptions().size();
    int subscriptionId = s.properties().subscriptionIdentifiers().isEmpty()
        ? 0 : s.properties().subscriptionIdentifiers().get(0);
    if (subscriptionId != 0 && !cfg.subscriptionIdentifiersAvailable()) {
      conn.violation(ReasonCodes.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
          "SUBSCRIBE with a Subscription Identifier");
      return;
    }
    // First what the broker decides per filter, then the subscribe hooks (which may answer later).
    HookChain.Sub[] outcomes = new HookChain.Sub[n];
    String[] refusedWhy = new String[n];
    boolean hooks = core.hooks().hasSubscribeHooks();
    java.util.List<java.util.concurrent.CompletableFuture<HookChain.Sub>> waiting = null;
    // max_subscriptions_per_client counts the filters this packet adds too: the session takes them
    // only once all are decided, and one SUBSCRIBE may carry tens of thousands.
    int held = conn.session.subscriptions().size();
    long heldBytes = conn.session.subscriptions().bytes();
    // The filters this packet adds, so that one it names twice counts once: only needed when the
    // packet could take the session to a quota (a set of a SUBSCRIBE's filters was a quarter of
    // the time of subscribing, in a profile of 100-filter SUBSCRIBEs).
    java.util.Set<String> adding = n > 1 && mayReachQuota(s, held, heldBytes, cfg) ? new java.util.HashSet<>(2 * n) : null;
    // overQuota: whether a quota refusal of this SUBSCRIBE, or of this connection in the last
    // minute, was logged; the next ones are only counted.
    boolean overQuota = quotaLoggedAtNanos != 0 && System.nanoTime() - quotaLoggedAtNanos < QUOTA_LOG_NANOS;
    for (int i = 0; i < n; i++) {
      Subscription sub = s.subscriptions().get(i);
      boolean shared = Topics.isShared(sub.filter());
      int failure = 0;
      if (shared && !cfg.sharedSubscriptionsAvailable()) {
        failure = ReasonCodes.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
      } else if (!cfg.wildcardSubscriptionsAvailable() && Topics.hasWildcard(Topics.topicFilterOf(sub.filter()))) {
        failure = ReasonCodes.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED;
      }
      if (failure != 0) {
        outcomes[i] = HookChain.Sub.done(failure, sub.filter());
        refusedWhy[i] = ReasonCodes.describe(failure);
        continue;
      }
      boolean replaces = conn.session.subscriptions().contains(sub.filter())
          || (adding != null && adding.contains(sub.filter()));
      int granted = core.access().grant(conn.client, sub.filter(), Math.min(sub.qos(), cfg.maxQos()), held,
          heldBytes, replaces, !overQuota);
      if (granted == ReasonCodes.QUOTA_EXCEEDED && !overQuota) {
        overQuota = true;
        quotaLoggedAtNanos = System.nanoTime() | 1; // never 0
      }
      if (granted < 0x80 && !replaces) {
        held++;
        heldBytes += SubscriptionTable.cost(sub.filter());
        if (adding != null) {
          adding.add(sub.filter());
        }
      }
      HookChain.Sub outcome = granted < 0x80 && hooks
          ? core.hooks().subscribe(conn.client, sub.filter(), granted) : HookChain.Sub.done(granted, sub.filter());
      outcomes[i] = outcome;
      if (outcome.pending() != null) {
        if (waiting == null) {
          waiting = new ArrayList<>(n);
        }
        waiting.add(outcome.pending());
      }
    }
    if (waiting == null) {
      finishSubscribe(s, outcomes, refusedWhy, subscriptionId);
      return;
    }
    conn.awaitHook(
        java.util.concurrent.CompletableFuture.allOf(waiting.toArray(new java.util.concurrent.CompletableFuture<?>[0])),
        ignored -> {
          for (int i = 0; i < n; i++) {
            if (outcomes[i].pending() != null) {
              outcomes[i] = outcomes[i].pending().join();
            }
          }
          finishSubscribe(s, outcomes, refusedWhy, subscriptionId);
        });
  }

  /** Whether all of {@code s}'s filters, each counted as new, would take the session past a quota. */
  private static boolean mayReachQuota(Subscribe s, int held, long heldBytes, io.tern.broker.BrokerConfig cfg) {
    List<Subscription> subs = s.subscriptions();
    if (held + subs.size() > cfg.maxSubscriptionsPerClient()) {
      return true;
    }
    long bytes = heldBytes;
    for (int i = 0; i < subs.size(); i++) {
      bytes += SubscriptionTable.cost(subs.get(i).filter());
    }
    return bytes > cfg.maxSubscriptionBytesPerClient();
  }

  /**
   * Makes the subscriptions the checks and hooks granted, answers SUBACK, then sends retained
   * messages: in the retained order when any may go ({@link BrokerCore#subscribeInRetainedOrder}).
   */
  private void finishSubscribe(Subscribe s, HookChain.Sub[] outcomes, String[] refusedWhy, int subscriptionId) {
    int n = outcomes.length;
    List<Integer> codes = new ArrayList<>(n);
    List<Subscriber> accepted = new ArrayList<>(n);
    StringBuilder refused = null;
    for (int i = 0; i < n; i++) {
      Subscription sub = s.subscriptions().get(i);
      int granted = outcomes[i].code();
      String filter = outcomes[i].filter();
      if (granted >= 0x80) {
        codes.add(conn.version.isV5() ? granted : ReasonCodes.V3_SUBACK_FAILURE); // v3.1.1: 0x80 Failure
        if (refusedWhy[i] != null) {
          refused = (refused == null ? new StringBuilder() : refused.append("; "))
              .append(sub.filter()).append(": ").append(refusedWhy[i]);
        }
        conn.clientError(granted, "subscription to " + sub.filter() + " refused");
        continue;
      }
      accepted.add(Subscriber.of(conn.session, filter, granted, sub.noLocal(), sub.retainAsPublished(),
          sub.retainHandling(), subscriptionId));
      codes.add(granted);
    }
    MqttProperties properties = refused == null ? MqttProperties.EMPTY : conn.problem(refused.toString());
    boolean retainedMayGo = false;
    for (Subscriber entry : accepted) {
      retainedMayGo |= !entry.shared() && entry.retainHandling() != 2;
    }
    if (retainedMayGo) {
      core.subscribeInRetainedOrder(() -> subscribeAndAnswer(s.packetId(), accepted, codes, properties));
    } else {
      subscribeAndAnswer(s.packetId(), accepted, codes, properties);
    }
  }

  private void subscribeAndAnswer(int packetId, List<Subscriber> accepted, List<Integer> codes,
      MqttProperties properties) {
    // All of the packet's subscriptions at once, in order (a filter twice replaces itself, MQTT-3.8.4-3).
    boolean[] isNew = accepted.isEmpty() ? new boolean[0] : conn.session.subscribing().subscribeAll(accepted);
    List<Subscriber> retainedFor = new ArrayList<>(accepted.size());
    Events ev = core.events();
    for (int k = 0; k < accepted.size(); k++) {
      Subscriber entry = accepted.get(k);
      if (ev.active()) {
        ev.emit(new BrokerEvent.Subscribed(System.currentTimeMillis(), conn.clientId, entry.filter(), entry.qos()));
      }
      // Retain Handling 0: send retained; 1: only for a new subscription; 2: never (v5 3.8.3.1).
      // Never on a shared subscription (v5 section 4.8.2).
      int handling = entry.retainHandling();
      if (!entry.shared() && (handling == 0 || (handling == 1 && isNew[k]))) {
        retainedFor.add(entry);
      }
    }
    if (!answer(new SubAck(packetId, codes, properties), new SubAck(packetId, codes, MqttProperties.EMPTY))) {
      return; // disconnected: no retained messages
    }
    for (Subscriber entry : retainedFor) {
      // Drained by the session's loop as a task: on this loop, after this read's SUBACK is flushed;
      // a session on another loop may send them first, as MQTT allows (3.8.4).
      core.sendRetained(conn.session, entry);
    }
  }

  void onUnsubscribe(Unsubscribe u) {
    List<Integer> codes = new ArrayList<>(u.filters().size());
    Events ev = core.events();
    for (String requested : u.filters()) {
      String filter = core.hooks().unsubscribe(conn.client, requested);
      boolean existed = conn.session.subscriptions().unsubscribe(filter);
      codes.add(existed ? ReasonCodes.SUCCESS : ReasonCodes.NO_SUBSCRIPTION_EXISTED);
      if (existed && ev.active()) {
        ev.emit(new BrokerEvent.Unsubscribed(System.currentTimeMillis(), conn.clientId, filter));
      }
    }
    UnsubAck ack = new UnsubAck(u.packetId(), conn.version.isV5() ? codes : List.of(), MqttProperties.EMPTY);
    answer(ack, ack);
  }

  /**
   * Writes a SUBACK or UNSUBACK within the client's Maximum Packet Size (MQTT-3.1.2-24): {@code
   * bare}, without the Reason String, when only that is too much (MQTT-3.9.2-1); when its reason
   * codes alone are (one a filter: a client announcing 64 bytes sent 80 filters), DISCONNECT 0x95,
   * as for a CONNACK that cannot fit: the answer cannot be left out. False when disconnected.
   */
  private boolean answer(MqttPacket ack, MqttPacket bare) {
    long max = conn.clientMaxPacketSize;
    if (max < MqttDecoder.PROTOCOL_MAX_PACKET_SIZE && MqttEncoder.encodedSize(ack, conn.version) > max) {
      int size = MqttEncoder.encodedSize(bare, conn.version);
      if (size > max) {
        conn.disconnect(ReasonCodes.PACKET_TOO_LARGE, "a " + bare.type() + " of " + size
            + " bytes would exceed the client's Maximum Packet Size (" + max + " bytes)");
        return false;
      }
      ack = bare;
    }
    writer.write(ack);
    return true;
  }
}
