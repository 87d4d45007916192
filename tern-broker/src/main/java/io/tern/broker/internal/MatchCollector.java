package io.tern.broker.internal;

import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * The subscribers one publish reaches, merged per session: a session with several matching
 * subscriptions gets one delivery at the highest granted QoS, with every subscription identifier
 * (MQTT-3.3.4-2, v5 section 3.3.4). Reused for each publish by its owner (a connection on its event
 * loop): no allocation on the steady path but the final merge of overlapping subscriptions.
 */
final class MatchCollector {
  private Subscriber[] items = new Subscriber[16];
  private int size;
  private IdentityHashMap<Session, Integer> index;
  /** The traversal stack of {@link SubscriptionTrie#match}: trie nodes with their level index. */
  private SubscriptionTrie.Node[] stackNodes = new SubscriptionTrie.Node[16];
  private int[] stackLevels = new int[16];
  private int stackSize;

  void push(SubscriptionTrie.Node node, int level) {
    if (stackSize == stackNodes.length) {
      stackNodes = Arrays.copyOf(stackNodes, stackSize * 2);
      stackLevels = Arrays.copyOf(stackLevels, stackSize * 2);
    }
    stackNodes[stackSize] = node;
    stackLevels[stackSize] = level;
    stackSize++;
  }

  boolean hasPushed() {
    return stackSize > 0;
  }

  /** After a walk: a stack grown for an unusually deep trie is not kept for the connection's life. */
  void trimStack() {
    if (stackNodes.length > 256) {
      stackNodes = new SubscriptionTrie.Node[16];
      stackLevels = new int[16];
    }
  }

  /** The lookup key of the trie's walks on this collector: one object, re-aimed at each level. */
  final LevelKey levelKey = new LevelKey();

  /**
   * One level of a topic name as a map key, without cutting it out of the topic: hashes like the
   * {@code String} of that level and equals such a {@code String}. Only for lookups in maps keyed
   * by {@code String}, as the lookup argument ({@code ConcurrentHashMap.get} compares {@code
   * key.equals(storedKey)}); never stored. Per message, this spares a substring per level and the
   * array of levels (about 400 bytes for a 4-level topic).
   */
  static final class LevelKey {
    private String topic;
    private int start;
    private int end;
    private int hash;

    /** Aims the key at {@code topic[start, end)}. */
    LevelKey at(String topic, int start, int end) {
      this.topic = topic;
      this.start = start;
      this.end = end;
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + topic.charAt(i);
      }
      this.hash = h;
      return this;
    }

    void release() {
      topic = null;
    }

    /** The value for the level this key is aimed at in a map keyed by level (or null): no String made. */
    @SuppressWarnings("unlikely-arg-type") // a LevelKey equals the String of its level
    <V> V in(java.util.concurrent.ConcurrentHashMap<String, V> byLevel) {
      return byLevel == null ? null : byLevel.get(this);
    }

    @Override
    public int hashCode() {
      return hash; // String.hashCode() of the level
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof String s && s.length() == end - start && topic.regionMatches(start, s, 0, end - start);
    }

    @Override
    public String toString() {
      return topic == null ? "" : topic.substring(start, end);
    }
  }

  /** The level index of the node {@link #pop()} returns next. */
  int topLevel() {
    return stackLevels[stackSize - 1];
  }

  SubscriptionTrie.Node pop() {
    SubscriptionTrie.Node n = stackNodes[--stackSize];
    stackNodes[stackSize] = null; // no reference kept to a node that may be pruned
    return n;
  }

  void clear() {
    if (size > 0) {
      Arrays.fill(items, 0, size, null);
      size = 0;
    }
  }

  void addAll(Subscriber[] subs) {
    if (subs.length == 0) {
      return;
    }
    if (size + subs.length > items.length) {
      items = Arrays.copyOf(items, Math.max(items.length * 2, size + subs.length));
    }
    System.arraycopy(subs, 0, items, size, subs.length);
    size += subs.length;
  }

  void add(Subscriber s) {
    if (size == items.length) {
      items = Arrays.copyOf(items, size * 2);
    }
    items[size++] = s;
  }

  int size() {
    return size;
  }

  Subscriber get(int i) {
    return items[i];
  }

  /** True when some session matched more than once: the caller must then merge per session. */
  boolean hasOverlaps() {
    if (size < 2) {
      return false;
    }
    if (size <= 8) {
      for (int i = 0; i < size; i++) {
        for (int j = i + 1; j < size; j++) {
          if (items[i].session() == items[j].session()) {
            return true;
          }
        }
      }
      return false;
    }
    if (index == null) {
      index = new IdentityHashMap<>();
    }
    index.clear();
    boolean overlap = false;
    for (int i = 0; i < size && !overlap; i++) {
      overlap = index.put(items[i].session(), i) != null;
    }
    index.clear();
    return overlap;
  }
}
