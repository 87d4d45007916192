package io.tern.broker.hook;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;

/**
 * Hook point {@code deliver}: one message on its way to one subscriber (through a subscription, or
 * a retained message for a new subscription). Runs on the publisher's thread while the message is
 * routed, after No Local and the authorizer's RECEIVE check; hooks in order, each seeing what the
 * previous one left; the first {@link DeliverDecision#SKIP} ends the chain. Rules (in-process
 * subscribers) do not pass here.
 *
 * <p>On the path of every delivery: without deliver hooks it costs one volatile read per message.
 * A hook that throws skips that subscriber.
 *
 * <pre>{@code
 * DeliverHook redactForGuests = (subscriber, message) ->
 *     "guest".equals(subscriber.username()) ? DeliverDecision.rewrite(message.withPayload("***"))
 *                                           : DeliverDecision.CONTINUE;
 * }</pre>
 */
@FunctionalInterface
public interface DeliverHook extends Hook {
  /**
   * @param subscriber the receiving client (user name and attachment are {@code null} for a
   *     persistent session whose client has not connected since the broker started)
   * @param message the message as published (or as the previous deliver hook rewrote it)
   */
  DeliverDecision onDeliver(ClientInfo subscriber, MqttMessage message);
}
