package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.BrokerConfig;
import io.tern.codec.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SubscriptionTrieTest {
  private final BrokerCore core = new BrokerCore(BrokerConfig.defaults());
  private final SubscriptionTrie trie = new SubscriptionTrie();

  private Session session(String id) {
    return new Session(id, core, null, false, null);
  }

  private Subscriber sub(Session s, String filter, int qos) {
    return new Subscriber(s, filter, qos, false, false, 0, 0);
  }

  private List<String> matchingFilters(String topic) {
    MatchCollector c = new MatchCollector();
    trie.match(topic, c);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      out.add(c.get(i).filter());
    }
    return out;
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "a/b/c, a/b/c, true", "a/+/c, a/b/c, true", "a/#, a/b/c, true", "a/#, a, true", "#, a/b, true",
      "+/+, a/b, true", "+, a/b, false", "a/+, a, false", "a/b, a/b/c, false", "+/b, /b, true",
      "/#, /a, true", "+, '', true", "a//b, a//b, true", "a/+/b, a//b, true", "#, $SYS/x, false",
      "+/x, $SYS/x, false", "$SYS/#, $SYS/x, true", "$SYS/+, $SYS/x, true", "a/+, a/, true", "a/#, a/, true",
      "a/, a/, true", "a, a/, false", "€/x, €/x, true", "+/€ü, a/€ü, true", "€/x, €/y, false", "ü/#, ü, true"})
  void matchesLikeTheReferenceMatcher(String filter, String topic, boolean expected) {
    trie.subscribe(sub(session("s"), filter, 0));
    assertThat(matchingFilters(topic).contains(filter)).isEqualTo(expected);
    assertThat(Topics.matches(filter, topic)).isEqualTo(expected);
  }

  @Test
  void randomFiltersAgreeWithTheReferenceMatcher() {
    Random rnd = new Random(42);
    String[] words = {"a", "b", "c", "", "$x"};
    List<String> filters = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder f = new StringBuilder();
      int levels = 1 + rnd.nextInt(4);
      for (int l = 0; l < levels; l++) {
        if (l > 0) {
          f.append('/');
        }
        int k = rnd.nextInt(7);
        if (k == 5) {
          f.append('+');
        } else if (k == 6 && l == levels - 1) {
          f.append('#');
        } else {
          f.append(words[rnd.nextInt(words.length - (l == 0 ? 0 : 1))]);
        }
      }
      String filter = f.toString();
      if (Topics.isValidFilter(filter) && !filters.contains(filter)) {
        filters.add(filter);
        trie.subscribe(sub(session("s" + i), filter, 0));
      }
    }
    for (int i = 0; i < 500; i++) {
      StringBuilder t = new StringBuilder();
      int levels = 1 + rnd.nextInt(4);
      for (int l = 0; l < levels; l++) {
        if (l > 0) {
          t.append('/');
        }
        t.append(words[rnd.nextInt(words.length)]);
      }
      String topic = t.toString();
      Set<String> expected = new HashSet<>();
      for (String f : filters) {
        if (Topics.matches(f, topic)) {
          expected.add(f);
        }
      }
      assertThat(new HashSet<>(matchingFilters(topic))).as("topic %s", topic).isEqualTo(expected);
    }
  }

  @Test
  void resubscribingReplacesTheSubscriptionOfTheSameSession() {
    Session s = session("s");
    assertThat(trie.subscribe(sub(s, "a/b", 0))).isTrue();
    assertThat(trie.subscribe(sub(s, "a/b", 2))).isFalse();
    MatchCollector c = new MatchCollector();
    trie.match("a/b", c);
    assertThat(c.size()).isEqualTo(1);
    assertThat(c.get(0).qos()).isEqualTo(2);
    assertThat(trie.size()).isEqualTo(1);
  }

  @Test
  void unsubscribePrunesEmptyNodes() {
    Session s1 = session("s1");
    Session s2 = session("s2");
    trie.subscribe(sub(s1, "a/b/c", 0));
    trie.subscribe(sub(s2, "a/b", 0));
    assertThat(trie.nodeCount()).isEqualTo(3);
    assertThat(trie.unsubscribe(s1, "a/b/c")).isTrue();
    assertThat(trie.nodeCount()).isEqualTo(2);
    assertThat(trie.unsubscribe(s1, "a/b/c")).isFalse();
    assertThat(trie.unsubscribe(s2, "a/b")).isTrue();
    assertThat(trie.nodeCount()).isZero();
    assertThat(trie.size()).isZero();
  }

  @Test
  void overlapsAreDetectedPerSession() {
    Session s = session("s");
    trie.subscribe(sub(s, "a/#", 0));
    trie.subscribe(sub(s, "a/+", 1));
    trie.subscribe(sub(session("other"), "a/+", 1));
    MatchCollector c = new MatchCollector();
    trie.match("a/b", c);
    assertThat(c.size()).isEqualTo(3);
    assertThat(c.hasOverlaps()).isTrue();
    c.clear();
    trie.match("a", c); // only a/# matches
    assertThat(c.hasOverlaps()).isFalse();
  }

  @Test
  void aDollarTopicMayMatchOnlyWhenASubscriptionHasItsFirstLevel() {
    assertThat(trie.mayMatchDollarTopic("$SYS/broker/uptime")).isFalse();
    trie.subscribe(sub(session("a"), "#", 0));
    trie.subscribe(sub(session("b"), "+/broker/uptime", 0));
    trie.subscribe(sub(session("c"), "$SYSTEM/#", 0));
    assertThat(trie.mayMatchDollarTopic("$SYS/broker/uptime")).isFalse();
    assertThat(matchingFilters("$SYS/broker/uptime")).isEmpty();
    trie.subscribe(Subscriber.of(session("d"), "$share/g/$SYS/#", 0, false, false, 0, 0));
    assertThat(trie.mayMatchDollarTopic("$SYS/broker/uptime")).isTrue();
    assertThat(trie.mayMatchDollarTopic("$SYS")).isTrue();
    assertThat(trie.mayMatchDollarTopic("$SYS2/x")).isFalse();
  }

  @Test
  void whatADollarTopicMatchesItMayMatch() {
    Random rnd = new Random(7);
    String[] words = {"$a", "$b", "a", "+", "#", ""};
    for (int round = 0; round < 200; round++) {
      SubscriptionTrie t = new SubscriptionTrie();
      for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
        StringBuilder f = new StringBuilder();
        int levels = 1 + rnd.nextInt(3);
        for (int l = 0; l < levels; l++) {
          String w = words[rnd.nextInt(words.length)];
          f.append(l > 0 ? "/" : "").append(w);
          if (w.equals("#")) {
            break;
          }
        }
        if (Topics.isValidFilter(f.toString())) {
          t.subscribe(sub(session("s" + i), f.toString(), 0));
        }
      }
      for (String topic : new String[] {"$a", "$a/a", "$a/$b", "$b/a/a", "$a/", "$b"}) {
        MatchCollector c = new MatchCollector();
        t.match(topic, c);
        if (c.size() > 0) {
          assertThat(t.mayMatchDollarTopic(topic)).as(topic).isTrue();
        }
      }
    }
  }
}
