package io.tern.broker.auth;

import java.net.InetSocketAddress;

/**
 * A connected, authenticated client, as the {@link Authorizer} sees it.
 *
 * @param clientId the client identifier
 * @param username the user name the {@link Authenticator} accepted, or {@code null} (anonymous)
 * @param remoteAddress the client's address (with the PROXY protocol, the one the proxy reported)
 * @param listenerName the listener the client connected to
 * @param attachment what the authenticator attached ({@link AuthResult#accept(String, Object)}), or {@code null}
 */
public record ClientInfo(
    String clientId, String username, InetSocketAddress remoteAddress, String listenerName, Object attachment) {}
