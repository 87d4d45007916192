package io.tern.broker.auth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client may connect, once per CONNECT.
 *
 * <p>Called on the connection's event loop: return at once, and do anything slow (a password hash,
 * a remote lookup) on another thread, completing the returned stage from there. The connection waits
 * for it (holding whatever the client sends meanwhile, and subject to the CONNECT timeout), then
 * continues on its own loop. A stage that completes exceptionally refuses the client with
 * {@code 0x80 Unspecified error} (MQTT 3: server unavailable).
 *
 * <p>Must be thread-safe: one instance serves every connection.
 *
 * <pre>{@code
 * Authenticator onlyAlice = req -> CompletableFuture.completedFuture(
 *     "alice".equals(req.username()) ? AuthResult.accept("alice") : AuthResult.notAuthorized());
 * }</pre>
 */
@FunctionalInterface
public interface Authenticator {
  /** Accepts everyone, anonymous clients included, with the user name they sent. */
  Authenticator ALLOW_ALL = new Authenticator() {
    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      return CompletableFuture.completedFuture(AuthResult.accept(request.username()));
    }

    @Override
    public String toString() {
      return "allow all";
    }
  };

  CompletionStage<AuthResult> authenticate(ConnectRequest request);
}
