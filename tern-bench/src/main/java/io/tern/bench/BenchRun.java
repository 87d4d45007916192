package io.tern.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * One run of a scenario: connect the subscribers and subscribe, connect the publishers, load for the
 * warmup and the measured window, drain, collect, disconnect, report.
 *
 * <p>Timeline, all on one {@link System#nanoTime()} clock: publishing starts at {@code start}; the
 * measured window is {@code [start + warmup, start + warmup + duration)}; publishers stop at its end;
 * then the last deliveries and acks have up to {@code grace} seconds to arrive.
 */
final class BenchRun {
  static final int EXIT_OK = 0;
  static final int EXIT_USAGE = 1;
  static final int EXIT_CONNECT = 2;
  static final int EXIT_DEADLINE = 3;
  static final int EXIT_FAILED = 4;

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  /** QoS 0 deliveries may be dropped for good: stop draining after this long without one. */
  private static final long QOS0_QUIET_NANOS = SECOND;

  private final BenchOptions o;
  private final PrintStream out;
  private final PrintStream err;

  BenchRun(BenchOptions options, PrintStream out, PrintStream err) {
    this.o = options;
    this.out = out;
    this.err = err;
  }

  /** The most seconds a run may take before the watchdog ends the process. */
  static double hardDeadlineSeconds(BenchOptions o) {
    if (!o.scenario().isFlow()) {
      return 4 * o.phaseTimeoutSeconds() + o.warmupSeconds() + o.durationSeconds() + o.graceSeconds() + 30;
    }
    return 3 * o.connectTimeoutSeconds() + o.warmupSeconds() + o.durationSeconds() + o.graceSeconds() + 15;
  }

  int run() throws InterruptedException {
    String run = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    Scenario.Topology topology = o.scenario().topology(o.publishers(), o.subscribers(), o.topicPrefix(), run);
    try (Transport transport = new Transport(o.transport(), o.threads())) {
      List<Subscriber> subscribers = new ArrayList<>();
      List<Publisher> publishers = new ArrayList<>();
      try {
        return run(transport, topology, run, subscribers, publishers);
      } finally {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        subscribers.forEach(s -> closing.add(s.disconnect()));
        publishers.forEach(p -> closing.add(p.disconnect()));
        awaitQuietly(closing, 2 * SECOND);
      }
    }
  }

  private int run(Transport transport, Scenario.Topology topology, String run, List<Subscriber> subscribers,
      List<Publisher> publishers) throws InterruptedException {
    long connectTimeout = (long) (o.connectTimeoutSeconds() * SECOND);
    String where = o.host() + ":" + o.port();
    progress("connecting %d subscriber(s) and %d publisher(s) to %s over %s", topology.subscribers().size(),
        topology.publisherTopics().size(), where, transport.name());

    for (int i = 0; i < topology.subscribers().size(); i++) {
      Scenario.Topology.Sub sub = topology.subscribers().get(i);
      Subscriber s = new Subscriber("tb-" + run + "-s" + i, o.version(), o.username(), o.password(), sub.filter(),
          o.qos(), o.publishers(), sub.expectedPublishers());
      s.persistentSession = o.persistent();
      subscribers.add(s);
      connect(transport, transport.subscriberLoop(i), s);
    }
    String failure = await(subscribers.stream().map(s -> s.connected).toList(), connectTimeout);
    if (failure != null) {
      err.println("error: cannot connect to " + where + ": " + failure);
      return EXIT_CONNECT;
    }
    subscribers.forEach(Subscriber::subscribe);
    failure = await(subscribers.stream().map(s -> s.subscribed).toList(), connectTimeout);
    if (failure != null) {
      err.println("error: cannot subscribe: " + failure);
      return EXIT_CONNECT;
    }
    for (Subscriber s : subscribers) {
      int granted = s.subscribed.join();
      if (granted < o.qos()) {
        err.printf("warning: the broker granted QoS %d, not %d: deliveries are at QoS %d%n", granted, o.qos(), granted);
        break;
      }
    }

    double ratePerPublisher = o.rate() == 0 ? 0 : (double) o.rate() / o.publishers();
    for (int i = 0; i < o.publishers(); i++) {
      Publisher p = new Publisher("tb-" + run + "-p" + i, o.version(), o.username(), o.password(), i,
          topology.publisherTopics().get(i), o.qos(), o.payload(), ratePerPublisher, o.window(), o.batch(),
          o.outstanding());
      List<Subscriber> owed = new ArrayList<>();
      for (int s = 0; s < topology.subscribers().size(); s++) {
        for (int expected : topology.subscribers().get(s).expectedPublishers()) {
          if (expected == i) {
            owed.add(subscribers.get(s));
          }
        }
      }
      p.owedTo(owed);
      publishers.add(p);
      connect(transport, transport.publisherLoop(i), p);
    }
    failure = await(publishers.stream().map(p -> p.connected).toList(), connectTimeout);
    if (failure != null) {
      err.println("error: cannot connect to " + where + ": " + failure);
      return EXIT_CONNECT;
    }

    // A first reading now, before any load: its classes and lambdas load and link here (some
    // milliseconds of a core, and a class loaded under load can make the JIT recompile the hot
    // paths), not at the window's start where the next reading is taken.
    CpuMeter.Reading.take(o.brokerPid());
    long start = System.nanoTime() + 100_000_000L;
    long windowStart = start + (long) (o.warmupSeconds() * SECOND);
    long windowEnd = windowStart + (long) (o.durationSeconds() * SECOND);
    long graceEnd = windowEnd + (long) (o.graceSeconds() * SECOND);
    if (await(subscribers.stream().map(s -> s.arm(windowStart, windowEnd)).toList(), SECOND) != null) {
      err.println("error: a subscriber closed before the start");
      return EXIT_CONNECT;
    }
    publishers.forEach(p -> p.start(start, windowStart, windowEnd));

    CpuMeter.Reading[] cpu = watch(start, windowStart, windowEnd, subscribers, publishers);

    // Drain: publishers wait for their last acks, subscribers for their last deliveries.
    awaitQuietly(publishers.stream().map(p -> p.finished).toList(), graceEnd - System.nanoTime());
    Publisher.Stats[] pubStats = new Publisher.Stats[publishers.size()];
    for (int i = 0; i < pubStats.length; i++) {
      Publisher p = publishers.get(i);
      pubStats[i] = onLoop(CompletableFuture.supplyAsync(p::stats, p.ctx.executor()));
    }
    long owed = 0;
    for (Scenario.Topology.Sub sub : topology.subscribers()) {
      for (int p : sub.expectedPublishers()) {
        owed += pubStats[p].sent();
      }
    }
    drain(subscribers, owed, graceEnd);
    List<Subscriber.Stats> subStats = new ArrayList<>();
    for (Subscriber s : subscribers) {
      subStats.add(onLoop(CompletableFuture.supplyAsync(() -> s.stats(pubStats), s.ctx.executor())));
    }

    RunResult result = result(transport, windowEnd - windowStart, pubStats, subStats, cpu, subscribers, publishers);
    emit(o, out, err, result.humanLine(), result.jsonLine());
    if (o.qos() > 0 && result.lost() + result.lostOverall() > 0) {
      err.printf("FAIL: QoS %d lost %d message(s) in the window, %d over the whole run%n", o.qos(), result.lost(),
          result.lostOverall());
    }
    return result.failed() ? EXIT_FAILED : EXIT_OK;
  }

  /** Prints the human line and the JSON line, and appends the JSON line to {@code --json FILE}. */
  static void emit(BenchOptions o, PrintStream out, PrintStream err, String human, String json) {
    out.println(human);
    out.println(json);
    out.flush();
    if (o.jsonFile() != null) {
      try {
        Files.writeString(Path.of(o.jsonFile()), json + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        err.println("error: cannot write " + o.jsonFile() + ": " + e.getMessage());
      }
    }
  }

  private void connect(Transport transport, EventLoop loop, BenchClient client) {
    connect(o, transport, loop, client, null);
  }

  /** Connects one client on {@code loop}, from {@code local} when given; failures complete its futures. */
  static void connect(BenchOptions o, Transport transport, EventLoop loop, BenchClient client,
      java.net.SocketAddress local) {
    int maxPacket = Math.max(64 * 1024, o.payload() + 64 * 1024);
    Bootstrap b = new Bootstrap()
        .group(loop)
        .channel(transport.channelClass())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) (o.connectTimeoutSeconds() * 1000))
        .option(ChannelOption.TCP_NODELAY, true)
        // Bounds what one connection queues in the process: past the high mark the publisher waits.
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new MqttDecoder(maxPacket, o.version()), new MqttEncoder(o.version()), client);
          }
        });
    if (o.sendBuffer() > 0) {
      // Bounds the bytes queued in the kernel for a broker that reads slower than we write: with the
      // default autotuning a loopback socket holds megabytes, and at full rate the latency would
      // mostly measure the generator's own send buffers.
      b.option(ChannelOption.SO_SNDBUF, o.sendBuffer());
    }
    if (local != null) {
      // A source port still in TIME_WAIT from an earlier connection may be bound again (Linux
      // allows it with SO_REUSEADDR when the 4-tuple differs).
      b.option(ChannelOption.SO_REUSEADDR, true);
      if (transport.channelClass() == io.netty.channel.epoll.EpollSocketChannel.class) {
        // Port chosen at connect(), against the whole 4-tuple, not at bind(): binding first made
        // the kernel look for a port free for every destination, and after a few back-to-back runs
        // (ports of earlier runs in TIME_WAIT) that search slowed connects tenfold (1,063/s after
        // 10,501/s against the same broker, results/20261122T073233Z.jsonl).
        b.option(io.netty.channel.epoll.EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
      }
    }
    ChannelFuture f = local == null ? b.connect(o.host(), o.port())
        : b.connect(new java.net.InetSocketAddress(o.host(), o.port()), local);
    f.addListener(done -> {
      if (!done.isSuccess()) {
        Throwable cause = done.cause();
        client.connected.completeExceptionally(
            new IllegalStateException(cause.getMessage() != null ? cause.getMessage() : cause.toString()));
        client.closed.complete(null);
      }
    });
  }

  /** Prints a progress line a second until the window ends; returns the readings at its edges. */
  private CpuMeter.Reading[] watch(long start, long windowStart, long windowEnd, List<Subscriber> subscribers,
      List<Publisher> publishers) throws InterruptedException {
    CpuMeter.Reading before = null;
    long lastSent = 0;
    long lastGot = 0;
    long lastTick = start;
    long nextTick = start + SECOND;
    while (true) {
      long edge = before == null ? windowStart : windowEnd;
      sleepUntil(o.quiet() ? edge : Math.min(nextTick, edge)); // quiet: no progress lines to wake for
      long now = System.nanoTime();
      if (before == null && now >= windowStart) {
        before = CpuMeter.Reading.take(o.brokerPid());
      }
      if (now >= windowEnd) {
        return new CpuMeter.Reading[] {before, CpuMeter.Reading.take(o.brokerPid())};
      }
      if (!o.quiet() && now >= nextTick) {
        long sent = publishers.stream().mapToLong(p -> p.progress.get()).sum();
        long got = subscribers.stream().mapToLong(s -> s.progress.get()).sum();
        double secs = (now - lastTick) / (double) SECOND;
        progress("%5.1fs %-7s sent %,10.0f/s delivered %,10.0f/s", (now - start) / (double) SECOND,
            now < windowStart ? "warmup" : "measure", (sent - lastSent) / secs, (got - lastGot) / secs);
        lastSent = sent;
        lastGot = got;
        lastTick = now;
        nextTick += SECOND;
      }
    }
  }

  /** Waits until the subscribers have every message owed, go quiet (QoS 0), or the grace ends. */
  private void drain(List<Subscriber> subscribers, long owed, long graceEnd) throws InterruptedException {
    long last = -1;
    long lastChange = System.nanoTime();
    while (true) {
      long got = subscribers.stream().mapToLong(s -> s.progress.get()).sum();
      long now = System.nanoTime();
      if (got >= owed || now >= graceEnd) {
        return;
      }
      if (got != last) {
        last = got;
        lastChange = now;
      } else if (o.qos() == 0 && now - lastChange >= QOS0_QUIET_NANOS) {
        return;
      }
      Thread.sleep(20);
    }
  }

  private RunResult result(Transport transport, long windowNanos, Publisher.Stats[] pubStats,
      List<Subscriber.Stats> subStats, CpuMeter.Reading[] cpu, List<Subscriber> subscribers, List<Publisher> publishers) {
    long sent = 0;
    long unacked = 0;
    long stalls = 0;
    for (Publisher.Stats p : pubStats) {
      sent += p.sentInWindow();
      unacked += p.inFlight();
      stalls += p.stalls();
    }
    long delivered = 0;
    long expected = 0;
    long lost = 0;
    long lostOverall = 0;
    long duplicates = 0;
    long outOfOrder = 0;
    long unexpected = 0;
    Histogram latency = new Histogram(Subscriber.HIGHEST_LATENCY_NANOS, 3);
    for (Subscriber.Stats s : subStats) {
      delivered += s.deliveredInWindow();
      expected += s.expectedInWindow();
      lost += s.lostInWindow();
      lostOverall += s.lostOverall();
      duplicates += s.duplicates();
      outOfOrder += s.outOfOrder();
      unexpected += s.unexpected();
      latency.add(s.latency());
    }
    Set<String> errors = new LinkedHashSet<>();
    subscribers.forEach(s -> addError(errors, s));
    publishers.forEach(p -> addError(errors, p));
    errors.stream().limit(5).forEach(e -> err.println("client error: " + e));
    if (errors.size() > 5) {
      err.println("... and " + (errors.size() - 5) + " more client error(s)");
    }
    CpuMeter.Reading a = cpu[0];
    CpuMeter.Reading b = cpu[1];
    long wall = b.wallNanos() - a.wallNanos();
    Double gen = CpuMeter.percent(a.selfCpu(), b.selfCpu(), wall);
    Double broker = CpuMeter.percent(a.brokerCpu(), b.brokerCpu(), wall);
    Double machine = CpuMeter.percent(a.machineCpu(), b.machineCpu(), wall);
    // What the rest of the machine took: a busy neighbour makes a run's figures worth less.
    Double other = machine == null || gen == null || broker == null ? null : Math.max(0, machine - gen - broker);
    return new RunResult(o, transport.name(), windowNanos / (double) SECOND, sent, delivered, expected, lost,
        lostOverall, duplicates, outOfOrder, unexpected, unacked, latency, gen, broker, other,
        b.gcMillis() - a.gcMillis(), errors.size(), stalls);
  }

  private static void addError(Set<String> errors, BenchClient c) {
    if (c.error() != null) {
      errors.add(c.error());
    }
  }

  private void progress(String format, Object... args) {
    if (!o.quiet()) {
      err.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
  }

  private static void sleepUntil(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** Waits for all futures; returns null when they all succeeded, or the first failure's message. */
  private static String await(List<? extends CompletableFuture<?>> futures, long timeoutNanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    for (CompletableFuture<?> f : futures) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
      } catch (TimeoutException e) {
        return "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms";
      }
    }
    return null;
  }

  private static void awaitQuietly(List<? extends CompletableFuture<?>> futures, long timeoutNanos)
      throws InterruptedException {
    await(futures, Math.max(0, timeoutNanos));
  }

  private static <T> T onLoop(CompletableFuture<T> f) throws InterruptedException {
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the counters of a client", e);
    }
  }
}
