package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.BrokerConfig;
import io.tern.broker.SharedSubscriptionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Shared subscription groups in {@link SubscriptionTrie}: one member per group and message, lock-free. */
class SharedSubscriptionTrieTest {
  private final BrokerCore core = new BrokerCore(BrokerConfig.defaults());
  private final SubscriptionTrie trie = new SubscriptionTrie(SharedSubscriptionPolicy.ROUND_ROBIN);

  private Session session(String id) {
    return new Session(id, core, null, false, null);
  }

  private Subscriber shared(Session s, String filter) {
    return Subscriber.of(s, filter, 1, false, false, 0, 0);
  }

  private List<Subscriber> match(String topic) {
    MatchCollector c = new MatchCollector();
    trie.match(topic, c);
    List<Subscriber> out = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      out.add(c.get(i));
    }
    return out;
  }

  @Test
  void shareNameAndFilterAreParsed() {
    Subscriber s = shared(session("a"), "$share/g1/a/+/c");
    assertThat(s.shareName()).isEqualTo("g1");
    assertThat(s.topicFilter()).isEqualTo("a/+/c");
    assertThat(s.filter()).isEqualTo("$share/g1/a/+/c");
    assertThat(Subscriber.of(session("b"), "a/b", 0, false, false, 0, 0).shared()).isFalse();
  }

  @Test
  void oneMemberPerGroupInTurn() {
    Session a = session("a");
    Session b = session("b");
    Session c = session("c");
    assertThat(trie.subscribe(shared(a, "$share/g/t/#"))).isTrue();
    assertThat(trie.subscribe(shared(b, "$share/g/t/#"))).isTrue();
    assertThat(trie.subscribe(shared(c, "$share/other/t/x"))).isTrue();
    assertThat(trie.subscribe(shared(a, "$share/g/t/#"))).as("again: replaced, not added").isFalse();
    assertThat(trie.size()).isEqualTo(3);
    List<Session> receivers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      List<Subscriber> m = match("t/x");
      assertThat(m).hasSize(2); // one of g, and c of "other"
      m.stream().filter(s -> s.shareName().equals("g")).forEach(s -> receivers.add(s.session()));
    }
    assertThat(receivers).containsExactly(a, b, a, b);
  }

  @Test
  void otherMemberSkipsTheOneThatLeft() {
    Session a = session("a");
    Session b = session("b");
    trie.subscribe(shared(a, "$share/g/t"));
    trie.subscribe(shared(b, "$share/g/t"));
    for (int i = 0; i < 5; i++) {
      assertThat(trie.otherMember("$share/g/t", a).session()).isSameAs(b);
    }
    trie.unsubscribe(b, "$share/g/t");
    assertThat(trie.otherMember("$share/g/t", a)).isNull();
  }

  @Test
  void lastMemberLeavingPrunesTheGroup() {
    Session a = session("a");
    trie.subscribe(shared(a, "$share/g/x/y"));
    assertThat(trie.unsubscribe(a, "$share/g/x/y")).isTrue();
    assertThat(trie.unsubscribe(a, "$share/g/x/y")).isFalse();
    assertThat(trie.size()).isZero();
    assertThat(trie.nodeCount()).isZero();
    assertThat(match("x/y")).isEmpty();
  }

  @Test
  void concurrentMatchingSplitsEvenly() throws Exception {
    Session a = session("a");
    Session b = session("b");
    trie.subscribe(shared(a, "$share/g/t"));
    trie.subscribe(shared(b, "$share/g/t"));
    ConcurrentHashMap<Session, AtomicInteger> counts = new ConcurrentHashMap<>();
    int threads = 4;
    int perThread = 10_000;
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      new Thread(() -> {
        MatchCollector c = new MatchCollector();
        for (int i = 0; i < perThread; i++) {
          c.clear();
          trie.match("t", c);
          counts.computeIfAbsent(c.get(0).session(), k -> new AtomicInteger()).incrementAndGet();
        }
        done.countDown();
      }).start();
    }
    done.await();
    assertThat(counts.get(a).get() + counts.get(b).get()).isEqualTo(threads * perThread);
    assertThat(counts.get(a).get()).isEqualTo(threads * perThread / 2);
  }

  @Test
  void outboundAliasesAreLeastRecentlyUsed() {
    OutboundTopicAliases aliases = new OutboundTopicAliases(2);
    assertThat(aliases.aliasFor("a")).isEqualTo(-1);
    assertThat(aliases.aliasFor("b")).isEqualTo(-2);
    assertThat(aliases.aliasFor("a")).isEqualTo(1);
    assertThat(aliases.aliasFor("c")).as("b was least recently used").isEqualTo(-2);
    assertThat(aliases.aliasFor("b")).as("b lost its alias; a was least recently used").isEqualTo(-1);
  }

  @Test
  void outboundAliasesAreBoundedWhateverTheClientAllows() {
    OutboundTopicAliases aliases = new OutboundTopicAliases(65_535);
    for (int i = 0; i < OutboundTopicAliases.MAX_ALIASES; i++) {
      assertThat(aliases.aliasFor("t/" + i)).isEqualTo(-(i + 1));
    }
    // The next topic takes the least recently used alias instead of alias 1025.
    assertThat(aliases.aliasFor("t/next")).isEqualTo(-1);
    assertThat(aliases.aliasFor("l/" + "x".repeat(OutboundTopicAliases.MAX_ALIASED_TOPIC))).as("too long: none")
        .isZero();
  }
}
