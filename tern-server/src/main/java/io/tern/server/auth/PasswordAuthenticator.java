package io.tern.server.auth;

import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ConnectRequest;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks user names and passwords against a {@link PasswordFile}.
 *
 * <ul>
 *   <li>Hashing runs on a small executor of its own ({@link #THREADS} threads, {@link #QUEUE}
 *       waiting checks), never on an event loop; a CONNECT that finds the queue full, or the checks
 *       ahead of it longer than {@link #MAX_EXPECTED_WAIT_NANOS}, is refused with {@code 0x89
 *       Server busy} (MQTT 3: {@code 0x03}). This bounds the CPU a flood of CONNECTs can take to
 *       those threads. A check whose answer is no longer wanted (its client left, or the broker's
 *       hook timeout passed and the stage was cancelled) is skipped: a burst of CONNECTs that
 *       leave costs nothing after they left, and the clients after them do not wait for it.
 *   <li>An unknown user costs the same hash as a known one (against a dummy of the file's highest
 *       iteration count) and gets the same {@code 0x86}/{@code 0x04}, so neither the answer nor its
 *       time says which users exist.
 *   <li>Wrong passwords are limited: after {@link #ADDRESS_THRESHOLD} failures from one address, or
 *       {@link #USER_THRESHOLD} for one user name, further attempts from it (or for it) are refused
 *       without a check for 1 s, doubling with each further failure up to 60 s. A success clears the
 *       address and the user. The per-user limit lets an attacker lock a known user out for a while:
 *       the price of stopping a distributed guess of one password.
 *   <li>Each refusal is counted and logged, once, with user name and address; never the password.
 * </ul>
 */
public final class PasswordAuthenticator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PasswordAuthenticator.class);

  static final int THREADS = 2;
  static final int QUEUE = 256;
  /**
   * A CONNECT whose check would wait longer than this for a thread is refused at once with
   * {@code 0x89 Server busy}, not queued: half the default hook timeout (10 s), after which the
   * broker would refuse it anyway, with the check still to be paid.
   */
  static final long MAX_EXPECTED_WAIT_NANOS = 5_000_000_000L;
  static final int ADDRESS_THRESHOLD = 5;
  static final int USER_THRESHOLD = 10;
  static final long BASE_LOCKOUT_MILLIS = 1_000;
  static final long MAX_LOCKOUT_MILLIS = 60_000;
  private static final int MAX_TRACKED = 100_000;

  private final Supplier<PasswordFile> passwords;
  private final ThreadPoolExecutor executor;
  private final FailureLimiter byAddress;
  private final FailureLimiter byUser;
  private volatile PasswordHash dummy;

  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong wrongPasswords = new AtomicLong();
  private final AtomicLong unknownUsers = new AtomicLong();
  private final AtomicLong rateLimited = new AtomicLong();
  private final AtomicLong busy = new AtomicLong();
  private final AtomicLong abandoned = new AtomicLong();
  /** The recent time of one check (a moving average), which {@link #expectedWaitNanos} counts in. */
  private volatile long checkNanos;

  /** Counters since start. */
  public record Stats(long accepted, long wrongPasswords, long unknownUsers, long rateLimited, long busy, long abandoned) {}

  /**
   * Whether wrong passwords from loopback addresses count (and lock out). By default they do not:
   * every client of this machine shares one address, so one of them guessing (or a test suite's
   * bad-password cases) locked out all the others, right passwords included, for up to a minute.
   * A proxy on this machine in front of remote clients should pass their addresses (PROXY protocol).
   */
  private final boolean lockoutLoopback;

  public PasswordAuthenticator(Supplier<PasswordFile> passwords, boolean lockoutLoopback) {
    this(passwords, BASE_LOCKOUT_MILLIS, lockoutLoopback);
  }

  PasswordAuthenticator(Supplier<PasswordFile> passwords, long baseLockoutMillis, boolean lockoutLoopback) {
    this.passwords = passwords;
    this.lockoutLoopback = lockoutLoopback;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(QUEUE), r -> {
          Thread t = new Thread(r, "tern-auth-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    // The time of one check, before the first CONNECT: a burst that arrives before any check has
    // ended is admitted against it, not against nothing (250 CONNECTs in 0.2 s were all queued, 30 s
    // of hashing, and every client behind them timed out).
    executor.execute(() -> {
      PasswordHash d = dummy(Math.max(PasswordHash.MIN_ITERATIONS, passwords.get().maxIterations()));
      long start = System.nanoTime();
      d.matches(new byte[] {1});
      if (checkNanos == 0) {
        checkNanos = System.nanoTime() - start;
      }
    });
    this.byAddress = new FailureLimiter(ADDRESS_THRESHOLD, baseLockoutMillis, MAX_LOCKOUT_MILLIS, MAX_TRACKED,
        System::nanoTime);
    this.byUser = new FailureLimiter(USER_THRESHOLD, baseLockoutMillis, MAX_LOCKOUT_MILLIS, MAX_TRACKED,
        System::nanoTime);
  }

  /** Checks the user name and password of {@code request}, which must have a user name. */
  public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
    String user = request.username();
    String address = limitedAddress(request.remoteAddress());
    String locked = lockout(user, address);
    if (locked != null) {
      return CompletableFuture.completedFuture(AuthResult.badCredentials().because(locked));
    }
    byte[] password = request.password() == null ? null : request.password().clone();
    CompletableFuture<AuthResult> result = new CompletableFuture<>();
    if (expectedWaitNanos() > MAX_EXPECTED_WAIT_NANOS) {
      busy.incrementAndGet();
      return CompletableFuture.completedFuture(AuthResult.refuse(AuthResult.SERVER_BUSY)
          .because("password checks waiting longer than " + MAX_EXPECTED_WAIT_NANOS / 1_000_000_000 + " s"));
    }
    try {
      executor.execute(() -> {
        try {
          if (result.isDone()) { // cancelled: the broker stopped waiting (timeout) or the client left
            abandoned.incrementAndGet();
            return;
          }
          long start = System.nanoTime();
          AuthResult r = check(request, user, address, password);
          checkNanos = (checkNanos * 7 + (System.nanoTime() - start)) / 8;
          result.complete(r);
        } catch (Throwable t) {
          result.completeExceptionally(t);
        } finally {
          if (password != null) {
            Arrays.fill(password, (byte) 0);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      busy.incrementAndGet();
      return CompletableFuture.completedFuture(AuthResult.refuse(AuthResult.SERVER_BUSY)
          .because("too many password checks waiting"));
    }
    return result;
  }

  /** The recent time of one check (0 until the first one is timed). */
  long checkNanos() {
    return checkNanos;
  }

  /** How long a check queued now would wait for a thread: the checks ahead of it, at the recent time of one. */
  private long expectedWaitNanos() {
    return executor.getQueue().size() * checkNanos / THREADS;
  }

  /**
   * Why a login of {@code user} from {@code address} is refused for now (wrong passwords), or null.
   * A null address is not limited ({@link #limitedAddress}).
   */
  private String lockout(String user, String address) {
    if (address == null) {
      return null;
    }
    boolean addressLocked = byAddress.locked(address);
    if (addressLocked || byUser.locked(user)) {
      rateLimited.incrementAndGet();
      return "too many wrong passwords " + (addressLocked ? "from this address" : "for this user") + ", try again later";
    }
    return null;
  }

  // ------------------------------------------------------------------ shared with SCRAM logins

  /**
   * Why a SCRAM login of {@code user} from {@code remote} is refused for now (wrong passwords), or
   * null when it may go on. The broker logs the refusal, with this.
   */
  String lockedOut(String user, InetSocketAddress remote) {
    return lockout(user, limitedAddress(remote));
  }

  /**
   * The end of a SCRAM login: counted and limited like a password check. Returns the failures from
   * the address so far (0 for a success or an address not limited); the broker logs the refusal.
   */
  int loginEnded(String user, InetSocketAddress remote, boolean ok, boolean knownUser) {
    String address = limitedAddress(remote);
    if (ok) {
      succeeded(user, address);
      return 0;
    }
    int failures = failed(user, address);
    (knownUser ? wrongPasswords : unknownUsers).incrementAndGet();
    return failures;
  }

  private AuthResult check(ConnectRequest request, String user, String address, byte[] password) {
    String locked = lockout(user, address); // failures may have arrived while this one waited
    if (locked != null) {
      return AuthResult.badCredentials().because(locked);
    }
    PasswordFile file = passwords.get();
    PasswordHash hash = file.hash(user);
    boolean ok;
    if (hash == null) {
      dummy(file.maxIterations()).matches(password); // the same work as for a real user
      ok = false;
    } else {
      ok = hash.matches(password);
    }
    if (ok) {
      succeeded(user, address);
      return AuthResult.accept(user, new AuthenticatedUser(user));
    }
    int failures = failed(user, address);
    (hash == null ? unknownUsers : wrongPasswords).incrementAndGet();
    return AuthResult.badCredentials().because((hash == null ? "unknown user" : "wrong password")
        + (address == null ? "" : "; " + failures + " failures from this address"));
  }

  private void succeeded(String user, String address) {
    if (address != null) {
      byAddress.succeeded(address);
      byUser.succeeded(user);
    }
    accepted.incrementAndGet();
  }

  /** Counts a failure from a limited address; returns the failures from it (0 when not limited). */
  private int failed(String user, String address) {
    if (address == null) {
      return 0;
    }
    byUser.failed(user);
    return byAddress.failed(address);
  }

  /** The address failures are counted against, or null for one that is not limited (loopback, by default). */
  private String limitedAddress(InetSocketAddress a) {
    if (!lockoutLoopback && a != null && a.getAddress() != null && a.getAddress().isLoopbackAddress()) {
      return null;
    }
    return hostOf(a);
  }

  private PasswordHash dummy(int iterations) {
    PasswordHash d = dummy;
    if (d == null || d.iterations() != iterations) {
      char[] random = java.util.UUID.randomUUID().toString().toCharArray();
      d = PasswordHash.create(random, iterations);
      dummy = d;
    }
    return d;
  }

  /** Forgets old failures; called now and then. */
  void prune() {
    byAddress.prune();
    byUser.prune();
  }

  public Stats stats() {
    return new Stats(accepted.get(), wrongPasswords.get(), unknownUsers.get(), rateLimited.get(), busy.get(),
        abandoned.get());
  }

  private static String hostOf(InetSocketAddress a) {
    if (a == null) {
      return "unknown";
    }
    return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
