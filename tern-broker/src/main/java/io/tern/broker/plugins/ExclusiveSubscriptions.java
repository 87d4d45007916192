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

  /** Filter to the client id holding it. */
  private final ConcurrentHashMap<String, String> holders = new ConcurrentHashMap<>();
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
        releaseAll(ended.clientId());
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
    return holders.get(filter);
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
    String holder = holders.putIfAbsent(real, me);
    if (holder != null && !holder.equals(me)) {
      Broker b = broker;
      // The holder's session ended without its event reaching us (dropped): take its place.
      if (b == null || b.management().hasSession(holder) || !holders.replace(real, holder, me)) {
        return SubscribeDecision.refuse(0x97); // Quota exceeded: someone else has it
      }
      release(holder, real);
    }
    held.computeIfAbsent(me, k -> ConcurrentHashMap.newKeySet()).add(real);
    return SubscribeDecision.grant(qos, real);
  }

  @Override
  public String onUnsubscribe(ClientInfo client, String filter) {
    String real = filter.startsWith(PREFIX) ? filter.substring(PREFIX.length()) : filter;
    if (holders.remove(real, client.clientId())) {
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

  private void releaseAll(String clientId) {
    Set<String> filters = held.remove(clientId);
    if (filters != null) {
      for (String f : filters) {
        holders.remove(f, clientId);
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
