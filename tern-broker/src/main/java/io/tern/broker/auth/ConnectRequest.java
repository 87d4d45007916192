package io.tern.broker.auth;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a client presented when it connected.
 *
 * @param clientId the client identifier (the one the broker assigned, if the client sent none)
 * @param username the user name from CONNECT, or the identity from the client certificate when the
 *     listener takes it as the user name ({@link #certificateIdentity}); {@code null} when none
 * @param password the password bytes from CONNECT, {@code null} when none; a copy the
 *     authenticator may clear after use
 * @param remoteAddress the client's address: with the PROXY protocol, the one the proxy reported
 * @param listenerName the {@link io.tern.broker.Listener#name() listener} the client connected to
 * @param peerCertificates the client's TLS certificate chain, verified against the listener's CA;
 *     empty without TLS or without a client certificate
 * @param certificateIdentity whether {@code username} was taken from the verified client
 *     certificate (the listener's {@code identity_as_username}): the client is then already
 *     authenticated by TLS, and a password is not expected
 */
public record ConnectRequest(
    String clientId,
    String username,
    byte[] password,
    InetSocketAddress remoteAddress,
    String listenerName,
    List<X509Certificate> peerCertificates,
    boolean certificateIdentity) {

  public ConnectRequest {
    peerCertificates = List.copyOf(peerCertificates);
  }

  /** The password as UTF-8 text (MQTT passwords are binary, but usually text), or {@code null}. */
  public String passwordString() {
    return password == null ? null : new String(password, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() { // never the password
    return "ConnectRequest[clientId=" + clientId + ", username=" + username + ", remote=" + remoteAddress
        + ", listener=" + listenerName + ", certificates=" + peerCertificates.size() + "]";
  }
}
