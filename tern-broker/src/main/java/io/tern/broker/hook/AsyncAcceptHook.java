package io.tern.broker.hook;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;

/**
 * Hook point {@code accept}, answered asynchronously: for a decision that needs a lookup elsewhere
 * (an IP reputation service, a shared blocklist). Same place in the chain and the same rules as
 * {@link AcceptHook}, with which it shares the chain in order of registration; while the stage is
 * pending nothing is read from the socket. It must complete within the broker's hook timeout
 * (and before the connect timeout, which closes a connection that has not sent CONNECT), else
 * {@link #timeoutFallback()} applies. A hook that throws or fails its stage refuses.
 *
 * <pre>{@code
 * AsyncAcceptHook reputation = (remote, listener) ->
 *     reputationService.isBlocked(remote.getAddress()).thenApply(blocked -> !blocked);
 * }</pre>
 */
@FunctionalInterface
public interface AsyncAcceptHook extends Hook {
  /** Completes with true to serve the connection, false to close it. */
  CompletionStage<Boolean> onAccept(InetSocketAddress remote, String listenerName);

  /** What applies when the stage does not complete within the hook timeout: refuse. */
  default boolean timeoutFallback() {
    return false;
  }
}
