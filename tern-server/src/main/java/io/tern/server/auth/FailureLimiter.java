package io.tern.server.auth;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts wrong passwords per key (a source address, a user name) and refuses further attempts for a
 * while once a key has failed {@code threshold} times: first for {@code baseLockout}, doubling with
 * every further failure up to {@code maxLockout}. A success clears the key; a key whose last failure
 * and lockout are long past ({@link #FORGET_AFTER_NANOS}) starts again from nothing, whether or not
 * {@link #prune} has removed it yet.
 *
 * <p>Thread-safe. Memory is bounded: at most {@code maxKeys} keys are tracked. A new key that finds
 * the table full makes room (at most once a second, {@link #ROOM_CHECK_NANOS}): first by forgetting
 * what is long past, then, when the table is still full (failures from more keys than that within
 * the forget time: a spray over many addresses or names), by dropping the keys with a single failure
 * that are not locked out, then every key that is not locked out. A key locked out stays so; a key
 * with a few failures below the threshold may lose them to a spray, which costs its sender a failed
 * check per key. Without room, a new key is not counted (its check still costs a hash on the bounded
 * executor).
 */
public final class FailureLimiter {
  static final long FORGET_AFTER_NANOS = 15L * 60 * 1_000_000_000L;
  /** How often a full table may be scanned for room, at most (each scan walks every key). */
  static final long ROOM_CHECK_NANOS = 1_000_000_000L;

  private final int threshold;
  private final long baseLockoutNanos;
  private final long maxLockoutNanos;
  private final int maxKeys;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  /** When a full table may next be scanned for room ({@link #makeRoom}). */
  private final AtomicLong nextRoomCheck;

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
    this.nextRoomCheck = new AtomicLong(nanoTime.getAsLong());
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
      if (entries.size() >= maxKeys && !makeRoom()) {
        return 0;
      }
      e = entries.computeIfAbsent(key, k -> new Entry());
    }
    synchronized (e) {
      long now = nanoTime.getAsLong();
      if (e.failures > 0 && forgotten(e, now)) {
        e.failures = 0; // long past: counted again from nothing, as if pruned
      }
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
        return forgotten(e, now);
      }
    });
  }

  private static boolean forgotten(Entry e, long now) {
    return now - e.lastFailure > FORGET_AFTER_NANOS && now - e.lockedUntil > 0;
  }

  /**
   * Called when a new key finds the table full: at most once per {@link #ROOM_CHECK_NANOS} (by one
   * caller), forgets what is long past, then drops keys not locked out, those with one failure
   * first. Returns whether there is room now.
   */
  private boolean makeRoom() {
    long now = nanoTime.getAsLong();
    long due = nextRoomCheck.get();
    if (now - due < 0 || !nextRoomCheck.compareAndSet(due, now + ROOM_CHECK_NANOS)) {
      return entries.size() < maxKeys;
    }
    prune();
    if (entries.size() >= maxKeys) {
      dropUnlocked(now, 1);
    }
    if (entries.size() >= maxKeys) {
      dropUnlocked(now, Integer.MAX_VALUE);
    }
    return entries.size() < maxKeys;
  }

  private void dropUnlocked(long now, int maxFailures) {
    entries.values().removeIf(e -> {
      synchronized (e) {
        boolean locked = e.failures >= threshold && e.lockedUntil - now > 0;
        return !locked && e.failures <= maxFailures;
      }
    });
  }

  int trackedKeys() {
    return entries.size();
  }
}
