package io.tern.broker.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The subscription trie: topic filter levels as nodes, {@code +} and {@code #} as ordinary child
 * keys, and at each node the copy-on-write array of subscribers whose filter ends there.
 *
 * <p>Concurrency: {@link #match} is lock-free and may run on any thread at any time; it sees each
 * node's subscriber array as of some moment during the call. {@link #subscribe} and {@link
 * #unsubscribe} serialize on the trie's lock: they are rare next to publishes. Empty nodes are pruned
 * under the same lock, so a reader may still walk a pruned node, which is harmless.
 */
final class SubscriptionTrie {
  private static final Subscriber[] NONE = new Subscriber[0];

  private final Node root = new Node(null, null);
  private final Object writeLock = new Object();
  private final AtomicInteger count = new AtomicInteger();

  static final class Node {
    final Node parent;
    final String key;
    final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
    volatile Subscriber[] subscribers = NONE;

    Node(Node parent, String key) {
      this.parent = parent;
      this.key = key;
    }
  }

  /** Number of subscriptions held. */
  int size() {
    return count.get();
  }

  /**
   * Adds or replaces the subscription of {@code s.session()} to {@code s.filter()}.
   *
   * @return true when the session had no subscription to this filter before
   */
  boolean subscribe(Subscriber s) {
    synchronized (writeLock) {
      Node node = root;
      for (String level : TopicLevels.split(s.filter())) {
        Node n = node;
        node = n.children.computeIfAbsent(level, k -> new Node(n, k));
      }
      Subscriber[] subs = node.subscribers;
      for (int i = 0; i < subs.length; i++) {
        if (subs[i].session() == s.session()) {
          Subscriber[] copy = subs.clone();
          copy[i] = s;
          node.subscribers = copy;
          return false;
        }
      }
      Subscriber[] copy = Arrays.copyOf(subs, subs.length + 1);
      copy[subs.length] = s;
      node.subscribers = copy;
      count.incrementAndGet();
      return true;
    }
  }

  /** Removes the session's subscription to the filter; true if there was one. */
  boolean unsubscribe(Session session, String filter) {
    synchronized (writeLock) {
      Node node = root;
      for (String level : TopicLevels.split(filter)) {
        node = node.children.get(level);
        if (node == null) {
          return false;
        }
      }
      Subscriber[] subs = node.subscribers;
      for (int i = 0; i < subs.length; i++) {
        if (subs[i].session() == session) {
          if (subs.length == 1) {
            node.subscribers = NONE;
          } else {
            Subscriber[] copy = new Subscriber[subs.length - 1];
            System.arraycopy(subs, 0, copy, 0, i);
            System.arraycopy(subs, i + 1, copy, i, subs.length - i - 1);
            node.subscribers = copy;
          }
          count.decrementAndGet();
          prune(node);
          return true;
        }
      }
      return false;
    }
  }

  private static void prune(Node node) {
    while (node.parent != null && node.subscribers.length == 0 && node.children.isEmpty()) {
      node.parent.children.remove(node.key, node);
      node = node.parent;
    }
  }

  /**
   * Collects the subscribers whose filter matches the topic name, with the rule that a leading
   * {@code +} or {@code #} does not match a topic starting with {@code $} (MQTT-4.7.2-1).
   *
   * <p>Depth-first with an explicit stack (kept in {@code out}), not recursion: a topic name or
   * filter may be up to 65,535 bytes (MQTT-4.7.3-3), that is up to 32,768 levels, far more than a
   * thread's stack holds frames for.
   */
  void match(String topic, MatchCollector out) {
    String[] levels = TopicLevels.split(topic);
    boolean dollar = !topic.isEmpty() && topic.charAt(0) == '$';
    out.push(root, 0);
    while (out.hasPushed()) {
      int i = out.topLevel();
      Node node = out.pop();
      boolean wildcardsAllowed = !(i == 0 && dollar);
      if (wildcardsAllowed) {
        Node hash = node.children.get("#");
        if (hash != null) {
          out.addAll(hash.subscribers); // "#" matches this level and everything below, "a/#" matches "a"
        }
      }
      if (i == levels.length) {
        out.addAll(node.subscribers);
        continue;
      }
      if (wildcardsAllowed) {
        Node plus = node.children.get("+");
        if (plus != null) {
          out.push(plus, i + 1);
        }
      }
      Node exact = node.children.get(levels[i]);
      if (exact != null) {
        out.push(exact, i + 1);
      }
    }
    out.trimStack();
  }

  /** All subscriptions (for diagnostics and tests). Not for the message path. */
  List<Subscriber> all() {
    List<Subscriber> out = new ArrayList<>();
    collect(root, out);
    return out;
  }

  private static void collect(Node node, List<Subscriber> out) {
    out.addAll(Arrays.asList(node.subscribers));
    for (Node child : node.children.values()) {
      collect(child, out);
    }
  }

  /** Node count, for tests of pruning. */
  int nodeCount() {
    return countNodes(root) - 1;
  }

  private static int countNodes(Node n) {
    int c = 1;
    for (Node child : n.children.values()) {
      c += countNodes(child);
    }
    return c;
  }
}
