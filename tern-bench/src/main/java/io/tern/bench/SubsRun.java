package io.tern.bench;

import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code subs}: {@code --clients} clients share {@code --subscriptions} subscriptions, each to a
 * topic of its own ({@code <prefix>/<run>/<client>/<j>}, so the broker's tree has one level with a
 * node per client and one below with a node per subscription); then {@code --publishers} clients
 * publish, each message to a subscribed topic picked at random, so every message matches exactly one
 * subscription. Reports the subscribe rate, the broker's memory per subscription, and the delivered
 * messages a second and latency through that tree, measured as in {@code p2p}.
 *
 * <p>Loss is the sent messages that never arrived (each has exactly one receiver); sequence numbers
 * are not tracked per receiver, so duplicates would count as deliveries.
 */
final class SubsRun {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  /** Filters per SUBSCRIBE packet. */
  private static final int FILTERS_PER_PACKET = 100;
  /** Clients connecting (CONNACK awaited) or subscribing (SUBACKs awaited) at once. */
  private static final int PENDING = 256;

  private final BenchOptions o;
  private final PrintStream out;
  private final PrintStream err;

  SubsRun(BenchOptions options, PrintStream out, PrintStream err) {
    this.o = options;
    this.out = out;
    this.err = err;
  }

  /** What every receiving client adds to: deliveries per publisher, inside the window, and latencies. */
  static final class Shared {
    final AtomicLongArray fromPublisher;
    final LongAdder inWindow = new LongAdder();
    final LongAdder unexpected = new LongAdder();
    final Recorder latency = new Recorder(Subscriber.HIGHEST_LATENCY_NANOS, 3);
    volatile long windowStart = Long.MAX_VALUE;
    volatile long windowEnd = Long.MAX_VALUE;

    Shared(int publishers) {
      fromPublisher = new AtomicLongArray(publishers);
    }

    long received() {
      long sum = 0;
      for (int i = 0; i < fromPublisher.length(); i++) {
        sum += fromPublisher.get(i);
      }
      return sum;
    }
  }

  /** A client with many subscriptions, sent in SUBSCRIBE packets of up to 100 filters. */
  static final class SubsClient extends BenchClient {
    private final List<String> filters;
    private final int qos;
    private final Shared shared;
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private int subAcksOwed;
    int refused;

    SubsClient(String clientId, MqttVersion version, String username, String password, List<String> filters, int qos,
        Shared shared) {
      super(clientId, version, username, password);
      this.filters = filters;
      this.qos = qos;
      this.shared = shared;
    }

    CompletableFuture<Void> subscribeAll() {
      ctx.executor().execute(() -> {
        int packetId = 1;
        for (int from = 0; from < filters.size(); from += FILTERS_PER_PACKET) {
          List<Subscription> subs = new ArrayList<>();
          for (String f : filters.subList(from, Math.min(filters.size(), from + FILTERS_PER_PACKET))) {
            subs.add(new Subscription(f, qos));
          }
          subAcksOwed++;
          ctx.write(new Subscribe(packetId++, subs, MqttProperties.EMPTY), ctx.voidPromise());
        }
        ctx.flush();
      });
      return subscribed;
    }

    @Override
    protected void onPacket(MqttPacket packet) {
      if (packet instanceof Publish p) {
        long now = System.nanoTime();
        if (p.qos() == 1) {
          queueAck(new PubAck(p.packetId()));
        } else if (p.qos() == 2) {
          queueAck(new PubRec(p.packetId()));
        }
        byte[] b = p.payload();
        int publisher = b.length >= Payload.HEADER_SIZE ? Payload.publisher(b) : -1;
        if (publisher < 0 || publisher >= shared.fromPublisher.length()) {
          shared.unexpected.increment();
          return;
        }
        shared.fromPublisher.incrementAndGet(publisher);
        if (now >= shared.windowStart && now < shared.windowEnd) {
          shared.inWindow.increment();
        }
        long sent = Payload.sendNanos(b);
        if (sent >= shared.windowStart && sent < shared.windowEnd) {
          shared.latency.recordValue(Math.min(Math.max(now - sent, 0), Subscriber.HIGHEST_LATENCY_NANOS));
        }
      } else if (packet instanceof PubRel r) {
        queueAck(new PubComp(r.packetId()));
      } else if (packet instanceof SubAck a) {
        for (int code : a.reasonCodes()) {
          if (code >= 0x80) {
            refused++;
          }
        }
        if (--subAcksOwed == 0) {
          if (refused > 0) {
            fail(refused + " subscription(s) refused");
            subscribed.completeExceptionally(new IllegalStateException(clientId + ": " + refused + " refused"));
          } else {
            subscribed.complete(null);
          }
        }
      } else {
        fail("unexpected " + packet.type() + " on a subscribing client");
      }
    }

    @Override
    protected void onClosed() {
      subscribed.completeExceptionally(new IllegalStateException(clientId + ": connection closed"));
    }
  }

  int run() throws InterruptedException {
    String run = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    List<BenchClient> all = new ArrayList<>();
    try (Transport transport = new Transport(o.transport(), o.threads())) {
      try {
        return run(transport, run, all);
      } finally {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        all.forEach(c -> closing.add(c.disconnect()));
        try {
          CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          err.println("warning: not every connection closed in time");
        }
      }
    }
  }

  private static int subsOf(int client, int clients, int subscriptions) {
    return subscriptions / clients + (client < subscriptions % clients ? 1 : 0);
  }

  /** A well-mixed 64-bit hash (SplitMix64's finaliser). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private int run(Transport transport, String run, List<BenchClient> all) throws InterruptedException {
    int n = o.clients();
    int total = o.subscriptions();
    int p = o.publishers();
    long pid = o.brokerPid();
    String base = o.topicPrefix() + "/" + run;
    int sources = Fleet.sources(o, n + p);
    long phase = (long) (o.phaseTimeoutSeconds() * SECOND);
    Shared shared = new Shared(p);

    long rssBefore = CpuMeter.rssKib(pid);
    progress("connecting %,d clients from %d source address(es)", n, sources);
    List<SubsClient> clients = new ArrayList<>(n);
    Fleet.Outcome connect = Fleet.run(n, PENDING, 0, i -> {
      List<String> filters = new ArrayList<>();
      for (int j = 0, k = subsOf(i, n, total); j < k; j++) {
        filters.add(base + "/" + i + "/" + j);
      }
      SubsClient c = new SubsClient("tb-" + run + "-c" + i, o.version(), o.username(), o.password(), filters, o.qos(),
          shared);
      clients.add(c);
      all.add(c);
      BenchRun.connect(o, transport, transport.subscriberLoop(i), c, Fleet.source(i, sources));
      return c.connected;
    }, System.nanoTime() + phase, "connections", this::progress);
    if (connect.done() < n) {
      err.println("error: " + (n - connect.done()) + " client(s) could not connect: " + connect.firstFailure());
      return BenchRun.EXIT_CONNECT;
    }
    long rssConnected = CpuMeter.rssKib(pid);
    progress("%,d connected; subscribing to %,d topics", n, total);
    Fleet.Outcome subscribe = Fleet.run(n, PENDING, 0, i -> clients.get(i).subscribeAll(), System.nanoTime() + phase,
        "clients subscribed", this::progress);
    if (subscribe.done() < n) {
      err.println("error: " + (n - subscribe.done()) + " client(s) could not subscribe: " + subscribe.firstFailure());
      return BenchRun.EXIT_CONNECT;
    }
    ConnsRun.sleep(1);
    long rssSubscribed = CpuMeter.rssKib(pid);
    progress("%,d subscriptions in %.2f s (%,.0f/s)", total, subscribe.seconds(), total / subscribe.seconds());

    double ratePerPublisher = o.rate() == 0 ? 0 : (double) o.rate() / p;
    List<Publisher> publishers = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      int id = i;
      Publisher pub = new Publisher("tb-" + run + "-p" + i, o.version(), o.username(), o.password(), i, base + "/0/0",
          o.qos(), o.payload(), ratePerPublisher, o.window(), o.batch(), o.outstanding());
      pub.shape(seq -> {
        long h = mix(((long) id << 32) | (seq & 0xffffffffL));
        int c = (int) Math.floorMod(h, (long) n);
        int j = (int) Math.floorMod(h >>> 33, (long) subsOf(c, n, total));
        return base + "/" + c + "/" + j;
      }, false, Integer.MAX_VALUE);
      pub.deliveredTo(() -> shared.fromPublisher.get(id));
      publishers.add(pub);
      all.add(pub);
      BenchRun.connect(o, transport, transport.publisherLoop(i), pub, Fleet.source(n + i, sources));
    }
    for (Publisher pub : publishers) {
      try {
        pub.connected.get(Math.max(1, (long) (o.connectTimeoutSeconds() * SECOND)), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        err.println("error: a publisher could not connect: " + e);
        return BenchRun.EXIT_CONNECT;
      }
    }

    CpuMeter.Reading.take(pid); // its classes load now, not at the window's start (see BenchRun)
    long start = System.nanoTime() + 100_000_000L;
    long windowStart = start + (long) (o.warmupSeconds() * SECOND);
    long windowEnd = windowStart + (long) (o.durationSeconds() * SECOND);
    long graceEnd = windowEnd + (long) (o.graceSeconds() * SECOND);
    shared.windowStart = windowStart;
    shared.windowEnd = windowEnd;
    progress("publishing from %d publisher(s) for %.0f s after %.0f s warmup", p, o.durationSeconds(),
        o.warmupSeconds());
    publishers.forEach(x -> x.start(start, windowStart, windowEnd));
    ConnsRun.sleep((windowStart - System.nanoTime()) / (double) SECOND);
    CpuMeter.Reading a = CpuMeter.Reading.take(pid);
    ConnsRun.sleep((windowEnd - System.nanoTime()) / (double) SECOND);
    CpuMeter.Reading b = CpuMeter.Reading.take(pid);

    long sent = 0;
    long sentInWindow = 0;
    long lastChange = System.nanoTime();
    long lastGot = -1;
    for (int i = 0; i < p; i++) {
      Publisher x = publishers.get(i);
      try {
        x.finished.get(Math.max(0, graceEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // Counted below as unacknowledged.
      }
    }
    long unacked = 0;
    for (int i = 0; i < p; i++) {
      Publisher x = publishers.get(i);
      Publisher.Stats st = RetainedRun.onLoop(CompletableFuture.supplyAsync(x::stats, x.ctx.executor()));
      sent += st.sent();
      sentInWindow += st.sentInWindow();
      unacked += st.inFlight();
    }
    while (true) {
      long got = shared.received();
      long now = System.nanoTime();
      if (got >= sent || now >= graceEnd) {
        break;
      }
      if (got != lastGot) {
        lastGot = got;
        lastChange = now;
      } else if (o.qos() == 0 && now - lastChange >= SECOND) {
        break;
      }
      Thread.sleep(20);
    }
    long received = shared.received();
    long lost = Math.max(0, sent - received);
    Histogram latency = shared.latency.getIntervalHistogram();
    double window = (windowEnd - windowStart) / (double) SECOND;
    long wall = b.wallNanos() - a.wallNanos();
    Double gen = CpuMeter.percent(a.selfCpu(), b.selfCpu(), wall);
    Double broker = CpuMeter.percent(a.brokerCpu(), b.brokerCpu(), wall);
    Double machine = CpuMeter.percent(a.machineCpu(), b.machineCpu(), wall);
    Double other = machine == null || gen == null || broker == null ? null : Math.max(0, machine - gen - broker);

    int errors = 0;
    for (BenchClient c : all) {
      if (c.error() != null) {
        if (errors < 5) {
          err.println("client error: " + c.error());
        }
        errors++;
      }
    }
    Double perSub = rssConnected < 0 || rssSubscribed < 0 ? null
        : (double) Math.round((rssSubscribed - rssConnected) * 1024.0 / total);
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("scenario", "subs");
    j.put("label", o.label());
    j.put("clients", n);
    j.put("subscriptions", total);
    j.put("qos", o.qos());
    j.put("publishers", p);
    j.put("payload", o.payload());
    j.put("rate", o.rate());
    j.put("duration_s", o.durationSeconds());
    j.put("warmup_s", o.warmupSeconds());
    j.put("connect_per_s", Math.round(connect.perSecond()));
    j.put("subscribe_s", Math.round(subscribe.seconds() * 1000) / 1000.0);
    j.put("subscriptions_per_s", Math.round(total / Math.max(subscribe.seconds(), 1e-9)));
    j.put("rss_before_kib", rssBefore < 0 ? null : rssBefore);
    j.put("rss_connected_kib", rssConnected < 0 ? null : rssConnected);
    j.put("rss_subscribed_kib", rssSubscribed < 0 ? null : rssSubscribed);
    j.put("rss_per_subscription_b", perSub);
    j.put("sent", sent);
    j.put("sent_per_s", Math.round(sentInWindow / window));
    j.put("delivered_per_s", Math.round(shared.inWindow.sum() / window));
    j.put("received", received);
    j.put("lost", lost);
    j.put("lost_pct", sent == 0 ? 0 : Math.round(100_000.0 * lost / sent) / 1000.0);
    j.put("unacked_at_end", unacked);
    j.put("unexpected", shared.unexpected.sum());
    j.put("p50_us", micros(latency, 50));
    j.put("p99_us", micros(latency, 99));
    j.put("p999_us", micros(latency, 99.9));
    j.put("max_us", latency.getTotalCount() == 0 ? null : Math.round(latency.getMaxValue() / 100.0) / 10.0);
    j.put("gen_cpu_pct", ConnsRun.round1(gen));
    j.put("broker_cpu_pct", ConnsRun.round1(broker));
    j.put("other_cpu_pct", ConnsRun.round1(other));
    j.put("errors", errors);
    j.put("outstanding", o.outstanding());
    j.put("mqtt", o.versionName());
    j.put("transport", transport.name());
    j.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    String human = String.format(Locale.ROOT,
        "subs %s qos%d: %,d subscriptions over %,d clients in %.2f s (%,.0f/s), %s B each | %d publishers%s: sent %,.0f/s"
            + " delivered %,.0f/s lost %,d | latency us p50 %s p99 %s p99.9 %s | cpu gen %s broker %s other %s",
        o.label(), o.qos(), total, n, subscribe.seconds(), total / Math.max(subscribe.seconds(), 1e-9),
        perSub == null ? "?" : String.format(Locale.ROOT, "%,.0f", perSub), p,
        o.rate() > 0 ? " @" + o.rate() + "/s" : "", sentInWindow / window, shared.inWindow.sum() / window, lost,
        ConnsRun.fmt(micros(latency, 50)), ConnsRun.fmt(micros(latency, 99)), ConnsRun.fmt(micros(latency, 99.9)),
        pct(gen), pct(broker), pct(other));
    BenchRun.emit(o, out, err, human, Json.write(j));
    boolean failed = errors > 0 || (o.qos() > 0 && lost > 0);
    if (o.qos() > 0 && lost > 0) {
      err.printf("FAIL: QoS %d lost %,d message(s)%n", o.qos(), lost);
    }
    return failed ? BenchRun.EXIT_FAILED : BenchRun.EXIT_OK;
  }

  private static Double micros(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? null : Math.round(h.getValueAtPercentile(percentile) / 100.0) / 10.0;
  }

  private static String pct(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.0f%%", v);
  }

  private void progress(String format, Object... args) {
    if (!o.quiet()) {
      err.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
  }

  private void progress(String line) {
    progress("%s", line);
  }
}
