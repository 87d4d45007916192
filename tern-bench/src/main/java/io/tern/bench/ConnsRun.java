package io.tern.bench;

import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
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

/**
 * {@code conns}: opens {@code --clients} idle MQTT connections (each one's CONNACK checked), holds
 * them for {@code --duration} seconds, and reports the connect rate, the CONNECT-to-CONNACK time and
 * the broker's resident memory per connection (its VmRSS growth over the run ÷ connections; needs
 * {@code --broker-pid}).
 *
 * <p>Timeline: read the broker's memory; connect (at most {@code --window} CONNACKs awaited at
 * once, {@code --rate} connections a second if given); wait {@code --warmup} seconds for the broker
 * to settle; read its memory; hold for {@code --duration} seconds (every connection must stay open);
 * read it again; disconnect.
 *
 * <p>With {@code --waves W}, the connect phase runs W times: each wave opens {@code --clients} new
 * connections (client ids of their own) and all but the last are closed again, every close seen,
 * before the next. The connect rate and the CONNACK times are over all waves (the time spent closing
 * is not counted); only the last wave is held. So a broker meets more connections than one process
 * may hold open at once (the file descriptor limit): a JVM broker, whose first seconds run code not
 * yet compiled, is then measured over a run as long as 100,000 connections would take, not only
 * over its first. The memory figure is then the RSS growth over all waves ÷ the connections held.
 */
final class ConnsRun {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private final BenchOptions o;
  private final PrintStream out;
  private final PrintStream err;

  ConnsRun(BenchOptions options, PrintStream out, PrintStream err) {
    this.o = options;
    this.out = out;
    this.err = err;
  }

  /** A connection that only connects, answers nothing and pings at half its keep alive. */
  static final class IdleClient extends BenchClient {
    IdleClient(String clientId, MqttVersion version, String username, String password) {
      super(clientId, version, username, password);
    }

    @Override
    protected void onPacket(MqttPacket packet) {
      fail("unexpected " + packet.type() + " on an idle connection");
    }
  }

  int run() throws InterruptedException {
    String run = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    int n = o.clients();
    // Every wave's ports linger in TIME_WAIT for a minute: addresses enough for all of them.
    int sources = Fleet.sources(o, n * o.waves());
    List<IdleClient> clients = new ArrayList<>(n);
    try (Transport transport = new Transport(o.transport(), o.threads())) {
      try {
        return run(transport, run, n, sources, clients);
      } finally {
        disconnectAll(clients);
      }
    }
  }

  private int run(Transport transport, String run, int n, int sources, List<IdleClient> clients)
      throws InterruptedException {
    long pid = o.brokerPid();
    long rssBefore = CpuMeter.rssKib(pid);
    progress("opening %,d connections%s to %s:%d from %d source address(es), %d CONNECTs pending at most", n,
        o.waves() > 1 ? " " + o.waves() + " times" : "", o.host(), o.port(), sources, o.window());
    long phase = (long) (o.phaseTimeoutSeconds() * SECOND);
    List<Fleet.Outcome> waves = new ArrayList<>();
    long connectWall = 0;
    long brokerCpu = 0; // over the connect phases; -1 when unknown
    long genCpu = 0;
    for (int w = 0; w < o.waves(); w++) {
      if (w > 0) {
        disconnectAll(clients);
        clients.clear();
      }
      String prefix = "tb-" + run + (o.waves() > 1 ? "-w" + w : "") + "-c";
      int first = w * n; // each wave from other ports
      CpuMeter.Reading cpuStart = CpuMeter.Reading.take(pid);
      Fleet.Outcome wave = Fleet.run(n, o.window(), o.rate(), i -> {
        IdleClient client = new IdleClient(prefix + i, o.version(), o.username(), o.password());
        clients.add(client);
        BenchRun.connect(o, transport, transport.loop(i), client, Fleet.source(first + i, sources));
        return client.connected;
      }, System.nanoTime() + phase, "connections", this::progress);
      CpuMeter.Reading cpuConnected = CpuMeter.Reading.take(pid);
      connectWall += cpuConnected.wallNanos() - cpuStart.wallNanos();
      brokerCpu = brokerCpu < 0 || cpuStart.brokerCpu() < 0 || cpuConnected.brokerCpu() < 0 ? -1
          : brokerCpu + cpuConnected.brokerCpu() - cpuStart.brokerCpu();
      genCpu = genCpu < 0 || cpuStart.selfCpu() < 0 || cpuConnected.selfCpu() < 0 ? -1
          : genCpu + cpuConnected.selfCpu() - cpuStart.selfCpu();
      waves.add(wave);
      if (o.waves() > 1) {
        progress("wave %d of %d: %,d connected in %.2f s (%,.0f/s), %,d failed", w + 1, o.waves(), wave.done(),
            wave.seconds(), wave.perSecond(), wave.failed());
      }
      if (wave.done() < n) {
        break; // the run has failed; the last wave's clients are closed below
      }
    }
    Fleet.Outcome c = Fleet.Outcome.over(waves);
    Fleet.Outcome held = waves.get(waves.size() - 1);
    sleep(o.warmupSeconds());
    long rssConnected = CpuMeter.rssKib(pid);
    progress("%,d connected (%,.0f/s), %,d failed; holding them %.0f s", held.done(), c.perSecond(), c.failed(),
        o.durationSeconds());
    sleep(o.durationSeconds());
    long rssEnd = CpuMeter.rssKib(pid);
    long closed = clients.stream().filter(cl -> cl.connected.isDone() && !cl.connected.isCompletedExceptionally()
        && cl.closed.isDone()).count();

    List<String> errors = new ArrayList<>();
    if (c.firstFailure() != null) {
      errors.add(c.firstFailure());
    }
    for (IdleClient cl : clients) {
      if (cl.error() != null && errors.size() < 5) {
        errors.add(cl.error());
      }
    }
    errors.forEach(e -> err.println("client error: " + e));

    Double perConn = rssBefore < 0 || rssEnd < 0 || held.done() == 0 ? null
        : Math.round((rssEnd - rssBefore) * 100.0 / held.done()) / 100.0;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", "conns");
    m.put("label", o.label());
    m.put("clients", n);
    m.put("connected", held.done());
    m.put("failed", c.failed());
    m.put("closed_during_hold", closed);
    m.put("sources", sources);
    m.put("pending", o.window());
    m.put("rate", o.rate());
    m.put("connect_s", Math.round(c.seconds() * 1000) / 1000.0);
    m.put("connect_per_s", Math.round(c.perSecond()));
    m.put("connect_p50_us", c.micros(50));
    m.put("connect_p99_us", c.micros(99));
    m.put("connect_p999_us", c.micros(99.9));
    m.put("connect_max_us", c.latency().getTotalCount() == 0 ? null : Math.round(c.latency().getMaxValue() / 100.0) / 10.0);
    m.put("waves", o.waves());
    // A flat string, as the results files hold no arrays: "12402 15856 16568".
    m.put("wave_connect_per_s", String.join(" ", waves.stream().map(w -> Long.toString(Math.round(w.perSecond())))
        .toList()));
    m.put("broker_cpu_connect_pct", round1(CpuMeter.percent(0, brokerCpu, connectWall)));
    m.put("gen_cpu_connect_pct", round1(CpuMeter.percent(0, genCpu, connectWall)));
    m.put("rss_before_kib", rssBefore < 0 ? null : rssBefore);
    m.put("rss_connected_kib", rssConnected < 0 ? null : rssConnected);
    m.put("rss_end_kib", rssEnd < 0 ? null : rssEnd);
    m.put("rss_per_conn_kib", perConn);
    m.put("hold_s", o.durationSeconds());
    m.put("errors", errors.size());
    m.put("mqtt", o.versionName());
    m.put("transport", transport.name());
    m.put("threads", o.threads());
    m.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    String human = String.format(Locale.ROOT,
        "conns %s: %,d of %,d connected in %.2f s (%,.0f/s), %,d failed, %,d closed while idle | CONNACK us p50 %s p99 %s"
            + " p99.9 %s | broker RSS %s -> %s KiB, %s KiB per connection",
        o.label() + (o.waves() > 1 ? " (" + waves.size() + " waves)" : ""), c.done(), n * o.waves(), c.seconds(),
        c.perSecond(), c.failed(), closed, fmt(c.micros(50)), fmt(c.micros(99)),
        fmt(c.micros(99.9)), rssBefore < 0 ? "?" : String.format(Locale.ROOT, "%,d", rssBefore),
        rssEnd < 0 ? "?" : String.format(Locale.ROOT, "%,d", rssEnd), perConn == null ? "?" : perConn.toString());
    BenchRun.emit(o, out, err, human, Json.write(m));
    boolean failed = c.done() < n * o.waves() || closed > 0;
    if (failed) {
      err.printf("FAIL: %,d of %,d connections were not accepted or did not stay open%n",
          n * o.waves() - c.done() + closed, n * o.waves());
    }
    return failed ? BenchRun.EXIT_FAILED : BenchRun.EXIT_OK;
  }

  private void disconnectAll(List<? extends BenchClient> clients) throws InterruptedException {
    List<CompletableFuture<Void>> closing = new ArrayList<>(clients.size());
    for (BenchClient c : clients) {
      closing.add(c.disconnect());
    }
    try {
      CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      err.println("warning: not every connection closed in time: " + e);
    }
  }

  static void sleep(double seconds) throws InterruptedException {
    long end = System.nanoTime() + (long) (seconds * SECOND);
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  private void progress(String format, Object... args) {
    if (!o.quiet()) {
      err.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
  }

  private void progress(String line) {
    progress("%s", line);
  }

  static Double round1(Double v) {
    return v == null ? null : Math.round(v * 10) / 10.0;
  }

  static String fmt(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%,.1f", v);
  }
}
