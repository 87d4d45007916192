package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.codec.MqttProperties;
import io.tern.codec.Publish;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InflightWindowTest {
  private static final Message MESSAGE =
      new Message(new Publish("t", 2, false, false, 0, new byte[0], MqttProperties.EMPTY), null, 0);

  private static Delivery delivery() {
    return new Delivery(MESSAGE, 2, false, List.of());
  }

  private static List<Integer> ids(InflightWindow w) {
    List<Integer> ids = new ArrayList<>();
    for (InflightWindow.Cursor c = w.cursor(); c.next(); ) {
      ids.add(c.packetId());
    }
    return ids;
  }

  @Test
  void keepsSendOrderWhateverTheOrderOfAcknowledgements() {
    InflightWindow w = new InflightWindow();
    Map<Integer, Delivery> sent = new HashMap<>();
    for (int id : new int[] {7, 3, 65535, 1}) {
      sent.put(id, delivery());
      w.put(id, sent.get(id));
    }
    assertThat(w.remove(3)).isSameAs(sent.get(3));
    assertThat(w.remove(3)).isNull();
    assertThat(ids(w)).containsExactly(7, 65535, 1);
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.containsKey(1)).isTrue();
    assertThat(w.get(7)).isSameAs(sent.get(7));
    w.remove(7);
    w.remove(65535);
    w.remove(1);
    assertThat(w.isEmpty()).isTrue();
    assertThat(ids(w)).isEmpty();
  }

  @Test
  void cursorRemoveTakesTheMessageOutAndGoesOn() {
    InflightWindow w = new InflightWindow();
    for (int id = 1; id <= 5; id++) {
      w.put(id, delivery());
    }
    for (InflightWindow.Cursor c = w.cursor(); c.next(); ) {
      if (c.packetId() % 2 == 0) {
        c.remove();
        assertThatThrownBy(c::delivery).isInstanceOf(NoSuchElementException.class);
      }
    }
    assertThat(ids(w)).containsExactly(1, 3, 5);
    assertThat(w.containsKey(2)).isFalse();
    assertThat(w.size()).isEqualTo(3);
  }

  @Test
  void releasedIsPerMessageAndGoesWithIt() {
    InflightWindow w = new InflightWindow();
    w.put(1, delivery());
    w.put(2, delivery(), true); // read back from the store released
    assertThat(w.released(1)).isFalse();
    assertThat(w.released(2)).isTrue();
    w.release(1);
    assertThat(w.released(1)).isTrue();
    List<Boolean> seen = new ArrayList<>();
    for (InflightWindow.Cursor c = w.cursor(); c.next(); ) {
      seen.add(c.released());
    }
    assertThat(seen).containsExactly(true, true);
    w.remove(1);
    assertThat(w.released(1)).as("gone with its message").isFalse();
    w.put(1, delivery());
    assertThat(w.released(1)).as("the id reused by a new message").isFalse();
    Delivery replacing = delivery();
    w.put(2, replacing); // the same id for another message: not released, and counted once
    assertThat(w.released(2)).isFalse();
    assertThat(w.get(2)).isSameAs(replacing);
    assertThat(ids(w)).containsExactly(1, 2);
    w.clear();
    assertThat(w.isEmpty()).isTrue();
    assertThat(w.released(2)).isFalse();
    assertThat(ids(w)).isEmpty();
  }

  @Test
  void aMessageNeverAcknowledgedDoesNotMakeTheRingGrowWithoutBound() throws Exception {
    InflightWindow w = new InflightWindow();
    w.put(1, delivery()); // never acknowledged
    for (int i = 0; i < 100_000; i++) {
      int id = 2 + i % 1000;
      w.put(id, delivery());
      w.remove(id);
    }
    assertThat(ids(w)).containsExactly(1);
    java.lang.reflect.Field f = InflightWindow.class.getDeclaredField("count");
    f.setAccessible(true);
    assertThat((int) f.get(w)).isLessThanOrEqualTo(2 * w.size() + 17);
  }

  @Test
  void compactingAcrossTheEndOfTheRingKeepsSendOrder() throws Exception {
    InflightWindow w = new InflightWindow();
    for (int id = 1; id <= 20; id++) {
      w.put(id, delivery()); // the ring grows to 32
    }
    for (int id = 1; id <= 18; id++) {
      w.remove(id); // the head moves to slot 18
    }
    // 19 and 20 are held; the others are acknowledged out of order, so their pairs pile up behind
    // the two, past the end of the ring, and are compacted in place over and over.
    java.lang.reflect.Field ring = InflightWindow.class.getDeclaredField("ringIds");
    ring.setAccessible(true);
    for (int i = 0; i < 5_000; i++) {
      int a = 21 + 2 * (i % 500);
      w.put(a, delivery());
      w.put(a + 1, delivery());
      w.remove(a + 1);
      w.remove(a);
      assertThat(ids(w)).as("after %d", i).containsExactly(19, 20);
    }
    assertThat(((int[]) ring.get(w)).length).as("compacted, not grown").isEqualTo(32);
    w.put(2000, delivery());
    w.remove(19);
    assertThat(ids(w)).containsExactly(20, 2000);
  }

  /** Random puts, acks in any order, releases and cursor removals against a simple model. */
  @Test
  void behavesAsAnInsertionOrderedMap() {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      InflightWindow w = new InflightWindow();
      LinkedHashMap<Integer, Delivery> model = new LinkedHashMap<>();
      Map<Integer, Boolean> released = new HashMap<>();
      int nextId = 1;
      for (int step = 0; step < 2_000; step++) {
        int op = random.nextInt(10);
        if (op < 5 && model.size() < 300) {
          int id = nextId;
          nextId = nextId == 65535 ? 1 : nextId + 1;
          if (model.containsKey(id)) {
            continue; // the session skips ids in flight
          }
          Delivery d = delivery();
          w.put(id, d);
          model.put(id, d);
        } else if (op < 8 && !model.isEmpty()) {
          int id = new ArrayList<>(model.keySet()).get(random.nextInt(model.size()));
          assertThat(w.remove(id)).isSameAs(model.remove(id));
          released.remove(id);
        } else if (op < 9 && !model.isEmpty()) {
          int id = new ArrayList<>(model.keySet()).get(random.nextInt(model.size()));
          w.release(id);
          released.put(id, true);
        } else {
          for (InflightWindow.Cursor c = w.cursor(); c.next(); ) {
            if (random.nextInt(20) == 0) {
              model.remove(c.packetId());
              released.remove(c.packetId());
              c.remove();
            }
          }
        }
        assertThat(w.size()).isEqualTo(model.size());
      }
      List<Integer> order = new ArrayList<>();
      for (InflightWindow.Cursor c = w.cursor(); c.next(); ) {
        order.add(c.packetId());
        assertThat(c.delivery()).isSameAs(model.get(c.packetId()));
        assertThat(c.released()).isEqualTo(released.getOrDefault(c.packetId(), false));
      }
      assertThat(order).containsExactlyElementsOf(model.keySet());
    }
  }
}
