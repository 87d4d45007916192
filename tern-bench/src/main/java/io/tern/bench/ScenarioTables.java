package io.tern.bench;

import static io.tern.bench.MarkdownReport.count;
import static io.tern.bench.MarkdownReport.micros;
import static io.tern.bench.MarkdownReport.num;
import static io.tern.bench.MarkdownReport.percent;
import static io.tern.bench.MarkdownReport.str;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The BENCHMARKS.md tables of {@code conns}, {@code retained} and {@code subs}, whose figures are
 * not those of a publish/subscribe flow: one table per scenario, each broker's best round, and Tern
 * beside the best other broker.
 */
final class ScenarioTables {
  /** The bound on broker memory per idle connection. */
  static final double CONN_KIB_TARGET = 4;

  private ScenarioTables() {}

  static void conns(StringBuilder md, Map<String, List<Map<String, Object>>> byBroker, List<String> targets) {
    Map<String, Object> first = first(byBroker);
    int waves = first.get("waves") == null ? 1 : num(first.get("waves")).intValue();
    long perWave = num(first.get("clients")).longValue();
    if (waves > 1) {
      md.append(String.format(Locale.ROOT, "## conns: %s connections in %d waves of %s\n\n", count(perWave * waves),
          waves, count(perWave)));
      md.append(String.format(Locale.ROOT, "More connections through one broker than a process here may hold open: "
              + "each wave opens %s new connections and is closed, every close seen, before the next; the last "
              + "is held idle %s s. connect/s and CONNACK times are over all waves (closing not counted); the "
              + "broker CPU column is over the connect phases. Memory: VmRSS growth from before the first wave "
              + "to the end of the hold, ÷ connections held: it includes what earlier waves left, such as "
              + "garbage a JVM has not yet collected.\n\n",
          count(perWave), str(first.get("hold_s"))));
    } else {
      md.append(String.format(Locale.ROOT, "## conns: %s idle connections\n\n", count(perWave)));
    }
    md.append(String.format(Locale.ROOT, "From %s source addresses, at most %s CONNECTs awaiting their CONNACK, %s; "
            + "every CONNACK checked%s\n\n",
        str(first.get("sources")), str(first.get("pending")),
        num(first.get("rate")).longValue() == 0 ? "as fast as accepted" : count(first.get("rate")) + " a second",
        waves > 1 ? "." : String.format(Locale.ROOT, ", then held idle %s s. Memory: the broker's VmRSS growth from "
            + "before the first connection to the end of the hold, ÷ connections.", str(first.get("hold_s")))));
    md.append("| broker | connected | failed | closed idle | connect/s | CONNACK p50 µs | p99 µs | p99.9 µs "
        + "| RSS before KiB | RSS after KiB | KiB per connection | broker CPU while connecting | all rounds, connect/s |"
        + (waves > 1 ? " each wave, connect/s |\n" : "\n"));
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|" + (waves > 1 ? "---|\n" : "\n"));
    Map<String, Map<String, Object>> best = best(byBroker, r -> num(r.get("connect_per_s")).doubleValue());
    for (Map.Entry<String, Map<String, Object>> e : best.entrySet()) {
      Map<String, Object> b = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
          e.getKey(), count(b.get("connected")), count(b.get("failed")), count(b.get("closed_during_hold")),
          count(b.get("connect_per_s")), micros(b.get("connect_p50_us")), micros(b.get("connect_p99_us")),
          micros(b.get("connect_p999_us")), count(b.get("rss_before_kib")), count(b.get("rss_end_kib")),
          b.get("rss_per_conn_kib") == null ? "-" : String.format(Locale.ROOT, "%.2f", num(b.get("rss_per_conn_kib")).doubleValue()),
          percent(b.get("broker_cpu_connect_pct")), rounds(byBroker.get(e.getKey()), "connect_per_s")));
      md.append(waves > 1 ? " " + waveRates(b) + " |\n" : "\n");
    }
    md.append('\n');
    Map<String, Object> tern = best.get(MarkdownReport.SUBJECT);
    String peer = bestPeer(best, r -> num(r.get("connect_per_s")).doubleValue());
    if (tern != null && peer != null) {
      md.append(String.format(Locale.ROOT, "Tern ÷ best peer (%s): connect/s **×%s** (higher is better).\n\n", peer,
          MarkdownReport.ratio(tern.get("connect_per_s"), best.get(peer).get("connect_per_s"))));
    }
    if (tern != null && tern.get("rss_per_conn_kib") != null && waves == 1) {
      double kib = num(tern.get("rss_per_conn_kib")).doubleValue();
      targets.add(String.format(Locale.ROOT, "| %s idle connections, ≤ %.0f KiB broker memory each | %.2f KiB | %s |",
          count(tern.get("connected")), CONN_KIB_TARGET, kib,
          kib <= CONN_KIB_TARGET ? "yes" : String.format(Locale.ROOT, "**no** (×%.2f)", kib / CONN_KIB_TARGET)));
    }
    Map<String, Object> mosquitto = best.get("mosquitto");
    if (tern != null && mosquitto != null) {
      double r = num(tern.get("connect_per_s")).doubleValue() / Math.max(1, num(mosquitto.get("connect_per_s")).doubleValue());
      targets.add(String.format(Locale.ROOT, "| connect rate ≥ Mosquitto's%s | %s vs %s /s (×%.2f) | %s |",
          waves > 1 ? String.format(Locale.ROOT, ", %s connections in %d waves", count(perWave * waves), waves)
              : String.format(Locale.ROOT, ", %s connections", count(perWave)),
          count(tern.get("connect_per_s")), count(mosquitto.get("connect_per_s")), r,
          r >= 1 ? "yes" : String.format(Locale.ROOT, "**no** (%.0f%% short)", 100 * (1 - r))));
    }
  }

  static void retained(StringBuilder md, Map<String, List<Map<String, Object>>> byBroker, List<String> targets) {
    Map<String, Object> first = first(byBroker);
    md.append(String.format(Locale.ROOT, "## retained: %s retained messages, then a `#` subscriber\n\n",
        count(first.get("messages"))));
    md.append(String.format(Locale.ROOT, "%s publishers, QoS %s, %s B payload, one topic per message "
            + "(`bench/<run>/<k/1000>/<k%%1000>`); then one subscriber to `bench/<run>/#` at QoS %s must get them all. "
            + "Memory: the broker's VmRSS growth over the publishing, ÷ messages.\n\n",
        str(first.get("publishers")), str(first.get("qos")), str(first.get("payload")), str(first.get("qos"))));
    md.append("| broker | published | publish msg/s | received | missing | receive time s | receive msg/s "
        + "| RSS before KiB | RSS after publishing KiB | B per message | all rounds, receive s |\n");
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    // Best round: the most received, then the quickest.
    Map<String, Map<String, Object>> best = best(byBroker,
        r -> num(r.get("received")).doubleValue() * 1e6 - num(r.get("receive_s")).doubleValue());
    for (Map.Entry<String, Map<String, Object>> e : best.entrySet()) {
      Map<String, Object> b = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          e.getKey(), count(b.get("sent")), count(b.get("publish_per_s")), count(b.get("received")),
          count(b.get("missing")), seconds(b.get("receive_s")), count(b.get("receive_per_s")), count(b.get("rss_before_kib")),
          count(b.get("rss_published_kib")), count(b.get("rss_per_message_b")), rounds(byBroker.get(e.getKey()), "receive_s")));
    }
    md.append('\n');
    Map<String, Object> tern = best.get(MarkdownReport.SUBJECT);
    String peer = bestPeer(best, r -> num(r.get("receive_per_s")).doubleValue());
    if (tern != null && peer != null) {
      md.append(String.format(Locale.ROOT, "Tern ÷ best peer (%s): receive msg/s **×%s**, publish msg/s **×%s** "
              + "(higher is better); memory per message **×%s** (lower is better).\n\n", peer,
          MarkdownReport.ratio(tern.get("receive_per_s"), best.get(peer).get("receive_per_s")),
          MarkdownReport.ratio(tern.get("publish_per_s"), best.get(peer).get("publish_per_s")),
          MarkdownReport.ratio(tern.get("rss_per_message_b"), best.get(peer).get("rss_per_message_b"))));
    }
  }

  static void subs(StringBuilder md, Map<String, List<Map<String, Object>>> byBroker, List<String> targets) {
    Map<String, Object> first = first(byBroker);
    long rate = num(first.get("rate")).longValue();
    md.append(String.format(Locale.ROOT, "## subs: %s subscriptions over %s clients, then %s publishers, QoS %s, %s\n\n",
        count(first.get("subscriptions")), count(first.get("clients")), str(first.get("publishers")), str(first.get("qos")),
        rate == 0 ? "as fast as possible" : String.format(Locale.ROOT, "%,d msg/s offered", rate)));
    md.append(String.format(Locale.ROOT, "One topic per subscription (`bench/<run>/<client>/<j>`), each message to a "
            + "subscribed topic picked at random, so each matches one subscription of one client. %s s measured after "
            + "%s s warmup. Memory: VmRSS growth over the subscribing, ÷ subscriptions.\n\n",
        str(first.get("duration_s")), str(first.get("warmup_s"))));
    md.append("| broker | subscribe s | subscriptions/s | B per subscription | sent msg/s | delivered msg/s | lost "
        + "| p50 µs | p99 µs | p99.9 µs | broker CPU | generator CPU | other CPU | all rounds, delivered msg/s |\n");
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    Map<String, Map<String, Object>> best = best(byBroker, r -> num(r.get("delivered_per_s")).doubleValue());
    for (Map.Entry<String, Map<String, Object>> e : best.entrySet()) {
      Map<String, Object> b = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          e.getKey(), seconds(b.get("subscribe_s")), count(b.get("subscriptions_per_s")), count(b.get("rss_per_subscription_b")),
          count(b.get("sent_per_s")), count(b.get("delivered_per_s")), MarkdownReport.lost(b), micros(b.get("p50_us")),
          micros(b.get("p99_us")), micros(b.get("p999_us")), percent(b.get("broker_cpu_pct")), percent(b.get("gen_cpu_pct")),
          percent(b.get("other_cpu_pct")), rounds(byBroker.get(e.getKey()), "delivered_per_s")));
    }
    md.append('\n');
    Map<String, Object> tern = best.get(MarkdownReport.SUBJECT);
    String peer = bestPeer(best, r -> num(r.get("delivered_per_s")).doubleValue());
    if (tern != null && peer != null) {
      md.append(String.format(Locale.ROOT, "Tern ÷ best peer (%s): delivered msg/s **×%s**, subscriptions/s **×%s** "
              + "(higher is better); p99 latency **×%s** (lower is better).\n\n", peer,
          MarkdownReport.ratio(tern.get("delivered_per_s"), best.get(peer).get("delivered_per_s")),
          MarkdownReport.ratio(tern.get("subscriptions_per_s"), best.get(peer).get("subscriptions_per_s")),
          MarkdownReport.ratio(tern.get("p99_us"), best.get(peer).get("p99_us"))));
    }
  }

  private static Map<String, Object> first(Map<String, List<Map<String, Object>>> byBroker) {
    return byBroker.values().iterator().next().get(0);
  }

  /** Each broker's best round by {@code score} (higher is better). */
  private static Map<String, Map<String, Object>> best(Map<String, List<Map<String, Object>>> byBroker,
      ToDoubleFunction<Map<String, Object>> score) {
    Map<String, Map<String, Object>> best = new LinkedHashMap<>();
    for (Map.Entry<String, List<Map<String, Object>>> e : byBroker.entrySet()) {
      Map<String, Object> b = null;
      for (Map<String, Object> r : e.getValue()) {
        if (b == null || score.applyAsDouble(r) > score.applyAsDouble(b)) {
          b = r;
        }
      }
      best.put(e.getKey(), b);
    }
    return best;
  }

  /** The other broker with the highest {@code score}, or null. */
  private static String bestPeer(Map<String, Map<String, Object>> best, ToDoubleFunction<Map<String, Object>> score) {
    String peer = null;
    for (Map.Entry<String, Map<String, Object>> e : best.entrySet()) {
      if (!e.getKey().startsWith(MarkdownReport.SUBJECT)
          && (peer == null || score.applyAsDouble(e.getValue()) > score.applyAsDouble(best.get(peer)))) {
        peer = e.getKey();
      }
    }
    return peer;
  }

  /** Seconds with three decimals: a whole 1.0 is written to the results as 1. */
  private static String seconds(Object v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.3f", num(v).doubleValue());
  }

  /** A waves run's connect rate per wave: "12,000 → 15,000 → ...". */
  private static String waveRates(Map<String, Object> run) {
    List<String> all = new ArrayList<>();
    for (String rate : str(run.get("wave_connect_per_s")).split(" ")) {
      if (!rate.isEmpty()) {
        all.add(count(Long.parseLong(rate)));
      }
    }
    return String.join(" → ", all);
  }

  private static String rounds(List<Map<String, Object>> runs, String key) {
    List<String> all = new ArrayList<>();
    for (Map<String, Object> r : runs) {
      Object v = r.get(key);
      all.add(v instanceof Double d && d < 1000 ? str(v) : count(v));
    }
    return String.join(" / ", all);
  }
}
