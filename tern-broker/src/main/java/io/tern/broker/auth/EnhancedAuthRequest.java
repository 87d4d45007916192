package io.tern.broker.auth;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What an {@link EnhancedAuthenticator} knows when an exchange begins.
 *
 * @param method the Authentication Method the client named
 * @param clientId the client identifier (the one the broker assigned, if the client sent none)
 * @param username the user name of the CONNECT, or {@code null}; a claim, not yet an identity
 * @param remoteAddress the client's address (with the PROXY protocol, the one the proxy reported)
 * @param listenerName the listener the client connected to
 * @param peerCertificates the client's verified TLS certificate chain; empty without one
 * @param current for a re-authentication, the client as it is authenticated now; {@code null} for a CONNECT
 */
public record EnhancedAuthRequest(
    String method,
    String clientId,
    String username,
    InetSocketAddress remoteAddress,
    String listenerName,
    List<X509Certificate> peerCertificates,
    ClientInfo current) {

  public EnhancedAuthRequest {
    peerCertificates = List.copyOf(peerCertificates);
  }

  /** Whether this is a re-authentication (AUTH {@code 0x19}) of a connected client. */
  public boolean reauthentication() {
    return current != null;
  }
}
