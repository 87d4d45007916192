package io.tern.server.admin;

import io.tern.broker.Broker;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples the broker's counters once a second and keeps the last {@link #KEEP} samples: the rates
 * of {@code GET /api/v1/stats} and the history the dashboard's charts start from. Called by one
 * scheduler thread; read by request threads (synchronized: a few dozen reads a minute).
 */
final class StatsSampler {
  static final int KEEP = 300;

  /** One sample: counters at a moment. */
  record Sample(long atMillis, long connections, long received, long sent, long bytesIn, long bytesOut,
      long dropped) {}

  private final Broker broker;
  private final Sample[] ring = new Sample[KEEP];
  private int next;
  private int size;

  StatsSampler(Broker broker) {
    this.broker = broker;
  }

  void sample() {
    Broker.Stats s = broker.stats();
    var traffic = broker.management().traffic();
    Sample x = new Sample(System.currentTimeMillis(), s.connections(), s.messagesReceived(), s.messagesSent(),
        traffic.bytesReceived(), traffic.bytesSent(), s.messagesDropped());
    synchronized (this) {
      ring[next] = x;
      next = (next + 1) % KEEP;
      size = Math.min(size + 1, KEEP);
    }
  }

  /** Samples, oldest first. */
  synchronized List<Sample> history() {
    List<Sample> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(ring[(next - size + i + KEEP) % KEEP]);
    }
    return out;
  }

  /** Per-second rates over the last {@code seconds} (or what there is): received, sent, bytes in, bytes out. */
  double[] rates(int seconds) {
    List<Sample> h = history();
    if (h.size() < 2) {
      return new double[4];
    }
    Sample last = h.get(h.size() - 1);
    Sample first = h.get(Math.max(0, h.size() - 1 - seconds));
    double dt = Math.max(1, last.atMillis() - first.atMillis()) / 1000.0;
    return new double[] {
      (last.received() - first.received()) / dt, (last.sent() - first.sent()) / dt,
      (last.bytesIn() - first.bytesIn()) / dt, (last.bytesOut() - first.bytesOut()) / dt
    };
  }
}
