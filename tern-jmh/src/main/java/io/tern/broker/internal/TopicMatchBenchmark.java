package io.tern.broker.internal;

import io.tern.broker.BrokerConfig;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One publish matched against the subscription trie holding {@code subscriptions} subscriptions of
 * {@code clients} sessions ({@link SubscriptionTrie#match} into a reused {@link MatchCollector}): the
 * broker's routing cost per message. The target: under 2 µs per publish at 1,000,000.
 *
 * <p>Shapes: {@code exact}, every filter {@code dev/<client>/<j>}; {@code mixed}, per client all but
 * two such filters plus {@code dev/<client>/+/state} and {@code dev/+/<client>/alarm}, so each match
 * also walks a {@code +} branch with a child per client. Topics are {@code dev/<client>/<j>} picked at
 * random among those subscribed: one match each.
 *
 * <p>Lives in {@code io.tern.broker.internal} (in the tern-jmh module) to reach the package-private
 * trie; see docs/architecture.md.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Thread)
public class TopicMatchBenchmark {
  @Param({"1000000"})
  public int subscriptions;

  @Param({"10000"})
  public int clients;

  @Param({"exact", "mixed"})
  public String shape;

  private static final int TOPICS = 1 << 14;
  private final SubscriptionTrie trie = new SubscriptionTrie();
  private final MatchCollector collector = new MatchCollector();
  private final String[] topics = new String[TOPICS];
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    BrokerCore core = new BrokerCore(BrokerConfig.defaults());
    int perClient = subscriptions / clients;
    boolean mixed = shape.equals("mixed");
    int exact = mixed ? perClient - 2 : perClient;
    for (int c = 0; c < clients; c++) {
      Session s = new Session("c" + c, core, null, false, null);
      for (int j = 0; j < exact; j++) {
        trie.subscribe(new Subscriber(s, "dev/" + c + "/" + j, 0, false, false, 0, 0));
      }
      if (mixed) {
        trie.subscribe(new Subscriber(s, "dev/" + c + "/+/state", 0, false, false, 0, 0));
        trie.subscribe(new Subscriber(s, "dev/+/" + c + "/alarm", 0, false, false, 0, 0));
      }
    }
    if (trie.size() != clients * perClient) {
      throw new IllegalStateException("trie holds " + trie.size() + " subscriptions");
    }
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < TOPICS; i++) {
      topics[i] = "dev/" + random.nextInt(clients) + "/" + random.nextInt(exact);
    }
    trie.match(topics[0], collector);
    if (collector.size() != 1) {
      throw new IllegalStateException(topics[0] + " matched " + collector.size());
    }
    collector.clear();
  }

  @Benchmark
  public int match() {
    String topic = topics[next++ & (TOPICS - 1)];
    trie.match(topic, collector);
    int n = collector.size();
    collector.clear();
    return n;
  }
}
