package io.tern.broker.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Retained messages, one per topic, in a trie of topic levels so that a subscription's filter
 * visits only the branches it can match.
 *
 * <p>Concurrency: reads ({@link #match}, {@link #get}) are lock-free and see each node's message as
 * of some moment during the call; writes serialize on a lock so that empty branches can be pruned
 * safely.
 */
final class RetainedStore {
  private final Node root = new Node(null, null);
  private final Object writeLock = new Object();
  private final AtomicInteger count = new AtomicInteger();
  /** Of {@link #count}, the broker's own {@code $SYS} topics. */
  private final AtomicInteger sysCount = new AtomicInteger();
  /**
   * What the store counts for a message it holds beyond its {@link Message#size()}: the message,
   * its PUBLISH, the topic's node and strings. Measured at ~280 B for a message of a one-character
   * topic and payload (500,000 of them held 146 MB after a full collection), where the size alone
   * counted ~10 B and 1.7 million more went to an OutOfMemoryError under {@code max_retained_bytes}
   * (a probe, 512 MB heap).
   */
  static final int OVERHEAD = 256;
  /**
   * Of {@link #OVERHEAD}, what a node of the tree takes: the node, its entry in its parent's map,
   * its name. The tree's nodes are counted, each for this, and each message for the rest of the
   * overhead: a message of a new one-level topic counts as {@link #OVERHEAD}, as before, and the
   * nodes of a deep topic as many times as there are.
   */
  static final int LEVEL_BYTES = 100;
  /**
   * What a node's map of children takes (a {@code ConcurrentHashMap} and its first table), counted
   * for each node that has children. Counting the messages only, a client held 2.2 GB of heap with
   * 300 retained messages on topics of 32,700 levels, counted as 20 MB (a probe): 224 bytes per
   * level, each level a node with a map of one child.
   */
  static final int MAP_BYTES = 112;
  /** Nodes and maps of children the last {@link #walk} with {@code create} made; under the lock. */
  private int created;
  private int createdMaps;
  /**
   * {@link Message#size()} and {@code OVERHEAD - LEVEL_BYTES} of each message held, {@link
   * #LEVEL_BYTES} of each node and {@link #MAP_BYTES} of each map of children: written under the
   * lock, read by anyone.
   */
  private volatile long bytes;
  /** Aimed at each level of a topic in turn by the writes, under the lock. */
  private final MatchCollector.LevelKey writeKey = new MatchCollector.LevelKey();
  /**
   * The held messages that have a Message Expiry Interval, by when it passes ({@link
   * Message#expiresAtNanos}; a Message, or a list of those due at the same nanosecond). Under the
   * lock. Without it an expired message was counted (and held, against {@code
   * max_retained_messages}) until a subscription happened to match it.
   */
  private final TreeMap<Long, Object> expiring = new TreeMap<>();

  private static final class Node {
    final Node parent;
    final String key;
    /**
     * Children by level; null until the first, and again once the last is pruned. Most nodes of a
     * big tree are leaves, and a map each was 64 bytes of every retained message.
     */
    volatile ConcurrentHashMap<String, Node> children;
    volatile Message message;

    Node(Node parent, String key) {
      this.parent = parent;
      this.key = key;
    }

    Node child(String level) {
      ConcurrentHashMap<String, Node> c = children;
      return c == null ? null : c.get(level);
    }

    /** The child for the level {@code key} is aimed at, or null. */
    Node child(MatchCollector.LevelKey key) {
      return key.in(children);
    }

    /**
     * The child for the level {@code key} is aimed at, created if absent: the level's String is made
     * only then. Under the store's write lock.
     */
    Node childForWrite(MatchCollector.LevelKey key) {
      ConcurrentHashMap<String, Node> c = children;
      if (c == null) {
        c = new ConcurrentHashMap<>(4);
        children = c;
      }
      Node n = key.in(c);
      if (n == null) {
        String level = key.toString();
        n = new Node(this, level);
        c.put(level, n);
      }
      return n;
    }

    boolean isLeaf() {
      ConcurrentHashMap<String, Node> c = children;
      return c == null || c.isEmpty();
    }

    Collection<Node> childNodes() {
      ConcurrentHashMap<String, Node> c = children;
      return c == null ? List.of() : c.values();
    }
  }

  int size() {
    return count.get();
  }

  /** Of {@link #size()}, the broker's own {@code $SYS} topics (outside {@code max_retained_messages}). */
  int sysSize() {
    return sysCount.get();
  }

  /**
   * Bytes of the messages held and of the tree: each message's {@link Message#size()} and {@code
   * OVERHEAD - LEVEL_BYTES}, each node's {@link #LEVEL_BYTES}, each map of children's {@link
   * #MAP_BYTES}.
   */
  long bytes() {
    return bytes;
  }

  /**
   * What a retained message of {@code size} ({@link Message#size()}) on a topic without one adds
   * to {@link #bytes()}: its size, {@code OVERHEAD - LEVEL_BYTES}, {@link #LEVEL_BYTES} for each
   * node the topic needs that the tree does not have yet (at least the topic's own, unless a longer
   * topic passes through it), and {@link #MAP_BYTES} for each of them but the last (and for the
   * node above them when it has no children yet).
   */
  long bytesOfNew(int size, String topic) {
    long base = held(size);
    MatchCollector.LevelKey key = new MatchCollector.LevelKey();
    Node node = root;
    int start = 0;
    for (int depth = 0; ; depth++) {
      int end = topic.indexOf('/', start);
      end = end < 0 ? topic.length() : end;
      key.at(topic, start, end);
      Node parent = node;
      node = node.child(key);
      if (node == null) { // this level and every one after it are missing
        int missing = io.tern.codec.Topics.levels(topic) - depth;
        int maps = missing - 1 + (parent.children == null ? 1 : 0);
        return base + (long) LEVEL_BYTES * missing + (long) MAP_BYTES * maps;
      }
      if (end == topic.length()) {
        return base;
      }
      start = end + 1;
    }
  }

  /** What a message of {@code size} counts for itself, beside the nodes of its topic. */
  private static long held(int size) {
    return (long) size + OVERHEAD - LEVEL_BYTES;
  }

  /**
   * Stores the message as the topic's retained message, or clears the topic when its payload is
   * empty (MQTT-3.3.1-10, -11). Returns the message it replaced or cleared, or null.
   */
  Message put(Message message) {
    String topic = message.topic();
    boolean clear = message.publish().payload().length == 0;
    synchronized (writeLock) {
      created = 0;
      createdMaps = 0;
      Node node = walk(topic, writeKey, !clear);
      writeKey.release();
      bytes += (long) LEVEL_BYTES * created + (long) MAP_BYTES * createdMaps;
      if (node == null) {
        return null; // clearing a topic that has no retained message
      }
      Message previous = node.message;
      node.message = clear ? null : message;
      untrack(previous);
      if (!clear) {
        track(message);
      }
      bytes += (clear ? 0 : held(message.size())) - (previous == null ? 0 : held(previous.size()));
      if (previous == null && !clear) {
        count.incrementAndGet();
        if (io.tern.codec.Topics.isSys(topic)) {
          sysCount.incrementAndGet();
        }
      } else if (previous != null && clear) {
        count.decrementAndGet();
        if (io.tern.codec.Topics.isSys(topic)) {
          sysCount.decrementAndGet();
        }
        prune(node);
      }
      return previous;
    }
  }

  /** Removes the topic's retained message if it is still {@code message} (an expired one). */
  boolean removeIfSame(Message message) {
    synchronized (writeLock) {
      Node node = walk(message.topic(), writeKey, false);
      writeKey.release();
      if (node != null && node.message == message) {
        node.message = null;
        untrack(message);
        bytes -= held(message.size());
        count.decrementAndGet();
        if (io.tern.codec.Topics.isSys(message.topic())) {
          sysCount.decrementAndGet();
        }
        prune(node);
        return true;
      }
      return false;
    }
  }

  /**
   * Removes the held messages whose Message Expiry Interval has passed at {@code nowNanos}, handing
   * each to {@code removed}; cheap when none is due (one look at the earliest).
   */
  void removeExpired(long nowNanos, Consumer<Message> removed) {
    List<Message> due = null;
    synchronized (writeLock) {
      Map.Entry<Long, Object> first;
      while ((first = expiring.firstEntry()) != null && first.getKey() - nowNanos <= 0) {
        expiring.pollFirstEntry();
        if (due == null) {
          due = new ArrayList<>();
        }
        if (first.getValue() instanceof Message m) {
          due.add(m);
        } else {
          @SuppressWarnings("unchecked")
          List<Message> same = (List<Message>) first.getValue();
          due.addAll(same);
        }
      }
    }
    if (due != null) {
      for (Message m : due) {
        if (removeIfSame(m)) {
          removed.accept(m);
        }
      }
    }
  }

  private void track(Message m) {
    if (!m.expires()) {
      return;
    }
    expiring.merge(m.expiresAtNanos(), m, (a, b) -> {
      @SuppressWarnings("unchecked")
      List<Message> list = a instanceof Message first ? new ArrayList<>(List.of(first))
          : (List<Message>) a;
      list.add((Message) b);
      return list;
    });
  }

  private void untrack(Message m) {
    if (m == null || !m.expires()) {
      return;
    }
    expiring.computeIfPresent(m.expiresAtNanos(), (k, v) -> {
      if (v == m) {
        return null;
      }
      if (v instanceof List<?> list) {
        list.remove(m);
        return list.isEmpty() ? null : list;
      }
      return v;
    });
  }

  /** Removes {@code node} and the nodes above it that hold nothing else. Under the lock. */
  private void prune(Node node) {
    int removed = 0;
    int removedMaps = 0;
    while (node.parent != null && node.message == null && node.isLeaf()) {
      Node parent = node.parent;
      ConcurrentHashMap<String, Node> siblings = parent.children;
      siblings.remove(node.key, node);
      removed++;
      if (node.children != null) { // emptied by a reader's race? isLeaf says empty: it goes with the node
        removedMaps++;
      }
      if (siblings.isEmpty()) {
        parent.children = null; // a reader still holding the map sees it empty
        removedMaps++;
      }
      node = parent;
    }
    bytes -= (long) LEVEL_BYTES * removed + (long) MAP_BYTES * removedMaps;
  }

  /** The retained message of exactly this topic, or null. */
  Message get(String topic) {
    // A key of its own per call (any thread may ask): one small object, where splitting the topic
    // made a String per level, a copy of its bytes each and an array (~250 B for a 4-level topic,
    // once per new subscription to a filter without wildcards).
    Node node = walk(topic, new MatchCollector.LevelKey(), false);
    return node == null ? null : node.message;
  }

  /**
   * The node of exactly this topic: with {@code create}, made with any missing above it (under the
   * write lock); without, null when absent. Walks with {@code key}, which the caller releases.
   */
  private Node walk(String topic, MatchCollector.LevelKey key, boolean create) {
    Node node = root;
    int start = 0;
    while (true) {
      int end = topic.indexOf('/', start);
      end = end < 0 ? topic.length() : end;
      key.at(topic, start, end);
      if (create) {
        Node child = node.child(key);
        if (child == null) {
          if (node.children == null) {
            createdMaps++;
          }
          child = node.childForWrite(key);
          created++;
        }
        node = child;
      } else {
        node = node.child(key);
      }
      if (node == null || end == topic.length()) {
        return node;
      }
      start = end + 1;
    }
  }

  /** Visits every retained message whose topic matches the filter ($-topics per MQTT-4.7.2-1). */
  void match(String filter, Consumer<Message> visitor) {
    if (count.get() == 0) {
      return; // most SUBSCRIBEs meet no retained message at all
    }
    if (filter.indexOf('+') < 0 && filter.indexOf('#') < 0) {
      Message m = get(filter); // a filter without wildcards names one topic
      if (m != null) {
        visitor.accept(m);
      }
      return;
    }
    String[] levels = TopicLevels.split(filter);
    // Explicit stacks, not recursion: a retained topic may be up to 65,535 bytes (MQTT-4.7.3-3),
    // that is up to 32,768 levels, far more than a thread's stack holds frames for.
    ArrayDeque<Step> stack = new ArrayDeque<>();
    ArrayDeque<Node> below = null; // for the subtrees a '#' matches; most filters have none
    stack.push(new Step(root, 0));
    while (!stack.isEmpty()) {
      Step step = stack.pop();
      Node node = step.node();
      int i = step.level();
      if (i == levels.length) {
        visit(node, visitor);
        continue;
      }
      String level = levels[i];
      if (level.equals("#")) {
        if (i > 0) {
          visit(node, visitor); // "a/#" matches "a" itself
        }
        for (Node child : node.childNodes()) {
          if (i == 0 && child.key.startsWith("$")) {
            continue;
          }
          if (below == null) {
            below = new ArrayDeque<>();
          }
          visitSubtree(child, visitor, below);
        }
      } else if (level.equals("+")) {
        for (Node child : node.childNodes()) {
          if (i == 0 && child.key.startsWith("$")) {
            continue;
          }
          stack.push(new Step(child, i + 1));
        }
      } else {
        Node child = node.child(level);
        if (child != null) {
          stack.push(new Step(child, i + 1));
        }
      }
    }
  }

  /** A node still to visit, with the index of the filter level it is matched against. */
  private record Step(Node node, int level) {}

  /**
   * Visits a node and every node below it (the part of the tree a {@code #} matches). Leaves, most
   * of a big tree, are visited from their parent's loop: no stack entry and no iterator of their
   * empty child map each (a {@code #} over 1,000,000 retained topics walked 1,000,000 of both).
   * A child added meanwhile may be missed, like any message stored during the walk.
   */
  private static void visitSubtree(Node top, Consumer<Message> visitor, ArrayDeque<Node> nodes) {
    nodes.push(top);
    while (!nodes.isEmpty()) {
      Node node = nodes.pop();
      visit(node, visitor);
      for (Node child : node.childNodes()) {
        if (child.isLeaf()) {
          visit(child, visitor);
        } else {
          nodes.push(child);
        }
      }
    }
  }

  /** Nodes below the root, for tests of pruning. */
  int nodeCount() {
    int n = 0;
    ArrayDeque<Node> nodes = new ArrayDeque<>(root.childNodes());
    while (!nodes.isEmpty()) {
      n++;
      nodes.addAll(nodes.pop().childNodes());
    }
    return n;
  }

  private static void visit(Node node, Consumer<Message> visitor) {
    Message m = node.message;
    if (m != null) {
      visitor.accept(m);
    }
  }
}
