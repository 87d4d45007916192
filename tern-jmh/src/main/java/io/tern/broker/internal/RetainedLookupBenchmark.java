package io.tern.broker.internal;

import io.tern.codec.MqttProperties;
import io.tern.codec.Publish;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * The retained store holding {@code retained} messages on {@code r/<k / 1000>/<k % 1000>}: what a new
 * subscription costs to serve ({@link RetainedStore#match}) for an exact filter (one message) and
 * for {@code r/<x>/+} (1,000 messages), and {@link RetainedStore#get} of one topic.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Thread)
public class RetainedLookupBenchmark {
  @Param({"1000000"})
  public int retained;

  private static final int KEYS = 1 << 14;
  private final RetainedStore store = new RetainedStore();
  private final String[] topics = new String[KEYS];
  private final String[] levelFilters = new String[KEYS];
  private int next;
  private int visited;
  private final Consumer<Message> counter = m -> visited++;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] payload = new byte[64];
    for (int k = 0; k < retained; k++) {
      String topic = "r/" + (k / 1000) + "/" + (k % 1000);
      store.put(new Message(new Publish(topic, 0, true, false, 0, payload, MqttProperties.EMPTY), null, 0));
    }
    if (store.size() != retained) {
      throw new IllegalStateException("store holds " + store.size());
    }
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < KEYS; i++) {
      int k = random.nextInt(retained);
      topics[i] = "r/" + (k / 1000) + "/" + (k % 1000);
      levelFilters[i] = "r/" + (k / 1000) + "/+";
    }
  }

  @Benchmark
  public Message get() {
    return store.get(topics[next++ & (KEYS - 1)]);
  }

  @Benchmark
  public int matchExactFilter() {
    visited = 0;
    store.match(topics[next++ & (KEYS - 1)], counter);
    return visited;
  }

  /** One subscription to {@code r/<x>/+}: 1,000 retained messages visited. */
  @Benchmark
  public int matchLevelWildcard() {
    visited = 0;
    store.match(levelFilters[next++ & (KEYS - 1)], counter);
    return visited;
  }
}
