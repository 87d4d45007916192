package io.tern.server.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Whether clients that are not authenticated (no user name, or no password file to check one
 * against) may connect: {@code allow_anonymous} in the configuration.
 */
public enum AnonymousAccess {
  /** From anywhere. */
  TRUE,
  /** From nowhere. */
  FALSE,
  /** Only from loopback addresses: 127.0.0.0/8 and ::1 (the quick-start default). */
  LOCALHOST;

  /** Whether an unauthenticated client at {@code address} may connect. */
  public boolean allows(InetSocketAddress address) {
    return switch (this) {
      case TRUE -> true;
      case FALSE -> false;
      case LOCALHOST -> address != null && isLoopback(address.getAddress());
    };
  }

  /** 127.0.0.0/8, ::1, and 127.0.0.0/8 written as an IPv4-mapped IPv6 address (::ffff:127.0.0.1). */
  static boolean isLoopback(InetAddress a) {
    if (a == null) {
      return false; // an unresolved address: nothing proves it is local
    }
    if (a.isLoopbackAddress()) {
      return true;
    }
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      for (int i = 0; i < 10; i++) {
        if (b[i] != 0) {
          return false;
        }
      }
      return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF && b[12] == 127;
    }
    return false;
  }

  /** The configuration's spelling: true, false or localhost. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
