package io.tern.bench;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The figures of one run, over the measured window only (warmup and drain left out).
 *
 * @param sent PUBLISH packets written inside the window
 * @param delivered unique deliveries (over all subscribers) that arrived inside the window
 * @param expected deliveries owed for the messages sent inside the window
 * @param lost of those, the ones never delivered, even after the drain
 * @param lostOverall the same over the whole run, warmup included
 * @param brokerCpuPct the broker's CPU over the window in percent of one core, null when unknown
 * @param otherCpuPct what every other process of the machine used over the window, in percent of one
 *     core; null when the broker's pid was not given
 * @param generatorGcMillis the generator's garbage collection time inside the window
 * @param stalls how often a publisher held back by {@code --outstanding} waited in vain and went on
 */
record RunResult(
    BenchOptions options,
    String transport,
    double windowSeconds,
    long sent,
    long delivered,
    long expected,
    long lost,
    long lostOverall,
    long duplicates,
    long outOfOrder,
    long unexpected,
    long unackedAtEnd,
    Histogram latency,
    Double generatorCpuPct,
    Double brokerCpuPct,
    Double otherCpuPct,
    long generatorGcMillis,
    int errors,
    long stalls) {

  double sentPerSecond() {
    return sent / windowSeconds;
  }

  double deliveredPerSecond() {
    return delivered / windowSeconds;
  }

  double lostPercent() {
    return expected == 0 ? 0 : 100.0 * lost / expected;
  }

  /** True when QoS 1/2 promised every message and one went missing, or a client failed. */
  boolean failed() {
    return errors > 0 || (options.qos() > 0 && (lost > 0 || lostOverall > 0));
  }

  private double micros(double nanos) {
    return Math.round(nanos / 100.0) / 10.0;
  }

  private Double percentileMicros(double percentile) {
    return latency.getTotalCount() == 0 ? null : micros(latency.getValueAtPercentile(percentile));
  }

  /** One line for people. */
  String humanLine() {
    BenchOptions o = options;
    String shape = o.publishers() + "->" + o.subscribers();
    String lat = latency.getTotalCount() == 0
        ? "latency: none measured"
        : String.format(Locale.ROOT, "latency us p50 %s p99 %s p99.9 %s max %s",
            fmt(percentileMicros(50)), fmt(percentileMicros(99)), fmt(percentileMicros(99.9)),
            fmt(micros(latency.getMaxValue())));
    return String.format(Locale.ROOT,
        "%s %s qos%d %s %dB%s: sent %,.0f/s delivered %,.0f/s lost %,d (%.2f%%) dup %,d ooo %,d | %s | cpu gen %s broker %s other %s | gen gc %d ms%s",
        o.scenario().id(), o.label(), o.qos(), shape, o.payload(), o.rate() > 0 ? " @" + o.rate() + "/s" : "",
        sentPerSecond(), deliveredPerSecond(), lost, lostPercent(), duplicates, outOfOrder, lat,
        pct(generatorCpuPct), pct(brokerCpuPct), pct(otherCpuPct), generatorGcMillis, errors > 0 ? " | " + errors + " client error(s)" : "");
  }

  private static String fmt(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%,.1f", v);
  }

  private static String pct(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.0f%%", v);
  }

  /** The JSON line of the results files. */
  String jsonLine() {
    BenchOptions o = options;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", o.scenario().id());
    m.put("label", o.label());
    m.put("qos", o.qos());
    m.put("publishers", o.publishers());
    m.put("subscribers", o.subscribers());
    m.put("payload", o.payload());
    m.put("rate", o.rate());
    m.put("duration_s", o.durationSeconds());
    m.put("warmup_s", o.warmupSeconds());
    m.put("sent", sent);
    m.put("delivered", delivered);
    m.put("sent_per_s", Math.round(sentPerSecond()));
    m.put("delivered_per_s", Math.round(deliveredPerSecond()));
    m.put("lost", lost);
    m.put("lost_pct", Math.round(lostPercent() * 1000) / 1000.0);
    m.put("lost_overall", lostOverall);
    m.put("duplicates", duplicates);
    m.put("out_of_order", outOfOrder);
    m.put("unexpected", unexpected);
    m.put("unacked_at_end", unackedAtEnd);
    m.put("p50_us", percentileMicros(50));
    m.put("p90_us", percentileMicros(90));
    m.put("p99_us", percentileMicros(99));
    m.put("p999_us", percentileMicros(99.9));
    m.put("max_us", latency.getTotalCount() == 0 ? null : micros(latency.getMaxValue()));
    m.put("mean_us", latency.getTotalCount() == 0 ? null : micros(latency.getMean()));
    m.put("gen_cpu_pct", round1(generatorCpuPct));
    m.put("broker_cpu_pct", round1(brokerCpuPct));
    m.put("other_cpu_pct", round1(otherCpuPct));
    m.put("gen_gc_ms", generatorGcMillis);
    m.put("errors", errors);
    m.put("mqtt", o.versionName());
    m.put("persistent", o.persistent());
    m.put("transport", transport);
    m.put("threads", o.threads());
    m.put("window", o.window());
    m.put("outstanding", o.outstanding());
    m.put("stalls", stalls);
    m.put("batch", o.batch());
    m.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    return Json.write(m);
  }

  private static Double round1(Double v) {
    return v == null ? null : Math.round(v * 10) / 10.0;
  }
}
