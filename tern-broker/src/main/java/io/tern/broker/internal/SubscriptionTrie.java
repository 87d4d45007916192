package io.tern.broker.internal;

import io.tern.broker.SharedSubscriptionPolicy;
import io.tern.codec.Topics;
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
 *
 * <p>Shared subscriptions ({@code $share/{group}/{filter}}, MQTT 5.0 section 4.8.2) sit at the node
 * of their filter as groups, each with a copy-on-write member array; {@link #match} adds one member
 * per matching group, chosen by the {@link SharedSubscriptionPolicy} (round robin: one atomic
 * increment per group and message, no lock).
 */
final class SubscriptionTrie {
  private static final Subscriber[] NONE = new Subscriber[0];
  private static final SharedGroup[] NO_GROUPS = new SharedGroup[0];

  private final Node root = new Node(null, null);
  private final SharedSubscriptionPolicy policy;
  private final Object writeLock = new Object();
  private final AtomicInteger count = new AtomicInteger();
  /** Aimed at each level of a filter in turn by {@link #subscribe} and {@link #unsubscribe}, under the lock. */
  private final MatchCollector.LevelKey writeKey = new MatchCollector.LevelKey();

  static final class Node {
    final Node parent;
    final String key;
    /** Children by level; null until the first (most nodes are leaves: a map each would be 64 bytes). */
    volatile ConcurrentHashMap<String, Node> children;
    /** The {@code +} and {@code #} children, also in {@link #children}: read by every match, without a lookup. */
    volatile Node plus;
    volatile Node hash;
    volatile Subscriber[] subscribers = NONE;
    volatile SharedGroup[] groups = NO_GROUPS;

    Node(Node parent, String key) {
      this.parent = parent;
      this.key = key;
    }

    Node child(String level) {
      ConcurrentHashMap<String, Node> c = children;
      return c == null ? null : c.get(level);
    }

    /**
     * The child for the level {@code key} is aimed at, or null. Written out rather than through
     * {@link MatchCollector.LevelKey#in} (as the retained store does): with the lookups here going
     * through that helper, TopicMatchBenchmark's match (whose own lookup is written out too) took
     * 790-1,120 ns at the median against 550-790 ns, four alternating runs on one host.
     */
    @SuppressWarnings("unlikely-arg-type") // a LevelKey equals the String of its level
    Node child(MatchCollector.LevelKey key) {
      ConcurrentHashMap<String, Node> c = children;
      return c == null ? null : c.get(key);
    }

    /**
     * The child for the level {@code key} is aimed at, created if absent: the level's String is made
     * only then. Under the trie's write lock.
     */
    @SuppressWarnings("unlikely-arg-type")
    Node childForWrite(MatchCollector.LevelKey key) {
      ConcurrentHashMap<String, Node> c = children;
      if (c == null) {
        c = new ConcurrentHashMap<>(4);
        children = c;
      }
      Node n = c.get(key);
      if (n == null) {
        String level = key.toString();
        n = new Node(this, level);
        c.put(level, n); // in the map before the shortcut field: a match sees it either way
        if (level.equals("+")) {
          plus = n;
        } else if (level.equals("#")) {
          hash = n;
        }
      }
      return n;
    }

    /** Removes an empty child. Under the trie's write lock. */
    void removeChild(Node child) {
      ConcurrentHashMap<String, Node> c = children;
      if (c != null && c.remove(child.key, child)) {
        if (plus == child) {
          plus = null;
        } else if (hash == child) {
          hash = null;
        }
      }
    }

    java.util.Collection<Node> childNodes() {
      ConcurrentHashMap<String, Node> c = children;
      return c == null ? java.util.List.of() : c.values();
    }

    boolean isEmpty() {
      ConcurrentHashMap<String, Node> c = children;
      return subscribers.length == 0 && groups.length == 0 && (c == null || c.isEmpty());
    }
  }

  /** The members of one share name at one filter. */
  static final class SharedGroup {
    final String name;
    volatile Subscriber[] members = NONE;
    final AtomicInteger next = new AtomicInteger();

    SharedGroup(String name) {
      this.name = name;
    }
  }

  SubscriptionTrie() {
    this(SharedSubscriptionPolicy.ROUND_ROBIN);
  }

  SubscriptionTrie(SharedSubscriptionPolicy policy) {
    this.policy = policy;
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
      return subscribeLocked(s);
    }
  }

  /**
   * {@link #subscribe} for each of {@code subs} in order, under one taking of the lock (a SUBSCRIBE
   * packet's filters: with two event loops subscribing at once, a taking per filter made a second
   * loop slower than one). {@code isNew[i]} is what {@link #subscribe} returns for {@code subs[i]}.
   */
  void subscribeAll(List<Subscriber> subs, boolean[] isNew) {
    synchronized (writeLock) {
      for (int i = 0, n = subs.size(); i < n; i++) {
        isNew[i] = subscribeLocked(subs.get(i));
      }
    }
  }

  private boolean subscribeLocked(Subscriber s) {
    Node node = walk(s.topicFilter(), writeKey, true);
    if (s.shared()) {
      return subscribeShared(node, s);
    }
    Subscriber[] subs = node.subscribers;
    node.subscribers = withMember(subs, s);
    return added(subs, node.subscribers);
  }

  /** A copy of {@code members} with {@code s} in place of its session's entry, or added at the end. */
  private static Subscriber[] withMember(Subscriber[] members, Subscriber s) {
    for (int i = 0; i < members.length; i++) {
      if (members[i].session() == s.session()) {
        Subscriber[] copy = members.clone();
        copy[i] = s;
        return copy;
      }
    }
    Subscriber[] copy = Arrays.copyOf(members, members.length + 1);
    copy[members.length] = s;
    return copy;
  }

  /** Whether {@link #withMember} added a subscription (counted) rather than replaced one. */
  private boolean added(Subscriber[] before, Subscriber[] after) {
    if (after.length == before.length) {
      return false;
    }
    count.incrementAndGet();
    return true;
  }

  private boolean subscribeShared(Node node, Subscriber s) {
    SharedGroup group = null;
    for (SharedGroup g : node.groups) {
      if (g.name.equals(s.shareName())) {
        group = g;
      }
    }
    if (group == null) {
      group = new SharedGroup(s.shareName());
      SharedGroup[] groups = Arrays.copyOf(node.groups, node.groups.length + 1);
      groups[groups.length - 1] = group;
      node.groups = groups;
    }
    Subscriber[] members = group.members;
    group.members = withMember(members, s);
    return added(members, group.members);
  }

  /** Removes the session's subscription to the filter; true if there was one. */
  boolean unsubscribe(Session session, String filter) {
    synchronized (writeLock) {
      Node node = find(Topics.topicFilterOf(filter), writeKey);
      if (node == null) {
        return false;
      }
      String shareName = Topics.shareNameOf(filter);
      if (shareName != null) {
        return unsubscribeShared(node, session, shareName);
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

  private boolean unsubscribeShared(Node node, Session session, String shareName) {
    SharedGroup[] groups = node.groups;
    for (int gi = 0; gi < groups.length; gi++) {
      SharedGroup g = groups[gi];
      if (!g.name.equals(shareName)) {
        continue;
      }
      Subscriber[] members = g.members;
      for (int i = 0; i < members.length; i++) {
        if (members[i].session() == session) {
          g.members = without(members, i);
          count.decrementAndGet();
          if (g.members.length == 0) {
            SharedGroup[] rest = new SharedGroup[groups.length - 1];
            System.arraycopy(groups, 0, rest, 0, gi);
            System.arraycopy(groups, gi + 1, rest, gi, groups.length - gi - 1);
            node.groups = rest.length == 0 ? NO_GROUPS : rest;
          }
          prune(node);
          return true;
        }
      }
    }
    return false;
  }

  private static Subscriber[] without(Subscriber[] subs, int i) {
    if (subs.length == 1) {
      return NONE;
    }
    Subscriber[] copy = new Subscriber[subs.length - 1];
    System.arraycopy(subs, 0, copy, 0, i);
    System.arraycopy(subs, i + 1, copy, i, subs.length - i - 1);
    return copy;
  }

  /** The node of the filter, or null; {@code key} is one only this thread uses meanwhile. */
  private Node find(String topicFilter, MatchCollector.LevelKey key) {
    return walk(topicFilter, key, false);
  }

  /**
   * The node of the filter, level by level in place ({@code key} aimed at each level in turn, one
   * only this thread uses meanwhile): with {@code create}, missing nodes are made (under the write
   * lock), a level's String only for a node that is new; without, null when one is missing.
   */
  private Node walk(String topicFilter, MatchCollector.LevelKey key, boolean create) {
    Node node = root;
    for (int pos = 0, len = topicFilter.length(); node != null; ) {
      int end = levelEnd(topicFilter, pos);
      MatchCollector.LevelKey level = key.at(topicFilter, pos, end);
      node = create ? node.childForWrite(level) : node.child(level);
      if (end == len) {
        break;
      }
      pos = end + 1;
    }
    key.release();
    return node;
  }

  /** Where the level starting at {@code pos} ends: the next '/', or the end of the filter. */
  private static int levelEnd(String filter, int pos) {
    int end = filter.indexOf('/', pos);
    return end < 0 ? filter.length() : end;
  }

  /**
   * A member of the shared subscription {@code sharedFilter} other than {@code except}, chosen by
   * the policy, for a message that {@code except} can no longer deliver; null when there is none.
   * Lock-free.
   */
  Subscriber otherMember(String sharedFilter, Session except) {
    SharedGroup g = group(sharedFilter);
    return g == null ? null : pick(g, except);
  }

  /** Every member of the shared subscription {@code sharedFilter} (a snapshot: do not change it); empty when none. Lock-free. */
  Subscriber[] members(String sharedFilter) {
    SharedGroup g = group(sharedFilter);
    return g == null ? NO_MEMBERS : g.members;
  }

  /** The group of the shared subscription {@code sharedFilter}, or null. */
  private SharedGroup group(String sharedFilter) {
    Node node = find(Topics.topicFilterOf(sharedFilter), new MatchCollector.LevelKey());
    String name = Topics.shareNameOf(sharedFilter);
    if (node != null && name != null) {
      for (SharedGroup g : node.groups) {
        if (g.name.equals(name)) {
          return g;
        }
      }
    }
    return null;
  }

  private static final Subscriber[] NO_MEMBERS = new Subscriber[0];

  /**
   * One member of the group for one message: by the policy, among the members whose client is
   * connected when there are any, else among all (their persistent sessions queue it). Round robin
   * passes over a connected member whose queue has reached the hold mark ({@code slow_subscriber:
   * wait}) while another connected member has room: giving it the message would make the publisher
   * wait for the slowest member, where a shared subscription exists to spread the load.
   */
  private Subscriber pick(SharedGroup g, Session except) {
    Subscriber[] m = g.members;
    int n = m.length;
    if (n == 0) {
      return null;
    }
    if (policy == SharedSubscriptionPolicy.LEAST_LOADED) {
      Subscriber best = null;
      int bestLoad = Integer.MAX_VALUE;
      boolean bestOnline = false;
      for (Subscriber s : m) {
        Session session = s.session();
        if (session == except) {
          continue;
        }
        boolean online = session.isOnline();
        int load = session.load();
        if (best == null || (online && !bestOnline) || (online == bestOnline && load < bestLoad)) {
          best = s;
          bestLoad = load;
          bestOnline = online;
        }
      }
      return best;
    }
    int start = Math.floorMod(g.next.getAndIncrement(), n);
    Subscriber behind = null;
    Subscriber offline = null;
    for (int i = 0; i < n; i++) {
      Subscriber s = m[(start + i) % n];
      Session session = s.session();
      if (session == except) {
        continue;
      }
      if (session.isOnline()) {
        if (session.belowHoldMark()) {
          return s;
        }
        if (behind == null) {
          behind = s;
        }
      } else if (offline == null) {
        offline = s;
      }
    }
    return behind != null ? behind : offline;
  }

  private void addMatches(Node node, MatchCollector out) {
    out.addAll(node.subscribers);
    SharedGroup[] groups = node.groups;
    for (SharedGroup g : groups) {
      Subscriber s = pick(g, null);
      if (s != null) {
        out.add(s);
      }
    }
  }

  private static void prune(Node node) {
    while (node.parent != null && node.isEmpty()) {
      node.parent.removeChild(node);
      node = node.parent;
    }
  }

  /**
   * False when no subscription can match {@code topic}, a topic name that starts with {@code $}:
   * wildcards at the first level do not match such topics (MQTT-4.7.2-1), so only a filter with
   * the same first level can. True may still mean no match. Any thread.
   */
  boolean mayMatchDollarTopic(String topic) {
    int slash = topic.indexOf('/');
    return root.child(slash < 0 ? topic : topic.substring(0, slash)) != null;
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
    // The stack holds each node with the offset in the topic where its child level starts; past
    // the end (length + 1) once every level is consumed. Levels are looked up in place (LevelKey).
    int len = topic.length();
    boolean dollar = len > 0 && topic.charAt(0) == '$';
    MatchCollector.LevelKey key = out.levelKey;
    out.push(root, 0);
    while (out.hasPushed()) {
      int pos = out.topLevel();
      Node node = out.pop();
      boolean wildcardsAllowed = !(pos == 0 && dollar);
      if (wildcardsAllowed) {
        Node hash = node.hash;
        if (hash != null) {
          addMatches(hash, out); // "#" matches this level and everything below, "a/#" matches "a"
        }
      }
      if (pos > len) {
        addMatches(node, out);
        continue;
      }
      int end = topic.indexOf('/', pos);
      if (end < 0) {
        end = len;
      }
      if (wildcardsAllowed) {
        Node plus = node.plus;
        if (plus != null) {
          out.push(plus, end + 1);
        }
      }
      ConcurrentHashMap<String, Node> children = node.children;
      if (children != null) {
        @SuppressWarnings("unlikely-arg-type") // a LevelKey equals the String of its level
        Node exact = children.get(key.at(topic, pos, end));
        if (exact != null) {
          out.push(exact, end + 1);
        }
      }
    }
    key.release();
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
    for (SharedGroup g : node.groups) {
      out.addAll(Arrays.asList(g.members));
    }
    for (Node child : node.childNodes()) {
      collect(child, out);
    }
  }

  /** Node count, for tests of pruning. */
  int nodeCount() {
    return countNodes(root) - 1;
  }

  private static int countNodes(Node n) {
    int c = 1;
    for (Node child : n.childNodes()) {
      c += countNodes(child);
    }
    return c;
  }
}
