package io.tern.broker.plugins;

import io.tern.broker.Broker;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.Registration;
import io.tern.broker.hook.SubscribeDecision;
import io.tern.broker.hook.SubscribeHook;
import io.tern.broker.hook.UnsubscribeHook;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive subscriptions: a SUBSCRIBE to {@code $exclusive/{filter}} subscribes to {@code {filter}}
 * if no other client holds an exclusive subscription to it, and is refused with {@code 0x97 Quota
 * exceeded} otherwise. The hold ends when its client unsubscribes ({@code $exclusive/{filter}} or
 * {@code {filter}}) or its session ends; the next client may then take it. Ordinary subscriptions
 * to the same filter are not affected.
 *
 * <pre>{@code
 * Broker.builder().plugin(new ExclusiveSubscriptions())...
 * // the first worker to subscribe to $exclusive/jobs/# gets the jobs; the others are refused
 * }</pre>
 */
public final class ExclusiveSubscriptions implements Plugin, SubscribeHook, UnsubscribeHook {
  /** The filter prefix. */
  public static final String PREFIX = "$exclusive/";

  private final ConcurrentHashMap<String, String> holders = new ConcurrentHashMap<>();
  private Registration hooks;
  private Registration events;

  @Override
  public void start(Broker broker) {
    hooks = broker.addHook(this);
    events = broker.onEvent(e -> {
      if (e instanceof BrokerEvent.SessionEnded ended) {
        holders.values().removeIf(ended.clientId()::equals);
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
    String holder = holders.putIfAbsent(real, client.clientId());
    if (holder != null && !holder.equals(client.clientId())) {
      return SubscribeDecision.refuse(0x97); // Quota exceeded: someone else has it
    }
    return SubscribeDecision.grant(qos, real);
  }

  @Override
  public String onUnsubscribe(ClientInfo client, String filter) {
    String real = filter.startsWith(PREFIX) ? filter.substring(PREFIX.length()) : filter;
    holders.remove(real, client.clientId());
    return real;
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
