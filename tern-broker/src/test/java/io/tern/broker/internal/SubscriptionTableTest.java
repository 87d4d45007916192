package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SubscriptionTableTest {
  private static Subscriber sub(String filter, int qos) {
    return new Subscriber(null, filter, qos, false, false, 0, 0);
  }

  @Test
  void putReplacesTheSubscriptionToTheSameFilterAndRemoveFindsItByFilter() {
    SubscriptionTable t = new SubscriptionTable();
    assertThat(t.put(sub("a/b", 0))).isNull();
    Subscriber second = sub("a/b", 1);
    assertThat(t.put(second).qos()).isZero();
    assertThat(t.size()).isEqualTo(1);
    assertThat(t.get(new String("a/b"))).isSameAs(second); // by equal filter, not the same String
    assertThat(t.remove("a/+")).isNull();
    assertThat(t.remove("a/b")).isSameAs(second);
    assertThat(t.size()).isZero();
    assertThat(t.get("a/b")).isNull();
    assertThat(t.values()).isEmpty();
  }

  @Test
  void filtersWithTheSameHashAreKeptApart() {
    // "Aa" and "BB" have the same String.hashCode, and so have every string made of them.
    List<String> same = List.of("AaAa", "AaBB", "BBAa", "BBBB");
    SubscriptionTable t = new SubscriptionTable();
    for (String f : same) {
      t.put(sub(f, 1));
    }
    assertThat(t.remove("AaBB")).isNotNull();
    assertThat(t.contains("AaAa")).isTrue();
    assertThat(t.contains("AaBB")).isFalse();
    assertThat(t.contains("BBAa")).isTrue();
    assertThat(t.contains("BBBB")).isTrue();
    assertThat(t.values()).extracting(Subscriber::filter).containsExactlyInAnyOrder("AaAa", "BBAa", "BBBB");
  }

  /**
   * Random puts and removes against a HashMap: a few hundred filters, so that runs of colliding
   * slots form, the table grows and shrinks, and the removals' backward shift is exercised at the
   * table's wrap-around.
   */
  @Test
  void behavesAsAMapOfFilterToSubscriptionUnderRandomChanges() {
    for (long seed = 0; seed < 40; seed++) {
      Random rnd = new Random(seed);
      SubscriptionTable t = new SubscriptionTable();
      Map<String, Subscriber> model = new HashMap<>();
      int filters = 1 + rnd.nextInt(400);
      for (int op = 0; op < 20_000; op++) {
        String f = "f/" + rnd.nextInt(filters);
        // phases that mostly add and mostly remove, so the table is resized both ways
        boolean adding = (op / 2_000) % 2 == 0 ? rnd.nextInt(4) != 0 : rnd.nextInt(4) == 0;
        if (adding) {
          Subscriber s = sub(f, rnd.nextInt(3));
          assertThat(t.put(s)).isSameAs(model.put(f, s));
        } else {
          assertThat(t.remove(f)).isSameAs(model.remove(f));
        }
        assertThat(t.size()).isEqualTo(model.size());
        String probe = "f/" + rnd.nextInt(filters);
        assertThat(t.get(probe)).as("seed %d op %d", seed, op).isSameAs(model.get(probe));
      }
      assertThat(t.values()).containsExactlyInAnyOrderElementsOf(model.values());
      for (String f : model.keySet()) {
        assertThat(t.get(f)).isSameAs(model.get(f));
      }
    }
  }
}
