package io.tern.bench;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code retained}: {@code --publishers} clients publish {@code --messages} retained messages, each
 * on a topic of its own ({@code <prefix>/<run>/<k / 1000>/<k % 1000>}) at {@code --qos} (QoS 1 by
 * default, so that each is acknowledged); after {@code --warmup} seconds for the broker to settle,
 * one subscriber subscribes to {@code <prefix>/<run>/#} and must get every one of them.
 *
 * <p>Reports the publish rate, the time from SUBSCRIBE to the last retained message and the
 * broker's memory held for them (VmRSS after publishing minus before, needs {@code --broker-pid}).
 */
final class RetainedRun {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  /**
   * The subscriber gives up after this long without a new message (or at the phase timeout): HiveMQ
   * CE paused for more than 10 s in the middle of sending 1,000,000 retained messages.
   */
  private static final long QUIET_NANOS = 30 * SECOND;

  private final BenchOptions o;
  private final PrintStream out;
  private final PrintStream err;

  RetainedRun(BenchOptions options, PrintStream out, PrintStream err) {
    this.o = options;
    this.out = out;
    this.err = err;
  }

  int run() throws InterruptedException {
    String run = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    List<BenchClient> clients = new ArrayList<>();
    try (Transport transport = new Transport(o.transport(), o.threads())) {
      try {
        return run(transport, run, clients);
      } finally {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        clients.forEach(c -> closing.add(c.disconnect()));
        try {
          CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          // Closing is best effort; the transport goes next.
        }
      }
    }
  }

  private int run(Transport transport, String run, List<BenchClient> clients) throws InterruptedException {
    int m = o.messages();
    int p = o.publishers();
    long pid = o.brokerPid();
    String base = o.topicPrefix() + "/" + run;
    long phase = (long) (o.phaseTimeoutSeconds() * SECOND);
    long rssBefore = CpuMeter.rssKib(pid);

    List<Publisher> publishers = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      int id = i;
      // Publisher i sends messages k = i, i + P, i + 2P, ...: its sequence number s is message k = s * P + i.
      int count = m / p + (i < m % p ? 1 : 0);
      Publisher pub = new Publisher("tb-" + run + "-r" + i, o.version(), o.username(), o.password(), i,
          base + "/0/0", o.qos(), o.payload(), 0, o.window(), o.batch(), 0);
      pub.shape(seq -> {
        long k = (long) seq * p + id;
        return base + "/" + (k / 1000) + "/" + (k % 1000);
      }, true, count);
      publishers.add(pub);
      clients.add(pub);
      BenchRun.connect(o, transport, transport.publisherLoop(i), pub, null);
    }
    String failure = await(publishers.stream().map(x -> x.connected).toList(), (long) (o.connectTimeoutSeconds() * SECOND));
    if (failure != null) {
      err.println("error: cannot connect: " + failure);
      return BenchRun.EXIT_CONNECT;
    }
    progress("publishing %,d retained messages (QoS %d, %d B) from %d publisher(s)", m, o.qos(), o.payload(), p);
    long start = System.nanoTime();
    CpuMeter.Reading cpu0 = CpuMeter.Reading.take(pid);
    long end = start + phase;
    publishers.forEach(x -> x.start(start, start, end));
    String pubFailure = awaitWithProgress(publishers.stream().map(x -> x.finished).toList(), end,
        () -> String.format(Locale.ROOT, "published %,d", publishers.stream().mapToLong(x -> x.progress.get()).sum()));
    long published = System.nanoTime();
    CpuMeter.Reading cpu1 = CpuMeter.Reading.take(pid);
    long sent = 0;
    long unacked = 0;
    for (Publisher x : publishers) {
      Publisher.Stats st = onLoop(CompletableFuture.supplyAsync(x::stats, x.ctx.executor()));
      sent += st.sent();
      unacked += st.inFlight();
    }
    double publishSeconds = (published - start) / (double) SECOND;

    ConnsRun.sleep(o.warmupSeconds());
    long rssPublished = CpuMeter.rssKib(pid);

    int[] all = new int[p];
    for (int i = 0; i < p; i++) {
      all[i] = i;
    }
    Subscriber sub = new Subscriber("tb-" + run + "-s", o.version(), o.username(), o.password(), base + "/#", o.qos(),
        p, all);
    clients.add(sub);
    BenchRun.connect(o, transport, transport.subscriberLoop(0), sub, null);
    failure = await(List.of(sub.connected), (long) (o.connectTimeoutSeconds() * SECOND));
    if (failure != null) {
      err.println("error: cannot connect the subscriber: " + failure);
      return BenchRun.EXIT_CONNECT;
    }
    progress("%,d published in %.2f s; subscribing to %s/#", sent, publishSeconds, base);
    long subscribeAt = System.nanoTime();
    sub.subscribe();
    long last = 0;
    long lastChange = subscribeAt;
    long lastArrival = subscribeAt;
    long nextTick = subscribeAt + SECOND;
    long deadline = subscribeAt + phase;
    while (true) {
      long got = sub.progress.get();
      long now = System.nanoTime();
      if (got != last) {
        last = got;
        lastChange = now;
        lastArrival = now;
      }
      if (got >= sent || now >= deadline || now - lastChange >= QUIET_NANOS) {
        break;
      }
      if (now >= nextTick) {
        progress("received %,d", got);
        nextTick += SECOND;
      }
      Thread.sleep(5);
    }
    Publisher.Stats[] pubStats = new Publisher.Stats[p];
    for (int i = 0; i < p; i++) {
      Publisher x = publishers.get(i);
      pubStats[i] = onLoop(CompletableFuture.supplyAsync(x::stats, x.ctx.executor()));
    }
    Subscriber.Stats s = onLoop(CompletableFuture.supplyAsync(() -> sub.stats(pubStats), sub.ctx.executor()));
    double receiveSeconds = (lastArrival - subscribeAt) / (double) SECOND;
    long rssReceived = CpuMeter.rssKib(pid);
    long missing = s.lostOverall();

    List<String> errors = new ArrayList<>();
    clients.forEach(c -> {
      if (c.error() != null) {
        errors.add(c.error());
      }
    });
    errors.stream().limit(5).forEach(e -> err.println("client error: " + e));
    Double perMessage = rssBefore < 0 || rssPublished < 0 || sent == 0 ? null
        : (double) Math.round((rssPublished - rssBefore) * 1024.0 / sent);

    Map<String, Object> j = new LinkedHashMap<>();
    j.put("scenario", "retained");
    j.put("label", o.label());
    j.put("messages", m);
    j.put("qos", o.qos());
    j.put("payload", o.payload());
    j.put("publishers", p);
    j.put("sent", sent);
    j.put("unacked", unacked);
    j.put("publish_s", round3(publishSeconds));
    j.put("publish_per_s", Math.round(sent / Math.max(publishSeconds, 1e-9)));
    j.put("broker_cpu_publish_pct", ConnsRun.round1(CpuMeter.percent(cpu0.brokerCpu(), cpu1.brokerCpu(),
        cpu1.wallNanos() - cpu0.wallNanos())));
    j.put("received", s.unique());
    j.put("missing", missing);
    j.put("duplicates", s.duplicates());
    j.put("receive_s", round3(receiveSeconds));
    j.put("receive_per_s", Math.round(s.unique() / Math.max(receiveSeconds, 1e-9)));
    j.put("rss_before_kib", rssBefore < 0 ? null : rssBefore);
    j.put("rss_published_kib", rssPublished < 0 ? null : rssPublished);
    j.put("rss_received_kib", rssReceived < 0 ? null : rssReceived);
    j.put("rss_per_message_b", perMessage);
    j.put("errors", errors.size());
    j.put("mqtt", o.versionName());
    j.put("transport", transport.name());
    j.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    String human = String.format(Locale.ROOT,
        "retained %s qos%d %dB: %,d published in %.2f s (%,.0f/s) | # subscriber got %,d in %.2f s (%,.0f/s), %,d missing,"
            + " %,d dup | broker RSS %s -> %s KiB, %s B per message",
        o.label(), o.qos(), o.payload(), sent, publishSeconds, sent / Math.max(publishSeconds, 1e-9), s.unique(),
        receiveSeconds, s.unique() / Math.max(receiveSeconds, 1e-9), missing, s.duplicates(),
        rssBefore < 0 ? "?" : String.format(Locale.ROOT, "%,d", rssBefore),
        rssPublished < 0 ? "?" : String.format(Locale.ROOT, "%,d", rssPublished),
        perMessage == null ? "?" : String.format(Locale.ROOT, "%,.0f", perMessage));
    BenchRun.emit(o, out, err, human, Json.write(j));
    boolean failed = !errors.isEmpty() || sent < m || missing > 0 || pubFailure != null;
    if (failed) {
      err.printf("FAIL: %,d of %,d retained messages published, %,d of them not received%s%n", sent, m, missing,
          pubFailure != null ? " (" + pubFailure + ")" : "");
    }
    return failed ? BenchRun.EXIT_FAILED : BenchRun.EXIT_OK;
  }

  private String awaitWithProgress(List<CompletableFuture<Void>> futures, long deadline,
      java.util.function.Supplier<String> line) throws InterruptedException {
    CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return "not finished within the phase timeout";
      }
      try {
        all.get(Math.min(left, SECOND), TimeUnit.NANOSECONDS);
        return null;
      } catch (ExecutionException e) {
        return e.getCause().toString();
      } catch (TimeoutException e) {
        progress("%s", line.get());
      }
    }
  }

  static String await(List<? extends CompletableFuture<?>> futures, long timeoutNanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    for (CompletableFuture<?> f : futures) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        return e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getCause().toString();
      } catch (TimeoutException e) {
        return "no answer in time";
      }
    }
    return null;
  }

  static <T> T onLoop(CompletableFuture<T> f) throws InterruptedException {
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the counters of a client", e);
    }
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private void progress(String format, Object... args) {
    if (!o.quiet()) {
      err.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
  }
}
