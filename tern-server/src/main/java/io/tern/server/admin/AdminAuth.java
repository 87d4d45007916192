package io.tern.server.admin;

import io.tern.server.auth.FailureLimiter;
import io.tern.server.auth.PasswordFile;
import io.tern.server.auth.PasswordHash;
import io.tern.server.config.AdminConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the admin server: HTTP Basic against the admin users (PBKDF2 hashes), bearer API keys
 * (SHA-256), and bearer session tokens handed out by {@code POST /api/v1/login} (the dashboard's).
 *
 * <p>A PBKDF2 check costs 0.1-0.8 s of CPU, so: at most two run at once, and at most {@link
 * #MAX_WAITING} more requests wait for them (the rest are answered 503 at once: requests waiting
 * for a check held the admin server's threads, and a flood of wrong passwords from many addresses
 * made even {@code /health} wait 7 s); a Basic credential that
 * passed is remembered (as its SHA-256, never in clear) for {@link #REMEMBER}, so a script sending
 * Basic on every request pays once; an address that keeps failing is locked out for a while
 * (doubling, as the MQTT password checks). Nothing secret is ever logged.
 */
final class AdminAuth {
  private static final Logger log = LoggerFactory.getLogger(AdminAuth.class);
  static final Duration REMEMBER = Duration.ofMinutes(5);
  static final Duration SESSION = Duration.ofHours(8);
  /** Session tokens (logins) held at most; past it the oldest is forgotten. */
  static final int MAX_SESSIONS = 1024;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Who made a request, and how they proved it. */
  record Principal(String name, String method) {}

  private final AdminConfig config;
  /** Replaced as a whole by {@link #reload}. */
  private volatile Map<String, PasswordHash> users;
  private final Map<String, String> apiKeys = new HashMap<>(); // sha256 hex -> name
  private final ConcurrentHashMap<String, Remembered> remembered = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Remembered> sessions = new ConcurrentHashMap<>();
  private final Semaphore hashing = new Semaphore(2);
  /** Requests that may wait for {@link #hashing}; a few of the server's 16 threads, never all. */
  static final int MAX_WAITING = 4;
  private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
  /** Basic credentials answered 503 because the checks were busy, for tests and the log. */
  final java.util.concurrent.atomic.LongAdder busy = new java.util.concurrent.atomic.LongAdder();
  /**
   * What an unknown user's password is checked against, so that the answer takes as long as for a
   * known user with a wrong password and does not tell which admin users exist (as the MQTT side's
   * PasswordAuthenticator). Made on first use, of the users' highest iteration count.
   */
  private volatile PasswordHash dummy;
  /** Password hashes checked (known users and the dummy), for tests. */
  final java.util.concurrent.atomic.LongAdder hashChecks = new java.util.concurrent.atomic.LongAdder();
  private final FailureLimiter failures = new FailureLimiter(5, 1_000, 60_000, 10_000, System::nanoTime);
  /** A line per refused request, at INFO at most 20 a second (requests without credentials cost nothing to send). */
  private final io.tern.broker.internal.LogLimit refusalLines =
      new io.tern.broker.internal.LogLimit(20, "refused admin requests", null);

  private record Remembered(String name, long untilNanos) {}

  /** @throws io.tern.server.auth.AuthFileException when the password file cannot be read */
  AdminAuth(AdminConfig config) {
    this.config = config;
    this.users = loadUsers();
    for (AdminConfig.ApiKey k : config.apiKeys()) {
      apiKeys.put(k.sha256(), k.name());
    }
  }

  private Map<String, PasswordHash> loadUsers() {
    Map<String, PasswordHash> u = new HashMap<>();
    for (AdminConfig.User user : config.users()) {
      u.put(user.name(), user.passwordHash());
    }
    if (config.passwordFile() != null) {
      PasswordFile file = PasswordFile.load(config.passwordFile());
      for (String name : file.users()) {
        u.putIfAbsent(name, file.hash(name));
      }
    }
    return Map.copyOf(u);
  }

  /**
   * Reads {@code admin.password_file} again (SIGHUP). Remembered Basic credentials are forgotten,
   * so a removed user or changed password takes effect at once; login session tokens stay valid
   * until they expire. A file that cannot be read keeps the previous users (one log line).
   */
  void reload() {
    if (config.passwordFile() == null) {
      return;
    }
    try {
      users = loadUsers();
      remembered.clear();
      log.info("Admin: reloaded {} ({} user(s))", config.passwordFile(), users.size());
    } catch (io.tern.server.auth.AuthFileException e) {
      log.warn("Admin: {}; keeping the previous admin users", e.getMessage());
    }
  }

  /** Users and keys, for the start-up log line (names only). */
  String describe() {
    return users.size() + " user(s)" + (apiKeys.isEmpty() ? "" : ", " + apiKeys.size() + " API key(s)");
  }

  /** The result of checking a request's {@code Authorization} header. */
  sealed interface Result permits Ok, Denied, Locked, Busy {}

  record Ok(Principal principal) implements Result {}

  record Denied(String why) implements Result {}

  /** Too many failures from the address: refused for {@code retryAfterSeconds} more (at least 1). */
  record Locked(long retryAfterSeconds) implements Result {}

  /** Too many password checks under way or waiting: not checked, try again shortly (not a failure). */
  record Busy() implements Result {}

  /** Checks an {@code Authorization} header from {@code address}. */
  Result check(String authorization, String address) {
    if (authorization == null || authorization.isBlank()) {
      return new Denied("no credentials");
    }
    boolean counted = config.lockoutLoopback() || !isLoopback(address);
    long lockedNanos = counted ? failures.lockoutLeftNanos(address) : 0;
    if (lockedNanos > 0) {
      return new Locked(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(lockedNanos + 999_999_999L)));
    }
    Result r;
    if (regionMatches(authorization, "Bearer ")) {
      r = bearer(authorization.substring(7).trim());
    } else if (regionMatches(authorization, "Basic ")) {
      r = basic(authorization.substring(6).trim());
    } else {
      r = new Denied("unsupported authorization scheme");
    }
    if (r instanceof Denied d) {
      if (counted) {
        failures.failed(address);
      }
      log.atLevel(refusalLines.level(log)).log("Admin: refused a request from {}: {}", address, d.why());
    } else if (r instanceof Ok) {
      failures.succeeded(address);
    }
    return r;
  }

  /**
   * Whether {@code address}, a request's IP address as text (never a host name), is a loopback
   * address (127.0.0.0/8, ::1, or either mapped into IPv6).
   */
  static boolean isLoopback(String address) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (Character.digit(c, 16) < 0 && c != '.' && c != ':' && c != '[' && c != ']' && c != '%') {
        return false; // not an address literal: getByName would look it up
      }
    }
    try {
      return java.net.InetAddress.getByName(address).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static boolean regionMatches(String header, String scheme) {
    return header.regionMatches(true, 0, scheme, 0, scheme.length());
  }

  private Result bearer(String token) {
    String digest = sha256(token);
    String key = apiKeys.get(digest);
    if (key != null) {
      return new Ok(new Principal(key, "api-key"));
    }
    Remembered s = sessions.get(digest);
    if (s != null && System.nanoTime() - s.untilNanos() < 0) {
      return new Ok(new Principal(s.name(), "session"));
    }
    if (s != null) {
      sessions.remove(digest, s);
    }
    return new Denied("unknown or expired bearer token");
  }

  private Result basic(String encoded) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return new Denied("malformed Basic credentials");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return new Denied("malformed Basic credentials");
    }
    String user = decoded.substring(0, colon);
    String digest = sha256(decoded);
    Remembered r = remembered.get(digest);
    long now = System.nanoTime();
    if (r != null && now - r.untilNanos() < 0) {
      return new Ok(new Principal(r.name(), "basic"));
    }
    Map<String, PasswordHash> known = users;
    PasswordHash hash = known.get(user);
    boolean ok;
    if (!hashing.tryAcquire()) {
      if (waiting.incrementAndGet() > MAX_WAITING) {
        waiting.decrementAndGet();
        busy.increment();
        return new Busy();
      }
      try {
        hashing.acquireUninterruptibly();
      } finally {
        waiting.decrementAndGet();
      }
    }
    try {
      hashChecks.increment();
      byte[] password = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
      ok = (hash != null ? hash : dummy(known)).matches(password) && hash != null;
    } finally {
      hashing.release();
    }
    if (hash == null) {
      return new Denied("unknown user");
    }
    if (!ok) {
      return new Denied("wrong password for user " + user);
    }
    if (remembered.size() > MAX_SESSIONS) {
      remembered.values().removeIf(x -> now - x.untilNanos() >= 0);
    }
    remembered.put(digest, new Remembered(user, now + REMEMBER.toNanos()));
    return new Ok(new Principal(user, "basic"));
  }

  private PasswordHash dummy(Map<String, PasswordHash> known) {
    int iterations = known.values().stream().mapToInt(PasswordHash::iterations).max()
        .orElse(PasswordHash.DEFAULT_ITERATIONS);
    PasswordHash d = dummy;
    if (d == null || d.iterations() != iterations) {
      byte[] random = new byte[16];
      RANDOM.nextBytes(random);
      d = PasswordHash.create(Base64.getEncoder().encodeToString(random).toCharArray(), iterations);
      dummy = d;
    }
    return d;
  }

  /**
   * A new session token for {@code user} (the dashboard's login), valid for {@link #SESSION}. At most
   * {@link #MAX_SESSIONS} are held: past it the expired ones go, then the oldest (the one that
   * expires first; all last as long). The whole table was cleared, and a script logging in on each
   * call logged every dashboard user out at each 1,025th login. Synchronized: logins are rare, and
   * the table must not overshoot between the count and the put.
   */
  synchronized String newSession(String user) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    long now = System.nanoTime();
    if (sessions.size() >= MAX_SESSIONS) {
      sessions.values().removeIf(x -> now - x.untilNanos() >= 0);
    }
    while (sessions.size() >= MAX_SESSIONS) {
      sessions.entrySet().stream()
          .min((a, b) -> Long.compare(a.getValue().untilNanos() - now, b.getValue().untilNanos() - now))
          .ifPresent(oldest -> sessions.remove(oldest.getKey(), oldest.getValue()));
    }
    sessions.put(sha256(token), new Remembered(user, now + SESSION.toNanos()));
    return token;
  }

  /** Ends a session token (logout); false when it was not one. */
  boolean endSession(String authorization) {
    if (authorization == null || !regionMatches(authorization, "Bearer ")) {
      return false;
    }
    return sessions.remove(sha256(authorization.substring(7).trim())) != null;
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
