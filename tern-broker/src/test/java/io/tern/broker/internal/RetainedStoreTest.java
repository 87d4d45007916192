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
  void countsTheBytesOfTheMessagesItHoldsAndOfItsTree() {
    // Payload, topic and properties of each message, OVERHEAD - LEVEL_BYTES per message held,
    // LEVEL_BYTES per node of the tree and MAP_BYTES per node with children (the root too): a
    // message of a new one-level topic counts OVERHEAD (and the root's map, for the first).
    int o = RetainedStore.OVERHEAD;
    int l = RetainedStore.LEVEL_BYTES;
    int m = RetainedStore.MAP_BYTES;
    assertThat(store.bytesOfNew(8, "a/b")).isEqualTo(8 + o + l + 2 * m);
    store.put(msg("a/b", "12345")); // 3 + 5: two nodes, the root's map and a's
    assertThat(store.bytes()).isEqualTo(8 + o + l + 2 * m);
    assertThat(store.bytesOfNew(2, "c")).isEqualTo(2 + o);
    assertThat(store.bytesOfNew(4, "a/c")).as("a is there, with its map").isEqualTo(4 + o);
    assertThat(store.bytesOfNew(6, "a/b/c")).as("b has no map yet").isEqualTo(6 + o + m);
    assertThat(store.bytesOfNew(2, "a")).as("a node without a message").isEqualTo(2 + o - l);
    store.put(msg("c", "1"));
    assertThat(store.bytes()).isEqualTo(10 + 2 * o + l + 2 * m);
    store.put(msg("a/b", "123")); // replaced by a smaller one
    assertThat(store.bytes()).isEqualTo(8 + 2 * o + l + 2 * m);
    Message expiring = msg("d", "1234");
    store.put(expiring);
    assertThat(store.bytes()).isEqualTo(13 + 3 * o + l + 2 * m);
    assertThat(store.removeIfSame(msg("d", "1234"))).as("another message of that topic").isFalse();
    assertThat(store.removeIfSame(expiring)).isTrue();
    assertThat(store.bytes()).isEqualTo(8 + 2 * o + l + 2 * m);
    store.put(msg("a/b", "")); // clears a/b, and a goes with it, and its map
    store.put(msg("absent", ""));
    assertThat(store.bytes()).isEqualTo(2 + o + m);
    long before = store.bytes();
    long expected = store.bytesOfNew(8, "x/y/z//");
    store.put(msg("x/y/z//", "1")); // 7 + 1: five nodes, four maps
    assertThat(store.bytes() - before).isEqualTo(expected).isEqualTo(8 + o + 4 * l + 4 * m);
    store.put(msg("x/y", "1")); // 3 + 1, on a node that is there
    assertThat(store.bytes()).isEqualTo(2 + o + m + 8 + o + 4 * l + 4 * m + 4 + o - l);
    store.put(msg("x/y/z//", "")); // z and the two empty levels go, and three maps; x and y hold x/y
    assertThat(store.bytes()).isEqualTo(2 + o + m + 4 + o + l + m);
    store.put(msg("x/y", ""));
    store.put(msg("c", ""));
    assertThat(store.bytes()).isZero();
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

  @Test
  void exactFiltersFindTheirTopicAndClearingEverythingLeavesNoNodes() {
    java.util.Random random = new java.util.Random(7);
    java.util.Map<String, String> model = new java.util.HashMap<>();
    String[] names = {"a", "b", "", "$s", "+x"};
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder t = new StringBuilder(names[random.nextInt(names.length)]);
      for (int depth = random.nextInt(4); depth > 0; depth--) {
        t.append('/').append(names[random.nextInt(names.length)]);
      }
      topics.add(t.toString().replace("+x", "x+")); // '+' inside a level is no wildcard in a topic
    }
    for (int step = 0; step < 5_000; step++) {
      String t = topics.get(random.nextInt(topics.size()));
      String payload = random.nextInt(3) == 0 ? "" : "p" + step;
      store.put(msg(t, payload));
      if (payload.isEmpty()) {
        model.remove(t);
      } else {
        model.put(t, payload);
      }
      String probe = topics.get(random.nextInt(topics.size()));
      List<String> found = new ArrayList<>();
      store.match(probe, m -> found.add(new String(m.publish().payload(), StandardCharsets.UTF_8)));
      assertThat(found).as(probe).isEqualTo(model.containsKey(probe) ? List.of(model.get(probe)) : List.of());
    }
    assertThat(store.size()).isEqualTo(model.size());
    for (String t : topics) {
      store.put(msg(t, ""));
    }
    assertThat(store.size()).isZero();
    assertThat(store.nodeCount()).as("every branch pruned").isZero();
    assertThat(topicsMatching("#")).isEmpty();
    store.put(msg("a/b", "again"));
    assertThat(topicsMatching("a/+")).containsExactly("a/b");
    assertThat(store.nodeCount()).isEqualTo(2);
  }

  @Test
  void aTopicAboveOrBelowAStoredOneHasNoMessageAndOnlyTheSameMessageIsRemovedAsExpired() {
    Message older = msg("a/b/c", "x");
    store.put(older);
    assertThat(store.get("a/b")).isNull();
    assertThat(store.get("a/b/c/d")).isNull();
    assertThat(store.get("a/b/c/")).isNull();
    assertThat(store.get("a/b/cc")).isNull();
    Message newer = msg("a/b/c", "y");
    store.put(newer);
    assertThat(store.removeIfSame(older)).as("replaced meanwhile").isFalse();
    assertThat(store.get("a/b/c")).isSameAs(newer);
    assertThat(store.removeIfSame(newer)).isTrue();
    assertThat(store.size()).isZero();
    assertThat(store.nodeCount()).isZero();
    assertThat(store.removeIfSame(newer)).isFalse();
  }
}
