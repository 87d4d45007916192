/**
 * Authentication and authorization SPIs: an {@link io.tern.broker.auth.Authenticator} decides who
 * may connect, an {@link io.tern.broker.auth.Authorizer} what a connected client may publish,
 * subscribe to and receive. Both default to allowing everything.
 *
 * <pre>{@code
 * Broker broker = Broker.builder()
 *     .listener(Listener.tcp(1883))
 *     .authenticator(req -> CompletableFuture.completedFuture(
 *         "secret".equals(req.passwordString()) ? AuthResult.accept(req.username()) : AuthResult.badCredentials()))
 *     .authorizer((client, action, topic, qos) ->
 *         topic.startsWith("user/" + client.username() + "/") ? Permission.ALLOW : Permission.DENY)
 *     .build();
 * }</pre>
 */
package io.tern.broker.auth;
