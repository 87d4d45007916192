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

  /** Builds the context now: a listener with bad TLS files does not start. */
  TlsContext(String listenerName, TlsConfig config) {
    this.listenerName = listenerName;
    this.config = config;
    try {
      this.stamp = stamp();
      this.current = build(config);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("listener " + listenerName + ": cannot load TLS files: " + e.getMessage(), e);
    }
    log.info("Listener {}: TLS with {} ({}, client certificates {})", listenerName, provider(),
        config.protocols(), config.clientAuth().name().toLowerCase(java.util.Locale.ROOT));
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
    } catch (IOException e) {
      log.warn("Listener {}: cannot read the TLS files ({}); keeping the current certificate", listenerName, e.toString());
      return;
    }
    if (now.equals(stamp)) {
      return;
    }
    try {
      SslContext fresh = build(config);
      stamp = now;
      current = fresh;
      log.info("Listener {}: TLS certificate files changed, reloaded (new connections use them)", listenerName);
    } catch (IOException | RuntimeException e) {
      log.warn("Listener {}: TLS files changed but do not load ({}); keeping the current certificate",
          listenerName, e.getMessage());
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

  static SslProvider provider() {
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  private static SslContext build(TlsConfig c) throws SSLException {
    SslContextBuilder b = SslContextBuilder
        .forServer(c.certificateChain().toFile(), c.privateKey().toFile(), c.keyPassword())
        .sslProvider(provider())
        .protocols(c.protocols());
    if (!c.ciphers().isEmpty()) {
      b.ciphers(c.ciphers());
    }
    if (c.clientAuth() != TlsConfig.ClientAuth.NONE) {
      b.trustManager(c.trustedCertificates().toFile());
      b.clientAuth(c.clientAuth() == TlsConfig.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
    }
    return b.build();
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
          // GeneralName types: 2 DNS, 1 e-mail, 6 URI, 7 IP address.
          for (int type : new int[] {2, 1, 6, 7}) {
            for (List<?> san : sans) {
              if (((Integer) san.get(0)) == type && san.get(1) instanceof String s) {
                return s;
              }
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
