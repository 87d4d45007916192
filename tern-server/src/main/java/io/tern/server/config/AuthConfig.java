package io.tern.server.config;

import io.tern.server.auth.AnonymousAccess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Who may connect and what they may do, under {@code auth:}.
 *
 * @param passwordFile the password file ({@code tern passwd}), or {@code null}: user names are not checked
 * @param aclFile the ACL file, or {@code null}: every client may publish and subscribe to anything
 * @param allowAnonymous whether clients without a verified user name may connect
 * @param reloadCheckInterval how often the files are checked for changes; zero: never (SIGHUP still reloads)
 * @param lockoutLoopback whether wrong passwords from loopback addresses count towards the lockouts
 *     (by default they do not: see {@code lockout_loopback} in docs/configuration.md)
 */
public record AuthConfig(Path passwordFile, Path aclFile, AnonymousAccess allowAnonymous, Duration reloadCheckInterval,
    boolean lockoutLoopback) {
  public static final Duration DEFAULT_RELOAD_CHECK_INTERVAL = Duration.ofSeconds(5);

  public AuthConfig {
    Objects.requireNonNull(allowAnonymous, "allowAnonymous");
    Objects.requireNonNull(reloadCheckInterval, "reloadCheckInterval");
    if (reloadCheckInterval.isNegative()) {
      throw new IllegalArgumentException("reload_check_interval must not be negative");
    }
  }

  /** No files; anonymous clients from loopback addresses only. */
  public static AuthConfig defaults() {
    return new AuthConfig(null, null, defaultAnonymous(null), DEFAULT_RELOAD_CHECK_INTERVAL, false);
  }

  /**
   * {@code allow_anonymous} when it is left out: {@code false} with a password file (those who have
   * no password are not let in by accident), {@code localhost} without one (the quick start works
   * from this machine and nowhere else).
   */
  public static AnonymousAccess defaultAnonymous(Path passwordFile) {
    return passwordFile != null ? AnonymousAccess.FALSE : AnonymousAccess.LOCALHOST;
  }
}
