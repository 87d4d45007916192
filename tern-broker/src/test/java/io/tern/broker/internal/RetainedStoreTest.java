package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.Publish;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetainedStoreTest {
  private final RetainedStore store = new RetainedStore();

  private static Message msg(String topic, String payload) {
    return new Message(new Publish(topic, payload.getBytes(StandardCharsets.UTF_8)), null, 0);
  }

  private List<String> topicsMatching(String filter) {
    List<String> out = new ArrayList<>();
    store.match(filter, m -> out.add(m.topic()));
    return out;
  }

  @Test
  void storesReplacesAndClearsPerTopic() {
    store.put(msg("a/b", "1"));
    store.put(msg("a/b", "2"));
    assertThat(store.size()).isEqualTo(1);
    assertThat(new String(store.get("a/b").publish().payload(), StandardCharsets.UTF_8)).isEqualTo("2");
    store.put(msg("a/b", ""));
    assertThat(store.size()).isZero();
    assertThat(store.get("a/b")).isNull();
    store.put(msg("never/stored", "")); // clearing an absent topic is a no-op
    assertThat(store.size()).isZero();
  }

  @Test
  void wildcardFiltersFindTheMatchingTopics() {
    for (String t : new String[] {"a", "a/b", "a/b/c", "a/x/c", "b/c", "$SYS/up", "/lead"}) {
      store.put(msg(t, "x"));
    }
    assertThat(topicsMatching("a/#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c", "a/x/c");
    assertThat(topicsMatching("a/+/c")).containsExactlyInAnyOrder("a/b/c", "a/x/c");
    assertThat(topicsMatching("#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c", "a/x/c", "b/c", "/lead");
    assertThat(topicsMatching("+/c")).containsExactly("b/c");
    assertThat(topicsMatching("+/lead")).containsExactly("/lead");
    assertThat(topicsMatching("$SYS/#")).containsExactly("$SYS/up");
    assertThat(topicsMatching("a")).containsExactly("a");
  }

  @Test
  void multiLevelWildcardsVisitEveryTopicBelowOnce() {
    // Random trees where inner nodes hold messages or not: '#' and 'x/#' find each topic once.
    java.util.Random random = new java.util.Random(42);
    java.util.Set<String> stored = new java.util.HashSet<>();
    String[] names = {"a", "b", "c", "", "$d"};
    for (int i = 0; i < 3_000; i++) {
      StringBuilder t = new StringBuilder(names[random.nextInt(names.length)]);
      for (int depth = random.nextInt(6); depth > 0; depth--) {
        t.append('/').append(names[random.nextInt(names.length - 1)]);
      }
      store.put(msg(t.toString(), "x"));
      stored.add(t.toString());
    }
    assertThat(store.size()).isEqualTo(stored.size());
    assertThat(topicsMatching("#")).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(stored.stream().filter(t -> !t.startsWith("$")).toList());
    assertThat(topicsMatching("a/#")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(
        stored.stream().filter(t -> t.equals("a") || t.startsWith("a/")).toList());
    assertThat(topicsMatching("+/b/#")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(
        stored.stream().filter(t -> !t.startsWith("$") && t.indexOf('/') >= 0
            && (t.substring(t.indexOf('/') + 1).equals("b") || t.substring(t.indexOf('/') + 1).startsWith("b/")))
            .toList());
    assertThat(topicsMatching("$d/#")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(
        stored.stream().filter(t -> t.equals("$d") || t.startsWith("$d/")).toList());
  }
}
