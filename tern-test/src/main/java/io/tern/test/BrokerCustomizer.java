package io.tern.test;

import io.tern.broker.Broker;

/**
 * Changes the {@link Broker.Builder} of a test broker before it is built; named by {@link
 * TernBroker#customizer()}.
 *
 * <pre>{@code
 * public class OnlyAlice implements BrokerCustomizer {
 *   public void customize(Broker.Builder b) {
 *     b.authenticator(req -> CompletableFuture.completedFuture(
 *         "alice".equals(req.username()) ? AuthResult.accept("alice") : AuthResult.notAuthorized()));
 *   }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface BrokerCustomizer {
  void customize(Broker.Builder builder);

  /** Changes nothing: the default. */
  final class None implements BrokerCustomizer {
    @Override
    public void customize(Broker.Builder builder) {}
  }
}
