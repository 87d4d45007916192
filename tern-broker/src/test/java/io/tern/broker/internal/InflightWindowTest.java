package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class InflightWindowTest {
  private static Outbound out(int id) {
    return new Outbound(null, id);
  }

  private static List<Integer> ids(InflightWindow w) {
    List<Integer> ids = new ArrayList<>();
    for (Outbound o : w) {
      ids.add(o.packetId);
    }
    return ids;
  }

  @Test
  void keepsSendOrderWhateverTheOrderOfAcknowledgements() {
    InflightWindow w = new InflightWindow();
    for (int id : new int[] {7, 3, 65535, 1}) {
      w.put(id, out(id));
    }
    assertThat(w.remove(3)).isNotNull();
    assertThat(w.remove(3)).isNull();
    assertThat(ids(w)).containsExactly(7, 65535, 1);
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.containsKey(1)).isTrue();
    assertThat(w.get(7).packetId).isEqualTo(7);
    w.remove(7);
    w.remove(65535);
    w.remove(1);
    assertThat(w.isEmpty()).isTrue();
    assertThat(ids(w)).isEmpty();
  }

  @Test
  void iteratorRemoveTakesTheMessageOutAndGoesOn() {
    InflightWindow w = new InflightWindow();
    for (int id = 1; id <= 5; id++) {
      w.put(id, out(id));
    }
    for (Iterator<Outbound> it = w.iterator(); it.hasNext(); ) {
      if (it.next().packetId % 2 == 0) {
        it.remove();
      }
    }
    assertThat(ids(w)).containsExactly(1, 3, 5);
    assertThat(w.containsKey(2)).isFalse();
  }

  @Test
  void aMessageNeverAcknowledgedDoesNotMakeTheQueueGrowWithoutBound() throws Exception {
    InflightWindow w = new InflightWindow();
    w.put(1, out(1)); // never acknowledged
    for (int i = 0; i < 100_000; i++) {
      int id = 2 + i % 1000;
      w.put(id, out(id));
      w.remove(id);
    }
    assertThat(ids(w)).containsExactly(1);
    java.lang.reflect.Field f = InflightWindow.class.getDeclaredField("order");
    f.setAccessible(true);
    assertThat(((java.util.ArrayDeque<?>) f.get(w)).size()).isLessThanOrEqualTo(2 * w.size() + 17);
  }
}
