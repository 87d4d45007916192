package io.tern.broker.hook;

import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ConnectRequest;
import java.util.concurrent.CompletionStage;

/**
 * Hook point {@code connect}: authentication of a CONNECT. The connect hooks run in order; the
 * first one that accepts ({@link AuthResult#accept(String, Object)}) or refuses ({@link
 * AuthResult#refuse(int)}) decides, one that answers {@link AuthResult#pass()} leaves it to the
 * next. When every hook passes, the broker's {@link io.tern.broker.auth.Authenticator} decides
 * (allow all by default). The accepted user name and attachment (the <em>auth info</em>) are what
 * every later hook of the connection sees in its {@link io.tern.broker.auth.ClientInfo}.
 *
 * <p>Asynchronous: return an incomplete stage and complete it from any thread; the connection waits
 * (reading nothing more) up to the broker's hook timeout, then applies {@link #timeoutFallback()}.
 * A hook that throws or fails its stage refuses the client with {@code 0x80 Unspecified error}.
 * When the broker stops waiting (the timeout passed, or the client reset its connection) it cancels
 * the stage ({@code toCompletableFuture().cancel(false)}), so work not yet started can be skipped:
 * return a future of each call's own ({@code shared.copy()}), not one shared between requests.
 *
 * <pre>{@code
 * ConnectHook banned = req -> CompletableFuture.completedFuture(
 *     bannedIds.contains(req.clientId()) ? AuthResult.refuse(AuthResult.BANNED) : AuthResult.pass());
 * }</pre>
 */
@FunctionalInterface
public interface ConnectHook extends Hook {
  CompletionStage<AuthResult> onConnect(ConnectRequest request);

  /** What applies when the stage does not complete within the hook timeout: refuse with {@code 0x88 Server unavailable}. */
  default AuthResult timeoutFallback() {
    return AuthResult.refuse(0x88);
  }
}
