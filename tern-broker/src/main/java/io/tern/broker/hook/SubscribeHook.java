package io.tern.broker.hook;

import io.tern.broker.auth.ClientInfo;

/**
 * Hook point {@code subscribe}: one topic filter of a SUBSCRIBE, after the broker's own checks
 * (limits, shared/wildcard availability) and its {@link io.tern.broker.auth.Authorizer}. Hooks run
 * in order; each may lower the QoS, replace the filter, refuse (ends the chain) or answer later
 * (see {@link SubscribeDecision}). A hook that throws refuses the filter with {@code 0x80}.
 *
 * <pre>{@code
 * SubscribeHook qos0ForGuests = (client, filter, qos) ->
 *     "guest".equals(client.username()) ? SubscribeDecision.grant(0) : SubscribeDecision.CONTINUE;
 * }</pre>
 */
@FunctionalInterface
public interface SubscribeHook extends Hook {
  /**
   * @param client the subscribing client and its auth info
   * @param filter the topic filter as sent ({@code $share/...} included), or as a previous hook replaced it
   * @param qos the QoS asked for (capped by the broker's maximum and previous grants)
   */
  SubscribeDecision onSubscribe(ClientInfo client, String filter, int qos);
}
