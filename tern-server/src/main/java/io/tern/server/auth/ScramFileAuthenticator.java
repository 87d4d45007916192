package io.tern.server.auth;

import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.AuthStep;
import io.tern.broker.auth.EnhancedAuthRequest;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.broker.auth.ScramSha256Authenticator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * SCRAM-SHA-256 logins (MQTT 5 enhanced authentication) over the users of the password file that
 * have a SCRAM credential ({@code tern passwd --scram}), limited and counted together with the
 * password checks of {@link PasswordAuthenticator}: the same lockout after wrong passwords from an
 * address or for a user, the same counters. An accepted user is an {@link AuthenticatedUser} for the ACL.
 */
final class ScramFileAuthenticator implements EnhancedAuthenticator {
  private final Supplier<PasswordFile> passwords;
  private final PasswordAuthenticator limits;
  private final ScramSha256Authenticator scram;

  ScramFileAuthenticator(Supplier<PasswordFile> passwords, PasswordAuthenticator limits) {
    this.passwords = passwords;
    this.limits = limits;
    this.scram = new ScramSha256Authenticator(user -> passwords.get().scram(user), AuthenticatedUser::new,
        () -> passwords.get().commonScramIterations());
  }

  @Override
  public Exchange begin(EnhancedAuthRequest request) {
    Exchange exchange = scram.begin(request);
    return new Exchange() {
      private String user;

      @Override
      public CompletionStage<AuthStep> start(byte[] data) {
        user = userOf(data);
        String locked = user == null ? null : limits.lockedOut(user, request.remoteAddress());
        if (locked != null) {
          return CompletableFuture.completedFuture(AuthStep.fail(AuthResult.badCredentials()
              .because(ScramSha256Authenticator.METHOD + " user " + user + ": " + locked)));
        }
        return exchange.start(data);
      }

      @Override
      public CompletionStage<AuthStep> respond(byte[] data) {
        return exchange.respond(data).thenApply(step -> {
          if (user == null || step.isChallenge()) {
            return step;
          }
          int failures = limits.loginEnded(user, request.remoteAddress(), step.isSuccess(),
              passwords.get().scram(user) != null);
          if (failures == 0 || step.result().detail() == null) {
            return step;
          }
          return AuthStep.fail(step.result().because(step.result().detail() + "; " + failures
              + " failures from this address"));
        });
      }
    };
  }

  /** The {@code n=} attribute of a client-first-message ({@code gs2-header n=user,r=...}), as sent; or null. */
  static String userOf(byte[] clientFirst) {
    if (clientFirst == null) {
      return null;
    }
    String m = new String(clientFirst, StandardCharsets.UTF_8);
    int c1 = m.indexOf(',');
    int c2 = c1 < 0 ? -1 : m.indexOf(',', c1 + 1);
    if (c2 < 0 || !m.startsWith("n=", c2 + 1)) {
      return null;
    }
    int end = m.indexOf(',', c2 + 3);
    return end < 0 ? null : m.substring(c2 + 3, end).replace("=2C", ",").replace("=3D", "=");
  }

  @Override
  public String toString() {
    return ScramSha256Authenticator.METHOD + " (password file)";
  }
}
