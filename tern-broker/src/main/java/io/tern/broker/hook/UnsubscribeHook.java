package io.tern.broker.hook;

import io.tern.broker.auth.ClientInfo;

/**
 * Hook point {@code unsubscribe}: one topic filter of an UNSUBSCRIBE, before the session drops
 * the subscription. Returns the filter to remove: the one given, or another (the counterpart of
 * {@link SubscribeDecision#grant(int, String)}). Hooks run in order, each seeing the previous
 * answer. A hook that throws leaves the filter as it was.
 */
@FunctionalInterface
public interface UnsubscribeHook extends Hook {
  String onUnsubscribe(ClientInfo client, String filter);
}
