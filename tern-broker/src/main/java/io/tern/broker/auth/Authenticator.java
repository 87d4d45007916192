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
public interface Authenticator extends io.tern.broker.hook.ConnectHook {
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

  /** As a {@link io.tern.broker.hook.ConnectHook}: the authenticator's answer. */
  @Override
  default CompletionStage<AuthResult> onConnect(ConnectRequest request) {
    return authenticate(request);
  }

  /**
   * Asks each authenticator in turn: the first that accepts or refuses decides; one that answers
   * {@link AuthResult#pass()} leaves it to the next. When all pass: {@code 0x87 Not authorized}.
   * For example a static table of service accounts in front of an LDAP lookup. One that fails
   * (throws, fails its stage or answers null: the LDAP server is down) fails the chain: the client
   * is refused as for any failing authenticator ({@code 0x80}, logged), not handed to the next one,
   * so that an outage never lets a more lenient authenticator (a guest account) decide.
   */
  static Authenticator chain(Authenticator... authenticators) {
    java.util.List<Authenticator> list = java.util.List.of(authenticators);
    return new Authenticator() {
      @Override
      public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
        return next(request, 0);
      }

      private CompletionStage<AuthResult> next(ConnectRequest request, int i) {
        if (i == list.size()) {
          return CompletableFuture.completedFuture(AuthResult.notAuthorized());
        }
        CompletionStage<AuthResult> stage;
        try {
          stage = list.get(i).authenticate(request);
        } catch (RuntimeException e) {
          stage = CompletableFuture.failedFuture(e);
        }
        if (stage == null) {
          return CompletableFuture.failedFuture(new NullPointerException(list.get(i) + " answered null"));
        }
        return stage.thenCompose(r -> {
          if (r == null) {
            throw new NullPointerException(list.get(i) + " answered null");
          }
          return r.isPass() ? next(request, i + 1) : CompletableFuture.completedFuture(r);
        });
      }

      @Override
      public String toString() {
        return "chain" + list;
      }
    };
  }
}
