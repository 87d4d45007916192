package io.tern.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * TLS settings of a listener: the server's PEM certificate chain and private key, the protocols and
 * ciphers, whether clients must present a certificate, and how often the files are checked for
 * changes (a changed certificate applies to new connections without a restart).
 *
 * <p>OpenSSL (BoringSSL, through netty-tcnative) is used where it loads, the JDK's TLS otherwise.
 *
 * <pre>{@code
 * TlsConfig tls = TlsConfig.builder(Path.of("server.crt"), Path.of("server.key"))
 *     .clientAuth(TlsConfig.ClientAuth.REQUIRED)
 *     .trustedCertificates(Path.of("ca.crt"))
 *     .identityAsUsername(TlsConfig.Identity.CN)
 *     .build();
 * }</pre>
 *
 * @param certificateChain PEM file: the server certificate first, then intermediates
 * @param privateKey PEM file: the private key, PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA
 *     ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}); encrypted (PKCS#8 or
 *     OpenSSL's {@code Proc-Type: 4,ENCRYPTED}) when {@code keyPassword} is set
 * @param keyPassword the key's password, {@code null} for an unencrypted key
 * @param protocols the TLS versions offered: a subset of {@code TLSv1.2}, {@code TLSv1.3}
 * @param ciphers cipher suites (names as in the JDK), empty for Tern's default: TLS 1.3's, and for
 *     TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 (no RSA key exchange, no CBC). Suites named
 *     for one TLS version replace the defaults of that version only: TLS 1.2 suites alone leave
 *     the TLS 1.3 defaults on, TLS 1.3 suites alone the TLS 1.2 defaults
 * @param clientAuth whether clients present certificates
 * @param trustedCertificates PEM bundle of the CAs client certificates are verified against;
 *     required unless {@code clientAuth} is {@link ClientAuth#NONE}
 * @param identityAsUsername take the user name from the verified client certificate
 * @param reloadCheckInterval how often the files are checked for changes; zero: never
 */
public record TlsConfig(
    Path certificateChain,
    Path privateKey,
    String keyPassword,
    List<String> protocols,
    List<String> ciphers,
    ClientAuth clientAuth,
    Path trustedCertificates,
    Identity identityAsUsername,
    Duration reloadCheckInterval) {

  /** Whether clients present a certificate. */
  public enum ClientAuth {
    /** Not asked for. */
    NONE,
    /** Asked for; verified when presented; a client without one still connects. */
    OPTIONAL,
    /** Required and verified: the handshake fails without a valid one. */
    REQUIRED
  }

  /** Which part of a verified client certificate becomes the user name. */
  public enum Identity {
    /** None: the user name is the one from CONNECT. */
    NONE,
    /** The subject's common name (CN). */
    CN,
    /** The first subject alternative name (DNS, e-mail, URI or IP, in that order of preference). */
    SAN
  }

  public TlsConfig {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    protocols = List.copyOf(protocols);
    ciphers = List.copyOf(ciphers);
    Objects.requireNonNull(clientAuth, "clientAuth");
    Objects.requireNonNull(identityAsUsername, "identityAsUsername");
    Objects.requireNonNull(reloadCheckInterval, "reloadCheckInterval");
    if (protocols.isEmpty()) {
      throw new IllegalArgumentException("at least one TLS protocol is required");
    }
    for (String p : protocols) {
      if (!p.equals("TLSv1.2") && !p.equals("TLSv1.3")) {
        throw new IllegalArgumentException("TLS protocol must be TLSv1.2 or TLSv1.3, got " + p);
      }
    }
    // Suites of a version the listener does not offer would change nothing: the defaults of the
    // offered version would stand, and the one who wrote them would think they were in force.
    List<String> offered = protocols;
    if (!ciphers.isEmpty() && ciphers.stream().noneMatch(c -> offered.contains(
        c.contains("_WITH_") ? "TLSv1.2" : "TLSv1.3"))) {
      throw new IllegalArgumentException("the cipher suites named are all for "
          + (protocols.contains("TLSv1.3") ? "TLSv1.2" : "TLSv1.3") + ", which protocols leaves out (" + protocols
          + "): name suites of " + protocols + ", or none for the defaults");
    }
    if (clientAuth != ClientAuth.NONE && trustedCertificates == null) {
      throw new IllegalArgumentException("client certificates need trusted CA certificates");
    }
    if (identityAsUsername != Identity.NONE && clientAuth == ClientAuth.NONE) {
      throw new IllegalArgumentException("identity as user name needs client certificates (optional or required)");
    }
    if (reloadCheckInterval.isNegative()) {
      throw new IllegalArgumentException("reload check interval must not be negative");
    }
  }

  public static Builder builder(Path certificateChain, Path privateKey) {
    return new Builder(certificateChain, privateKey);
  }

  /** Builds a {@link TlsConfig}: TLS 1.2 and 1.3, default ciphers, no client certificates, checked every 10 s. */
  public static final class Builder {
    private final Path certificateChain;
    private final Path privateKey;
    private String keyPassword;
    private List<String> protocols = List.of("TLSv1.3", "TLSv1.2");
    private List<String> ciphers = List.of();
    private ClientAuth clientAuth = ClientAuth.NONE;
    private Path trustedCertificates;
    private Identity identityAsUsername = Identity.NONE;
    private Duration reloadCheckInterval = Duration.ofSeconds(10);

    private Builder(Path certificateChain, Path privateKey) {
      this.certificateChain = certificateChain;
      this.privateKey = privateKey;
    }

    public Builder keyPassword(String password) {
      this.keyPassword = password;
      return this;
    }

    public Builder protocols(List<String> list) {
      this.protocols = list;
      return this;
    }

    public Builder ciphers(List<String> list) {
      this.ciphers = list;
      return this;
    }

    public Builder clientAuth(ClientAuth auth) {
      this.clientAuth = auth;
      return this;
    }

    public Builder trustedCertificates(Path caBundle) {
      this.trustedCertificates = caBundle;
      return this;
    }

    public Builder identityAsUsername(Identity identity) {
      this.identityAsUsername = identity;
      return this;
    }

    public Builder reloadCheckInterval(Duration interval) {
      this.reloadCheckInterval = interval;
      return this;
    }

    public TlsConfig build() {
      return new TlsConfig(certificateChain, privateKey, keyPassword, protocols, ciphers, clientAuth,
          trustedCertificates, identityAsUsername, reloadCheckInterval);
    }
  }
}
