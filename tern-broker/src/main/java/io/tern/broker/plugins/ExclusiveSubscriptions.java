package io.tern.broker.plugins;

import io.tern.broker.Broker;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.Registration;
import io.tern.broker.hook.SubscribeDecision;
import io.tern.broker.hook.SubscribeHook;
import io.tern.broker.hook.UnsubscribeHook;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive subscriptions: a SUBSCRIBE to {@code $exclusive/{filter}} subscribes to {@code {filter}}
 * if no other client holds an exclusive subscription to it, and is refused with {@code 0x97 Quota
 * exceeded} otherwise. The hold ends when its client unsubscribes ({@code $exclusive/{filter}} or
 * {@code {filter}}) or its session ends; the next client may then take it. Ordinary subscriptions
 * to the same filter are not affected.
 *
 * <p>A hold is let go when the {@link BrokerEvent.SessionEnded} event of its client comes, at a cost
 * of that client's holds only. Events can be dropped (listeners more than 65,536 behind, {@link
 * Broker#eventsDropped()}), so a refusal first checks that the holder still has a session
 * ({@link io.tern.broker.management.BrokerManagement#hasSession}): a hold whose session is gone is
 * taken over rather than kept for the life of the broker.
 *
 * <pre>{@code
 * Broker.builder().plugin(new ExclusiveSubscriptions())...
 * // the first worker to subscribe to $exclusive/jobs/# gets the jobs; the others are refused
 * }</pre>
 */
public final class ExclusiveSubscriptions implements Plugin, SubscribeHook, UnsubscribeHook {
  /** The filter prefix. */
  public static final String PREFIX = "$exclusive/";

  /** Filter to the client id holding it, and when it was granted. */
  private final ConcurrentHashMap<String, Hold> holders = new ConcurrentHashMap<>();

  /**
   * A hold, with the time it was granted (ms since the epoch, as events' timestamps): the
   * SessionEnded event of a session lets go only the holds granted before it. Listeners may run
   * behind, and a worker that dropped and took its filter again within 50 ms had its new hold let
   * go by its old session's late event, and a second worker was granted the same filter.
   */
  private record Hold(String clientId, long grantedAt) {}
  /** Client id to the filters it holds: a session's end releases its own holds, not a scan of all. */
  private final ConcurrentHashMap<String, Set<String>> held = new ConcurrentHashMap<>();
  private volatile Broker broker;
  private Registration hooks;
  private Registration events;

  @Override
  public void start(Broker broker) {
    this.broker = broker;
    hooks = broker.addHook(this);
    events = broker.onEvent(e -> {
      if (e instanceof BrokerEvent.SessionEnded ended) {
        releaseAll(ended.clientId(), ended.timestamp());
      }
    });
  }

  @Override
  public void stop() {
    if (hooks != null) {
      hooks.remove();
      events.remove();
    }
    holders.clear();
    held.clear();
  }

  /** The client id holding an exclusive subscription to {@code filter}, or {@code null}. */
  public String holder(String filter) {
    Hold h = holders.get(filter);
    return h == null ? null : h.clientId();
  }

  @Override
  public SubscribeDecision onSubscribe(ClientInfo client, String filter, int qos) {
    if (!filter.startsWith(PREFIX)) {
      return SubscribeDecision.CONTINUE;
    }
    String real = filter.substring(PREFIX.length());
    if (real.isEmpty() || !io.tern.codec.Topics.isValidFilter(real) || io.tern.codec.Topics.isShared(real)) {
      return SubscribeDecision.refuse(0x8F); // Topic Filter invalid
    }
    String me = client.clientId();
    Hold mine = new Hold(me, System.currentTimeMillis());
    Hold holder = holders.putIfAbsent(real, mine);
    if (holder != null && holder.clientId().equals(me)) {
      holders.replace(real, holder, mine); // taken again (a new session of the same client): as of now
    } else if (holder != null) {
      Broker b = broker;
      // The holder's session ended without its event reaching us (dropped): take its place.
      if (b == null || b.management().hasSession(holder.clientId()) || !holders.replace(real, holder, mine)) {
        return SubscribeDecision.refuse(0x97); // Quota exceeded: someone else has it
      }
      release(holder.clientId(), real);
    }
    held.computeIfAbsent(me, k -> ConcurrentHashMap.newKeySet()).add(real);
    return SubscribeDecision.grant(qos, real);
  }

  @Override
  public String onUnsubscribe(ClientInfo client, String filter) {
    String real = filter.startsWith(PREFIX) ? filter.substring(PREFIX.length()) : filter;
    Hold h = holders.get(real);
    if (h != null && h.clientId().equals(client.clientId()) && holders.remove(real, h)) {
      release(client.clientId(), real);
    }
    return real;
  }

  private void release(String clientId, String filter) {
    held.computeIfPresent(clientId, (k, filters) -> {
      filters.remove(filter);
      return filters.isEmpty() ? null : filters;
    });
  }

  /** The session of {@code clientId} that ended at {@code endedAt} lets go the holds granted before then. */
  private void releaseAll(String clientId, long endedAt) {
    Set<String> filters = held.get(clientId);
    if (filters == null) {
      return;
    }
    for (String f : filters) {
      Hold h = holders.get(f);
      if (h != null && h.clientId().equals(clientId) && h.grantedAt() < endedAt && holders.remove(f, h)) {
        release(clientId, f);
      }
    }
  }

  @Override
  public String name() {
    return "exclusive subscriptions";
  }

  @Override
  public String toString() {
    return name();
  }
}
