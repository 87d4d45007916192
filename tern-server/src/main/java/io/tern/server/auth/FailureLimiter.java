package io.tern.server.auth;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts wrong passwords per key (a source address, a user name) and refuses further attempts for a
 * while once a key has failed {@code threshold} times: first for {@code baseLockout}, doubling with
 * every further failure up to {@code maxLockout}. A success clears the key; a key whose lockout
 * ended long ago ({@link #FORGET_AFTER_NANOS}) is forgotten.
 *
 * <p>Thread-safe. Memory is bounded: at most {@code maxKeys} keys are tracked; beyond that, new keys
 * are not counted until {@link #prune} makes room (an attacker spreading over more addresses than
 * that gets no lockout, but still pays for each check on the bounded hashing executor).
 */
public final class FailureLimiter {
  static final long FORGET_AFTER_NANOS = 15L * 60 * 1_000_000_000L;

  private final int threshold;
  private final long baseLockoutNanos;
  private final long maxLockoutNanos;
  private final int maxKeys;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  private static final class Entry {
    int failures;
    long lastFailure;
    long lockedUntil;
  }

  public FailureLimiter(int threshold, long baseLockoutMillis, long maxLockoutMillis, int maxKeys, LongSupplier nanoTime) {
    this.threshold = threshold;
    this.baseLockoutNanos = baseLockoutMillis * 1_000_000L;
    this.maxLockoutNanos = maxLockoutMillis * 1_000_000L;
    this.maxKeys = maxKeys;
    this.nanoTime = nanoTime;
  }

  /** Whether {@code key} is locked out now. */
  public boolean locked(String key) {
    return lockoutLeftNanos(key) > 0;
  }

  /** How long {@code key} stays locked out, in nanoseconds; 0 when it is not locked out. */
  public long lockoutLeftNanos(String key) {
    Entry e = entries.get(key);
    if (e == null) {
      return 0;
    }
    synchronized (e) {
      long left = e.lockedUntil - nanoTime.getAsLong();
      return e.failures >= threshold && left > 0 ? left : 0;
    }
  }

  /** Counts a failure of {@code key}; returns its failures so far. */
  public int failed(String key) {
    Entry e = entries.get(key);
    if (e == null) {
      if (entries.size() >= maxKeys) {
        return 0;
      }
      e = entries.computeIfAbsent(key, k -> new Entry());
    }
    synchronized (e) {
      long now = nanoTime.getAsLong();
      e.failures++;
      e.lastFailure = now;
      if (e.failures >= threshold) {
        int doublings = Math.min(e.failures - threshold, 30);
        long lockout = Math.min(maxLockoutNanos, baseLockoutNanos << doublings);
        e.lockedUntil = now + lockout;
      }
      return e.failures;
    }
  }

  public void succeeded(String key) {
    entries.remove(key);
  }

  /** Forgets keys whose last failure is long past. */
  public void prune() {
    long now = nanoTime.getAsLong();
    entries.values().removeIf(e -> {
      synchronized (e) {
        return now - e.lastFailure > FORGET_AFTER_NANOS && now - e.lockedUntil > 0;
      }
    });
  }

  int trackedKeys() {
    return entries.size();
  }
}
