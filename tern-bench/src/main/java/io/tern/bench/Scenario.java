package io.tern.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who publishes where and who subscribes to what. A scenario is only a {@link Topology}: the
 * clients, the measurement and the report are the same for all of them, so a new shape of traffic
 * is one more constant here.
 *
 * <p>Every topic ends with a per-run token, so two runs against one broker never see each other's
 * messages. Publisher {@code i} publishes to {@code <prefix>/<i>/<run>}.
 */
public enum Scenario {
  /** P publishers, each on its own topic; every subscriber takes them all with {@code <prefix>/+/<run>}. */
  FANIN("fanin", 8, 1) {
    @Override
    Topology topology(int publishers, int subscribers, String prefix, String run) {
      List<Topology.Sub> subs = new ArrayList<>();
      for (int s = 0; s < subscribers; s++) {
        subs.add(new Topology.Sub(prefix + "/+/" + run, allPublishers(publishers)));
      }
      return new Topology(publisherTopics(publishers, prefix, run), subs);
    }
  },
  /** One publisher; S subscribers on its topic, each getting every message. */
  FANOUT("fanout", 1, 8) {
    @Override
    Topology topology(int publishers, int subscribers, String prefix, String run) {
      List<Topology.Sub> subs = new ArrayList<>();
      for (int s = 0; s < subscribers; s++) {
        subs.add(new Topology.Sub(prefix + "/0/" + run, new int[] {0}));
      }
      return new Topology(publisherTopics(1, prefix, run), subs);
    }
  },
  /** N pairs: publisher i to subscriber i on a topic of their own, no wildcard. */
  P2P("p2p", 8, 8) {
    @Override
    Topology topology(int publishers, int subscribers, String prefix, String run) {
      List<String> topics = publisherTopics(publishers, prefix, run);
      List<Topology.Sub> subs = new ArrayList<>();
      for (int i = 0; i < publishers; i++) {
        subs.add(new Topology.Sub(topics.get(i), new int[] {i}));
      }
      return new Topology(topics, subs);
    }
  },
  /** Idle connections only: {@link ConnsRun}. */
  CONNS("conns", 0, 0),
  /** Retained messages, then one subscriber to all of them: {@link RetainedRun}. */
  RETAINED("retained", 4, 1),
  /** Many clients with many subscriptions, and publishers to them: {@link SubsRun}. */
  SUBS("subs", 8, 0),
  /** Persistent subscribers away while the messages come, then back to drain them: {@link OfflineRun}. */
  OFFLINE("offline", 8, 1);

  private final String id;
  private final int defaultPublishers;
  private final int defaultSubscribers;

  Scenario(String id, int defaultPublishers, int defaultSubscribers) {
    this.id = id;
    this.defaultPublishers = defaultPublishers;
    this.defaultSubscribers = defaultSubscribers;
  }

  /** The name on the command line and in the results. */
  public String id() {
    return id;
  }

  int defaultPublishers() {
    return defaultPublishers;
  }

  int defaultSubscribers() {
    return defaultSubscribers;
  }

  /** The scenario of a command-line name, or {@code null}. */
  public static Scenario of(String name) {
    for (Scenario s : values()) {
      if (s.id.equals(name.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    return null;
  }

  /** The clients of a publish/subscribe flow (fanin, fanout, p2p); the others have runs of their own. */
  Topology topology(int publishers, int subscribers, String prefix, String run) {
    throw new UnsupportedOperationException(id + " is not a publish/subscribe flow");
  }

  /** Whether {@link BenchRun} runs it (fanin, fanout, p2p). */
  boolean isFlow() {
    return this == FANIN || this == FANOUT || this == P2P;
  }

  private static List<String> publisherTopics(int publishers, String prefix, String run) {
    List<String> topics = new ArrayList<>(publishers);
    for (int i = 0; i < publishers; i++) {
      topics.add(prefix + "/" + i + "/" + run);
    }
    return topics;
  }

  private static int[] allPublishers(int publishers) {
    int[] ids = new int[publishers];
    for (int i = 0; i < publishers; i++) {
      ids[i] = i;
    }
    return ids;
  }

  /**
   * The clients of a run.
   *
   * @param publisherTopics the topic of publisher {@code i} at index {@code i}
   * @param subscribers each subscriber's filter and the publishers whose every message it must get
   */
  record Topology(List<String> publisherTopics, List<Sub> subscribers) {
    record Sub(String filter, int[] expectedPublishers) {}
  }
}
