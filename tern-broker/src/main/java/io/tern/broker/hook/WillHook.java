package io.tern.broker.hook;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;

/**
 * Hook point {@code will}: a client's will message about to be published (its connection ended
 * without a normal DISCONNECT, or its Will Delay Interval ran out). {@link PublishDecision#CONTINUE}
 * publishes it, {@code rewrite} publishes another message, {@code refuse}, {@code handled} or
 * {@code disconnect} suppress it. {@code async} answers later (within its timeout, else its
 * fallback applies); the will is published then, by the loop of the connection it belonged to. A
 * will still waiting for an answer when the broker stops is not published. A hook that throws
 * suppresses the will.
 */
@FunctionalInterface
public interface WillHook extends Hook {
  /**
   * @param client the client whose will it is (for a will published after its Will Delay
   *     Interval, only the client id is known)
   */
  PublishDecision onWill(ClientInfo client, MqttMessage will);
}
