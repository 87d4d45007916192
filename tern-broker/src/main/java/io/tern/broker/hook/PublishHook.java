package io.tern.broker.hook;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;

/**
 * Hook point {@code publish}: a PUBLISH from a client, after the protocol checks and the broker's
 * {@link io.tern.broker.auth.Authorizer}, before the message is retained and routed. The hooks run
 * in registration order, each seeing the message as the previous ones left it; the first refusal,
 * {@code handled} or disconnect ends the chain (see {@link PublishDecision}). Messages published
 * from inside the process ({@link io.tern.broker.Broker#publish}) and wills do not pass here (wills
 * pass {@link WillHook}).
 *
 * <p>On the path of every message: when no publish hook is registered it costs one volatile read.
 * Answer from memory and return {@link PublishDecision#CONTINUE} to let a message pass without an
 * allocation. A hook that throws refuses the message with {@code 0x80 Unspecified error}.
 *
 * <pre>{@code
 * PublishHook noEmptyPayloads = (client, message) ->
 *     message.payloadSize() == 0 ? PublishDecision.refuse(0x99) : PublishDecision.CONTINUE;
 * }</pre>
 */
@FunctionalInterface
public interface PublishHook extends Hook {
  /**
   * @param client the publishing client and its auth info ({@link ClientInfo#attachment()})
   * @param message the message as received, or as the previous hook rewrote it
   */
  PublishDecision onPublish(ClientInfo client, MqttMessage message);
}
