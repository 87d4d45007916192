package io.tern.bench;

import static io.tern.bench.MarkdownReport.count;
import static io.tern.bench.MarkdownReport.num;
import static io.tern.bench.MarkdownReport.str;

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
 * {@code offline}: persistent subscribers that are away while the messages come, then drain them.
 * {@code --subscribers} clients connect with a persistent session (3.1.1 Clean Session 0, v5 a long
 * Session Expiry Interval), subscribe to {@code <prefix>/+/<run>} at {@code --qos} (QoS 1 unless
 * told otherwise) and disconnect; {@code --publishers} clients publish {@code --messages} messages
 * together, as fast as the broker acknowledges them (the broker must queue, and a durable one store,
 * every one for every subscriber); then the subscribers connect again to their sessions and must
 * get every message.
 *
 * <p>Reports the publish rate (to subscribers that are away) and the drain rate (from the
 * reconnect to the last message, over all subscribers), with what is missing and duplicated.
 */
final class OfflineRun {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  /** A subscriber gives up after this long without a new message. */
  private static final long QUIET_NANOS = 10 * SECOND;

  private final BenchOptions o;
  private final PrintStream out;
  private final PrintStream err;

  OfflineRun(BenchOptions options, PrintStream out, PrintStream err) {
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
        disconnectAll(clients);
      }
    }
  }

  private static void disconnectAll(List<? extends BenchClient> clients) throws InterruptedException {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    clients.forEach(c -> closing.add(c.disconnect()));
    try {
      CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Best effort.
    }
  }

  private Subscriber subscriber(String run, int s, int[] all) {
    Subscriber sub = new Subscriber("tb-" + run + "-o" + s, o.version(), o.username(), o.password(),
        o.topicPrefix() + "/+/" + run, o.qos(), all.length, all);
    sub.persistentSession = true;
    return sub;
  }

  private int run(Transport transport, String run, List<BenchClient> clients) throws InterruptedException {
    int m = o.messages();
    int p = o.publishers();
    int n = o.subscribers();
    long pid = o.brokerPid();
    long phase = (long) (o.phaseTimeoutSeconds() * SECOND);
    long connectTimeout = (long) (o.connectTimeoutSeconds() * SECOND);
    int[] all = new int[p];
    for (int i = 0; i < p; i++) {
      all[i] = i;
    }

    // 1. The subscribers make their sessions and subscriptions, then go away.
    List<Subscriber> first = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      Subscriber sub = subscriber(run, s, all);
      first.add(sub);
      BenchRun.connect(o, transport, transport.subscriberLoop(s), sub, null);
    }
    String failure = RetainedRun.await(first.stream().map(x -> x.connected).toList(), connectTimeout);
    if (failure == null) {
      first.forEach(Subscriber::subscribe);
      failure = RetainedRun.await(first.stream().map(x -> x.subscribed).toList(), connectTimeout);
    }
    disconnectAll(first);
    if (failure != null) {
      err.println("error: cannot subscribe: " + failure);
      return BenchRun.EXIT_CONNECT;
    }

    // 2. The publishers send every message while nobody is there to take them.
    List<Publisher> publishers = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      int count = m / p + (i < m % p ? 1 : 0);
      Publisher pub = new Publisher("tb-" + run + "-p" + i, o.version(), o.username(), o.password(), i,
          o.topicPrefix() + "/" + i + "/" + run, o.qos(), o.payload(), 0, o.window(), o.batch(), 0);
      String topic = o.topicPrefix() + "/" + i + "/" + run;
      pub.shape(seq -> topic, false, count);
      publishers.add(pub);
      clients.add(pub);
      BenchRun.connect(o, transport, transport.publisherLoop(i), pub, null);
    }
    failure = RetainedRun.await(publishers.stream().map(x -> x.connected).toList(), connectTimeout);
    if (failure != null) {
      err.println("error: cannot connect: " + failure);
      return BenchRun.EXIT_CONNECT;
    }
    progress("publishing %,d messages (QoS %d, %d B) from %d publisher(s) to %d offline subscriber(s)", m, o.qos(),
        o.payload(), p, n);
    long start = System.nanoTime();
    CpuMeter.Reading cpu0 = CpuMeter.Reading.take(pid);
    long end = start + phase;
    publishers.forEach(x -> x.start(start, start, end));
    String pubFailure = awaitAll(publishers.stream().map(x -> x.finished).toList(), end,
        () -> publishers.stream().mapToLong(x -> x.progress.get()).sum());
    long published = System.nanoTime();
    CpuMeter.Reading cpu1 = CpuMeter.Reading.take(pid);
    Publisher.Stats[] pubStats = new Publisher.Stats[p];
    long sent = 0;
    for (int i = 0; i < p; i++) {
      Publisher x = publishers.get(i);
      pubStats[i] = RetainedRun.onLoop(CompletableFuture.supplyAsync(x::stats, x.ctx.executor()));
      sent += pubStats[i].sent();
    }
    double publishSeconds = (published - start) / (double) SECOND;
    progress("%,d published in %.2f s; the subscribers come back", sent, publishSeconds);

    // 3. The subscribers come back to their sessions and drain them.
    List<Subscriber> again = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      Subscriber sub = subscriber(run, s, all);
      again.add(sub);
      clients.add(sub);
    }
    long reconnectAt = System.nanoTime();
    for (int s = 0; s < n; s++) {
      BenchRun.connect(o, transport, transport.subscriberLoop(s), again.get(s), null);
    }
    failure = RetainedRun.await(again.stream().map(x -> x.connected).toList(), connectTimeout);
    if (failure != null) {
      err.println("error: the subscribers cannot connect again: " + failure);
      return BenchRun.EXIT_CONNECT;
    }
    long lostSessions = again.stream().filter(x -> !x.connected.join().sessionPresent()).count();
    long want = sent * n;
    long last = 0;
    long lastChange = reconnectAt;
    long lastArrival = reconnectAt;
    long nextTick = reconnectAt + SECOND;
    long deadline = reconnectAt + phase;
    CpuMeter.Reading cpu2 = CpuMeter.Reading.take(pid);
    while (true) {
      long got = again.stream().mapToLong(x -> x.progress.get()).sum();
      long now = System.nanoTime();
      if (got != last) {
        last = got;
        lastChange = now;
        lastArrival = now;
      }
      if (got >= want || now >= deadline || now - lastChange >= QUIET_NANOS || lostSessions == n) {
        break;
      }
      if (now >= nextTick) {
        progress("received %,d of %,d", got, want);
        nextTick += SECOND;
      }
      Thread.sleep(5);
    }
    CpuMeter.Reading cpu3 = CpuMeter.Reading.take(pid);
    long received = 0;
    long missing = 0;
    long duplicates = 0;
    for (Subscriber sub : again) {
      Subscriber.Stats s = RetainedRun.onLoop(CompletableFuture.supplyAsync(() -> sub.stats(pubStats), sub.ctx.executor()));
      received += s.unique();
      missing += s.lostOverall();
      duplicates += s.duplicates();
    }
    double drainSeconds = (lastArrival - reconnectAt) / (double) SECOND;

    List<String> errors = new ArrayList<>();
    clients.forEach(c -> {
      if (c.error() != null) {
        errors.add(c.error());
      }
    });
    errors.stream().limit(5).forEach(e -> err.println("client error: " + e));

    Map<String, Object> j = new LinkedHashMap<>();
    j.put("scenario", "offline");
    j.put("label", o.label());
    j.put("messages", m);
    j.put("qos", o.qos());
    j.put("payload", o.payload());
    j.put("publishers", p);
    j.put("subscribers", n);
    j.put("sent", sent);
    j.put("publish_s", round3(publishSeconds));
    j.put("publish_per_s", Math.round(sent / Math.max(publishSeconds, 1e-9)));
    j.put("broker_cpu_publish_pct", ConnsRun.round1(CpuMeter.percent(cpu0.brokerCpu(), cpu1.brokerCpu(),
        cpu1.wallNanos() - cpu0.wallNanos())));
    j.put("received", received);
    j.put("missing", missing);
    j.put("duplicates", duplicates);
    j.put("drain_s", round3(drainSeconds));
    j.put("drain_per_s", Math.round(received / Math.max(drainSeconds, 1e-9)));
    j.put("broker_cpu_drain_pct", ConnsRun.round1(CpuMeter.percent(cpu2.brokerCpu(), cpu3.brokerCpu(),
        cpu3.wallNanos() - cpu2.wallNanos())));
    j.put("sessions_lost", lostSessions);
    j.put("errors", errors.size());
    j.put("mqtt", o.versionName());
    j.put("persistent", true);
    j.put("transport", transport.name());
    j.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    String human = String.format(Locale.ROOT,
        "offline %s qos%d %d->%d %dB: %,d published to offline subscribers in %.2f s (%,.0f/s) | drained %,d in %.2f s"
            + " (%,.0f/s), %,d missing, %,d dup",
        o.label(), o.qos(), p, n, o.payload(), sent, publishSeconds, sent / Math.max(publishSeconds, 1e-9), received,
        drainSeconds, received / Math.max(drainSeconds, 1e-9), missing, duplicates);
    BenchRun.emit(o, out, err, human, Json.write(j));
    boolean failed = !errors.isEmpty() || sent < m || missing > 0 || pubFailure != null || lostSessions > 0;
    if (failed) {
      err.printf("FAIL: %,d of %,d messages published, %,d deliveries missing%s%s%n", sent, m, missing,
          pubFailure != null ? " (" + pubFailure + ")" : "",
          lostSessions > 0 ? "; " + lostSessions + " subscriber(s) found no session kept for them" : "");
    }
    return failed ? BenchRun.EXIT_FAILED : BenchRun.EXIT_OK;
  }

  /** The BENCHMARKS.md table of {@code offline} runs: each broker's best round by drain rate. */
  static void table(StringBuilder md, Map<String, List<Map<String, Object>>> byBroker) {
    Map<String, Object> first = byBroker.values().iterator().next().get(0);
    md.append(String.format(Locale.ROOT, "## offline: %s publishers → %s persistent subscriber(s) that are away, "
            + "QoS %s, %s B payload, %s messages, then the subscribers come back\n\n",
        str(first.get("publishers")), str(first.get("subscribers")), str(first.get("qos")), str(first.get("payload")),
        count(first.get("messages"))));
    md.append("The subscribers subscribe with a persistent session and disconnect; the publishers send every message "
        + "as fast as the broker acknowledges them (a durable broker stores each for every subscriber first); then "
        + "the subscribers connect again and drain their sessions. Drain: from the reconnect to the last message, "
        + "over all subscribers.\n\n");
    md.append("| broker | published | publish msg/s | broker CPU publishing | received | missing | dup | drain s "
        + "| drain msg/s | broker CPU draining | all rounds, publish / drain msg/s |\n");
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (Map.Entry<String, List<Map<String, Object>>> e : byBroker.entrySet()) {
      Map<String, Object> b = null;
      StringBuilder rounds = new StringBuilder();
      for (Map<String, Object> r : e.getValue()) {
        if (b == null || num(r.get("drain_per_s")).doubleValue() > num(b.get("drain_per_s")).doubleValue()) {
          b = r;
        }
        rounds.append(rounds.length() == 0 ? "" : ", ").append(count(r.get("publish_per_s"))).append(" / ")
            .append(count(r.get("drain_per_s")));
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s%% | %s | %s | %s | %s | %s | %s%% | %s |\n",
          e.getKey(), count(b.get("sent")), count(b.get("publish_per_s")), str(b.get("broker_cpu_publish_pct")),
          count(b.get("received")), count(b.get("missing")), count(b.get("duplicates")), str(b.get("drain_s")),
          count(b.get("drain_per_s")), str(b.get("broker_cpu_drain_pct")), rounds));
    }
    md.append('\n');
  }

  /** Null once all complete, else why not (by {@code deadline} at the latest), with a progress line a second. */
  private String awaitAll(List<CompletableFuture<Void>> futures, long deadline, java.util.function.LongSupplier sent)
      throws InterruptedException {
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
        progress("published %,d", sent.getAsLong());
      }
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
