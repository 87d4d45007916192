package io.tern.broker.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * One session's subscriptions by filter: an open-addressing table of the {@link Subscriber}s
 * themselves, each keyed by its own {@link Subscriber#filter()}.
 *
 * <p>It is here for memory. A session with many subscriptions held them in a {@code HashMap}: a
 * 32-byte node per subscription plus the table, ~42 bytes each; here a slot of 4 bytes in a table
 * at most three quarters full, 5-11 bytes each. At 1,000,000 subscriptions that is the largest part
 * of a subscription after its strings and the trie's node.
 *
 * <p>Linear probing; a removal shifts the entries after it back (no tombstones), and the table
 * shrinks when it is mostly empty. Not thread-safe: a session's subscriptions are changed and read
 * on its event loop. Extended by {@link SessionSubscriptions}, which is what a session holds.
 */
class SubscriptionTable {
  private static final Subscriber[] EMPTY = new Subscriber[0];
  private static final int MIN_CAPACITY = 4;

  private Subscriber[] table = EMPTY;
  private int size;
  /** The memory the subscriptions held take, estimated by {@link #cost} (see {@code max_subscription_bytes_per_client}). */
  private long bytes;

  /**
   * What a subscription to {@code filter} is taken to cost in memory, for {@code
   * max_subscription_bytes_per_client}: its characters (a byte each for ASCII) and {@link
   * #LEVEL_BYTES} per level. A level of a filter no other holds is a node of the subscription trie,
   * its entry in its parent's map and its name: 141 bytes of heap each, measured with a client
   * holding 500 filters of 32,700 levels (2.3 GB of heap for 16 MiB of characters, when only the
   * characters were counted). Levels shared with other filters are counted again: the bound is for
   * what a client could make the broker hold, not what it holds.
   */
  static long cost(String filter) {
    return filter.length() + (long) LEVEL_BYTES * io.tern.codec.Topics.levels(filter);
  }

  /** What a level of a filter is counted for by {@link #cost}. */
  static final int LEVEL_BYTES = 140;

  int size() {
    return size;
  }

  /** The sum of {@link #cost} over the subscriptions held. */
  long bytes() {
    return bytes;
  }

  /** The subscription to {@code filter}, or null. */
  Subscriber get(String filter) {
    int i = indexOf(filter);
    return i < 0 ? null : table[i];
  }

  boolean contains(String filter) {
    return indexOf(filter) >= 0;
  }

  /** Adds {@code s}, or puts it in place of the subscription to the same filter; returns that one or null. */
  Subscriber put(Subscriber s) {
    String filter = s.filter();
    if ((size + 1) * 4 > table.length * 3) {
      resize(Math.max(MIN_CAPACITY, table.length * 2));
    }
    Subscriber[] t = table;
    int mask = t.length - 1;
    for (int i = slot(filter, mask); ; i = (i + 1) & mask) {
      Subscriber old = t[i];
      if (old == null) {
        t[i] = s;
        size++;
        bytes += cost(filter);
        return null;
      }
      if (old.filter().equals(filter)) {
        t[i] = s;
        return old;
      }
    }
  }

  /** Removes the subscription to {@code filter}; returns it, or null when there was none. */
  Subscriber remove(String filter) {
    int i = indexOf(filter);
    if (i < 0) {
      return null;
    }
    Subscriber[] t = table;
    Subscriber removed = t[i];
    int mask = t.length - 1;
    // Backward shift: move up each following entry of the run that may no longer be found past the hole.
    for (int j = (i + 1) & mask; t[j] != null; j = (j + 1) & mask) {
      int home = slot(t[j].filter(), mask);
      if (((j - home) & mask) >= ((j - i) & mask)) { // the hole lies between its home and where it is
        t[i] = t[j];
        i = j;
      }
    }
    t[i] = null;
    size--;
    bytes -= cost(removed.filter());
    if (size == 0) {
      table = EMPTY;
    } else if (t.length > MIN_CAPACITY && size * 8 < t.length) {
      resize(t.length / 2);
    }
    return removed;
  }

  /** A copy of the subscriptions, in no particular order. */
  List<Subscriber> values() {
    List<Subscriber> out = new ArrayList<>(size);
    for (Subscriber s : table) {
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private int indexOf(String filter) {
    if (size == 0) {
      return -1;
    }
    Subscriber[] t = table;
    int mask = t.length - 1;
    for (int i = slot(filter, mask); ; i = (i + 1) & mask) {
      Subscriber s = t[i];
      if (s == null) {
        return -1;
      }
      if (s.filter().equals(filter)) {
        return i;
      }
    }
  }

  /** The filter's home slot: its hash with the high bits folded in, as HashMap does. */
  private static int slot(String filter, int mask) {
    int h = filter.hashCode();
    return (h ^ (h >>> 16)) & mask;
  }

  private void resize(int capacity) {
    Subscriber[] old = table;
    Subscriber[] t = new Subscriber[capacity];
    int mask = capacity - 1;
    for (Subscriber s : old) {
      if (s != null) {
        int i = slot(s.filter(), mask);
        while (t[i] != null) {
          i = (i + 1) & mask;
        }
        t[i] = s;
      }
    }
    table = t;
  }
}
