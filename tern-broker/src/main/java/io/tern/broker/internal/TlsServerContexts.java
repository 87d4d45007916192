package io.tern.broker.internal;

import io.tern.broker.TlsConfig;

/**
 * TLS for servers other than the MQTT listeners (the standalone server's admin HTTPS), with the
 * listeners' reading of the PEM files, checks and messages, so that a key that works on one works
 * on the other and a wrong {@code key_password} is told the same way.
 */
public final class TlsServerContexts {
  private TlsServerContexts() {}

  /**
   * A JDK SSLContext with {@code c}'s certificate chain, key, protocols and cipher suites.
   *
   * @throws IllegalArgumentException when the files cannot be read or do not go together: the
   *     message says which and why, never the password
   */
  public static javax.net.ssl.SSLContext jdk(TlsConfig c) {
    try {
      return TlsContext.jdkServerContext(c);
    } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new IllegalArgumentException("cannot load TLS files: " + why, e);
    }
  }
}
