package io.tern.broker.internal;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.tern.broker.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SslContext} of one TLS listener, rebuilt when its files change. New connections take
 * {@link #current()}; established ones keep the context they started with. A file that fails to
 * load on a change is logged and the previous context stays in use.
 */
final class TlsContext {
  private static final Logger log = LoggerFactory.getLogger(TlsContext.class);

  private final String listenerName;
  private final TlsConfig config;
  private volatile SslContext current;
  private List<String> stamp;
  /** The failure to read the files' attributes last warned about, null while they can be read. */
  private String unreadable;

  /** Builds the context now: a listener with bad TLS files does not start. */
  TlsContext(String listenerName, TlsConfig config) {
    this.listenerName = listenerName;
    this.config = config;
    try {
      this.stamp = stamp();
      this.current = build(config);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("listener " + listenerName + ": cannot load TLS files: " + why(e), e);
    }
    log.info("Listener {}: TLS with {} ({}, client certificates {}, cipher suites {})", listenerName,
        current instanceof io.netty.handler.ssl.JdkSslContext ? SslProvider.JDK : SslProvider.OPENSSL,
        config.protocols(), config.clientAuth().name().toLowerCase(java.util.Locale.ROOT),
        config.ciphers().isEmpty() ? "default" : current.cipherSuites());
    if (config.trustedCertificates() != null && config.clientAuth() == TlsConfig.ClientAuth.NONE) {
      log.warn("Listener {}: a CA file is set but client certificates are not asked for (client_auth: none):"
          + " set client_auth: optional or required for mutual TLS", listenerName);
    }
  }

  /** A file error's message is only the path: what happened to it is the exception's class. */
  private static String why(Exception e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return e.getMessage() + ": no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return e.getMessage() + ": permission denied";
    }
    return e.getMessage();
  }

  SslContext current() {
    return current;
  }

  TlsConfig config() {
    return config;
  }

  /** Reloads the files if their size or modification time changed. Called periodically, on one thread. */
  void reloadIfChanged() {
    List<String> now;
    try {
      now = stamp();
      unreadable = null;
    } catch (IOException e) {
      // Once per kind of failure, not at every check (a file being replaced is missing for a moment,
      // a file removed for good would warn every second for every listener).
      if (!e.toString().equals(unreadable)) {
        unreadable = e.toString();
        log.warn("Listener {}: cannot read the TLS files ({}); keeping the current certificate until they can be read",
            listenerName, e.toString());
      }
      return;
    }
    if (now.equals(stamp)) {
      return;
    }
    // Tried once per change of the files: a file that does not load is warned about once, and
    // tried again when it (or another of them) changes, such as the key written after the certificate.
    stamp = now;
    try {
      current = build(config);
      log.info("Listener {}: TLS certificate files changed, reloaded (new connections use them)", listenerName);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.warn("Listener {}: TLS files changed but do not load ({}); keeping the current certificate until "
          + "they change again", listenerName, e.getMessage());
    }
  }

  private List<String> stamp() throws IOException {
    List<String> s = new ArrayList<>(3);
    for (Path p : new Path[] {config.certificateChain(), config.privateKey(), config.trustedCertificates()}) {
      if (p != null) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        s.add(p + ":" + a.size() + ":" + a.lastModifiedTime().toMillis());
      }
    }
    return s;
  }

  /**
   * The cipher suites offered when the listener names none: TLS 1.3's, and for TLS 1.2 only those
   * with forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20-Poly1305), as the
   * admin server's Jetty and Mozilla's "intermediate" profile. Netty's own default adds RSA key
   * exchange and CBC with SHA-1 for old clients; every MQTT client of the last ten years (OpenSSL
   * 1.0.1+, Java 8+, Node) has these. Those the provider lacks are left out.
   */
  static final List<String> DEFAULT_CIPHERS = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * The suites offered for {@code configured} (the listener's {@code ciphers}): for each TLS
   * version, the suites named for it, or the defaults where none is named. As Mosquitto's
   * {@code ciphers} and {@code ciphers_tls1.3}: naming an older TLS 1.2 suite leaves TLS 1.3 on,
   * and naming only TLS 1.3 suites keeps the default TLS 1.2 ones, rather than none (which
   * turned TLS 1.3 off) or OpenSSL's own list (which let RSA key exchange and CBC in).
   */
  static List<String> ciphers(List<String> configured) {
    List<String> tls13 = tls13Suites(configured);
    List<String> tls12 = configured.stream().filter(n -> !isTls13Suite(n)).toList();
    List<String> offered = new ArrayList<>(tls13.isEmpty() ? DEFAULT_TLS13 : tls13);
    offered.addAll(tls12.isEmpty() ? DEFAULT_CIPHERS.stream().filter(n -> !isTls13Suite(n)).toList() : tls12);
    return offered;
  }

  private static final List<String> DEFAULT_TLS13 = tls13Suites(DEFAULT_CIPHERS);

  private static List<String> tls13Suites(List<String> suites) {
    return suites.stream().filter(TlsContext::isTls13Suite).toList();
  }

  /** TLS 1.3 suites name no key exchange ({@code TLS_AES_128_GCM_SHA256}); the older ones do ({@code _WITH_}). */
  static boolean isTls13Suite(String name) {
    return !name.contains("_WITH_");
  }

  /**
   * OpenSSL (BoringSSL) where it loads, else the JDK's; also the JDK's for an EdDSA key, and for a
   * listener that names some TLS 1.3 suites but not all three: BoringSSL offers every TLS 1.3 suite whatever it is
   * told (they are all AEAD with forward secrecy), and the configuration is kept to the letter.
   */
  static SslProvider provider(TlsConfig c, PrivateKey key) {
    List<String> tls13 = tls13Suites(c.ciphers());
    boolean restricts13 = !tls13.isEmpty() && !tls13.containsAll(DEFAULT_TLS13);
    // An Ed25519/Ed448 key loads, but netty-tcnative's handshake with it fails ("internal error");
    // the JDK's signs with it (TLS 1.3, and TLS 1.2 clients that offer EdDSA).
    boolean edDsa = List.of("Ed25519", "Ed448", "EdDSA").contains(key.getAlgorithm());
    return OpenSsl.isAvailable() && !restricts13 && !edDsa ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  private static SslContext build(TlsConfig c) throws SSLException, GeneralSecurityException {
    X509Certificate[] chain = Pem.certificates(c.certificateChain());
    PrivateKey key = Pem.privateKey(c.privateKey(), c.keyPassword());
    checkKeyMatches(key, chain[0], c);
    warnIfOutOfDate(chain[0], c);
    SslProvider provider = provider(c, key);
    SslContextBuilder b = serverBuilder(c, chain, key, provider);
    if (c.clientAuth() != TlsConfig.ClientAuth.NONE) {
      if (provider == SslProvider.OPENSSL) {
        b.trustManager(new UnknownCaAlert(trustManager(Pem.certificates(c.trustedCertificates()))));
      } else {
        b.trustManager(c.trustedCertificates().toFile());
      }
      b.clientAuth(c.clientAuth() == TlsConfig.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  /**
   * A JDK {@link javax.net.ssl.SSLContext} for a server with {@code c}'s certificate chain and key,
   * read and checked as a listener's are (every key format, the same messages for a wrong
   * password or a key that is not the certificate's), with its protocols and cipher suites: the
   * admin server's HTTPS ({@link TlsServerContexts}).
   */
  static javax.net.ssl.SSLContext jdkServerContext(TlsConfig c) throws SSLException, GeneralSecurityException {
    X509Certificate[] chain = Pem.certificates(c.certificateChain());
    PrivateKey key = Pem.privateKey(c.privateKey(), c.keyPassword());
    checkKeyMatches(key, chain[0], c);
    warnIfOutOfDate(chain[0], c);
    return ((io.netty.handler.ssl.JdkSslContext) serverBuilder(c, chain, key, SslProvider.JDK).build()).context();
  }

  /**
   * One WARN when the certificate is expired or not yet valid: it loads, and every client then
   * refuses the handshake, which the broker sees only as failed handshakes.
   */
  static boolean warnIfOutOfDate(X509Certificate cert, TlsConfig c) {
    java.util.Date now = new java.util.Date();
    if (now.after(cert.getNotAfter())) {
      log.warn("TLS certificate {} expired on {}: clients will refuse the handshake", c.certificateChain(),
          cert.getNotAfter().toInstant());
      return true;
    }
    if (now.before(cert.getNotBefore())) {
      log.warn("TLS certificate {} is not valid before {}: clients will refuse the handshake", c.certificateChain(),
          cert.getNotBefore().toInstant());
      return true;
    }
    return false;
  }

  /** A server context with {@code c}'s key, chain, protocols and cipher suites: a listener's and the admin server's. */
  private static SslContextBuilder serverBuilder(TlsConfig c, X509Certificate[] chain, PrivateKey key,
      SslProvider provider) {
    SslContextBuilder b = SslContextBuilder.forServer(key, c.keyPassword(), chain)
        .sslProvider(provider)
        .protocols(c.protocols());
    b.ciphers(ciphers(c.ciphers()), io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE);
    return b;
  }

  /**
   * Refuses a private key that is not the certificate's: the context would build, and every
   * handshake then fail ("General OpenSslEngine problem"), so a rotation that writes the key and
   * the certificate one after the other would take the listener down. Checked by signing with the
   * key and verifying with the certificate's public key.
   */
  static void checkKeyMatches(PrivateKey read, X509Certificate cert, TlsConfig c) throws GeneralSecurityException {
    // Netty reads PEM through Bouncy Castle when it is on the class path, and its keys (algorithm
    // "ECDSA") are not the JDK's: the JDK's Signature takes the key again from its encoding.
    String kind = read.getAlgorithm().equals("ECDSA") ? "EC" : read.getAlgorithm();
    String algorithm = switch (kind) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> kind;
      case "DSA" -> "SHA256withDSA";
      default -> null; // a kind of key the JDK has no plain signature for: left to the handshake
    };
    if (algorithm == null || !"PKCS#8".equals(read.getFormat())) {
      return;
    }
    PrivateKey key = java.security.KeyFactory.getInstance(kind)
        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(read.getEncoded()));
    byte[] probe = "tern key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Signature sign = Signature.getInstance(algorithm);
    sign.initSign(key);
    sign.update(probe);
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance(algorithm);
    try {
      verify.initVerify(cert.getPublicKey());
      verify.update(probe);
      if (verify.verify(signature)) {
        return;
      }
    } catch (java.security.InvalidKeyException | java.security.SignatureException e) {
      // another kind of key than the certificate's
    }
    throw new GeneralSecurityException("the private key " + c.privateKey() + " is not the key of the certificate "
        + c.certificateChain() + " (" + cert.getSubjectX500Principal().getName() + ")");
  }

  /** The JDK's trust manager for client certificates issued by these CAs. */
  private static javax.net.ssl.X509ExtendedTrustManager trustManager(X509Certificate[] cas)
      throws GeneralSecurityException {
    java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    try {
      store.load(null, null); // an empty store: reads nothing
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    for (int i = 0; i < cas.length; i++) {
      store.setCertificateEntry("ca-" + i, cas[i]);
    }
    javax.net.ssl.TrustManagerFactory f =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    for (javax.net.ssl.TrustManager m : f.getTrustManagers()) {
      if (m instanceof javax.net.ssl.X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager in the JDK");
  }

  /**
   * With OpenSSL, a client certificate that no trusted CA issued was refused with the alert
   * "internal error" (80): Netty gives OpenSSL no verification code for the JDK's "unable to find
   * valid certification path", so clients said "tlsv1 alert internal error" and left the operator
   * guessing. Such a refusal is now "unknown CA" (48), as the JDK's engine and Mosquitto say; other
   * failures (expired, revoked) keep the codes Netty gives them.
   */
  static final class UnknownCaAlert extends javax.net.ssl.X509ExtendedTrustManager {
    /**
     * OpenSSL's (and BoringSSL's) verification code, which it answers with "unknown CA" (tcnative's
     * CertificateVerifier has it, but tcnative is on the class path at run time only).
     */
    static final int X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
    private final javax.net.ssl.X509ExtendedTrustManager trust;

    UnknownCaAlert(javax.net.ssl.X509ExtendedTrustManager trust) {
      this.trust = trust;
    }

    private static java.security.cert.CertificateException unknownCa(java.security.cert.CertificateException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof java.security.cert.CertPathBuilderException) {
          return new io.netty.handler.ssl.OpenSslCertificateException(e.getMessage(), e,
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
        }
      }
      return e;
    }

    private interface Check {
      void run() throws java.security.cert.CertificateException;
    }

    private static void translated(Check check) throws java.security.cert.CertificateException {
      try {
        check.run();
      } catch (java.security.cert.CertificateException e) {
        throw unknownCa(e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
        throws java.security.cert.CertificateException {
      translated(() -> trust.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
        throws java.security.cert.CertificateException {
      translated(() -> trust.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      translated(() -> trust.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
        throws java.security.cert.CertificateException {
      trust.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
        throws java.security.cert.CertificateException {
      trust.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      trust.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  }

  /** Netty's PEM readers (every key format it takes, encrypted ones too), which it keeps protected. */
  private abstract static class Pem extends SslContext {
    static X509Certificate[] certificates(Path file) throws java.security.cert.CertificateException {
      if (!Files.isReadable(file)) {
        throw new java.security.cert.CertificateException(file + ": " + unreadable(file));
      }
      X509Certificate[] chain;
      try {
        chain = toX509Certificates(file.toFile());
      } catch (java.security.cert.CertificateException e) {
        throw new java.security.cert.CertificateException("no PEM certificate in " + file + " (" + e.getMessage() + ")", e);
      }
      if (chain == null || chain.length == 0) {
        throw new java.security.cert.CertificateException("no certificate in " + file);
      }
      return chain;
    }

    /**
     * The key in {@code file}: PKCS#8 ({@code BEGIN PRIVATE KEY}, {@code BEGIN ENCRYPTED PRIVATE
     * KEY}), and through Bouncy Castle (on the class path for this) what OpenSSL writes besides:
     * PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}, after an
     * {@code EC PARAMETERS} block or not) and their encrypted forms ({@code Proc-Type: 4,ENCRYPTED}).
     * A failure says what is most likely wrong: Netty's own reader, tried last, reports a wrong
     * password as "Invalid lenByte".
     */
    static PrivateKey privateKey(Path file, String password) throws GeneralSecurityException {
      if (!Files.isReadable(file)) {
        throw new java.security.KeyException("cannot read the private key " + file + ": " + unreadable(file));
      }
      try {
        return toPrivateKey(file.toFile(), password);
      } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
        String pem;
        try {
          pem = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException unreadable) {
          pem = "";
        }
        boolean encrypted = pem.contains("ENCRYPTED");
        String why = !pem.contains("PRIVATE KEY-----") ? "no PEM private key in it"
            : encrypted && password == null ? "the key is encrypted: set key_password"
            : encrypted ? "wrong key_password, or a damaged key"
            : password != null ? "the key is not encrypted, but key_password is set"
            : "not a key this broker reads (" + e.getMessage() + ")";
        throw new java.security.KeyException("cannot read the private key " + file + ": " + why, e);
      }
    }

    /** Why a file that is not readable is not: it is missing, or its permissions. */
    private static String unreadable(Path file) {
      return Files.exists(file) ? "not readable" : "no such file";
    }
  }

  /** The user name a verified client certificate stands for, by the listener's rule; null if none. */
  static String identity(X509Certificate cert, TlsConfig.Identity rule) {
    switch (rule) {
      case CN:
        try {
          for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
              return rdn.getValue().toString();
            }
          }
        } catch (InvalidNameException e) {
          return null;
        }
        return null;
      case SAN:
        try {
          Collection<List<?>> sans = cert.getSubjectAlternativeNames();
          if (sans == null) {
            return null;
          }
          // The first in the certificate's order (the JDK keeps it) of the names that are text:
          // GeneralName types 1 e-mail, 2 DNS, 6 URI (a SPIFFE id), 7 IP address. It preferred
          // DNS names, so a SPIFFE certificate with a DNS name as well became that DNS name.
          for (List<?> san : sans) {
            int type = (Integer) san.get(0);
            if ((type == 1 || type == 2 || type == 6 || type == 7) && san.get(1) instanceof String s) {
              return s;
            }
          }
        } catch (CertificateParsingException e) {
          return null;
        }
        return null;
      default:
        return null;
    }
  }
}
