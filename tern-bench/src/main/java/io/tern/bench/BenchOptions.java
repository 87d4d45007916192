package io.tern.bench;

import io.tern.codec.MqttVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The settings of one load-generator run, parsed from the command line.
 *
 * <pre>{@code
 * BenchOptions o = BenchOptions.parse(new String[] {"fanin", "--port", "1883", "--qos", "1"});
 * }</pre>
 *
 * @param rate messages per second over all publishers together; 0 means as fast as the broker takes them
 * @param window the largest number of QoS 1/2 messages a publisher has in flight (sent, not yet
 *     PUBACKed or PUBCOMPed)
 * @param batch the most messages a publisher encodes into one buffer between two flushes
 * @param brokerPid the broker's process id, when known, to report its CPU use over the measured
 *     window (Linux only); 0 when unknown
 * @param sendBuffer SO_SNDBUF of every connection in bytes; 0 leaves it to the kernel's autotuning
 * @param persistent whether subscribers connect with a persistent session (3.1.1 Clean Session 0,
 *     v5 Session Expiry Interval 0xFFFFFFFF), which a broker with a store writes to disk
 * @param outstanding the most messages a publisher has sent that have not yet reached every
 *     subscriber owed them, at any QoS; 0 for no bound. It keeps a broker that reads faster than it
 *     delivers, and never pushes back, from queueing without end (see docs/benchmarks.md)
 * @param clients conns: idle connections to open; subs: subscribing clients
 * @param sources how many source addresses (127.0.0.1, 127.0.0.2, ...) the clients of conns and
 *     subs connect from, so that many connections do not run out of ephemeral ports; 0 picks one
 *     per 5,000 clients (at least 4) when the broker is on loopback
 * @param messages retained: retained messages to publish
 * @param subscriptions subs: subscriptions over all clients
 * @param phaseTimeoutSeconds conns, retained, subs: the longest one phase (connecting, subscribing,
 *     publishing, receiving) may take before the run gives up
 * @param waves conns: how many times {@code clients} connections are opened, each wave closed before
 *     the next and the last one held: more connections through one broker than a process may hold
 *     open at once (see docs/benchmarks.md)
 */
public record BenchOptions(
    Scenario scenario,
    String host,
    int port,
    int publishers,
    int subscribers,
    int qos,
    int payload,
    double durationSeconds,
    double warmupSeconds,
    long rate,
    String label,
    int threads,
    String transport,
    int window,
    int batch,
    MqttVersion version,
    double graceSeconds,
    double connectTimeoutSeconds,
    String jsonFile,
    boolean quiet,
    String topicPrefix,
    String username,
    String password,
    long brokerPid,
    int sendBuffer,
    boolean persistent,
    int outstanding,
    int clients,
    int sources,
    int messages,
    int subscriptions,
    double phaseTimeoutSeconds,
    int waves) {

  /** Bounds that keep one run finite in memory and time, whatever the arguments. */
  static final int MAX_CLIENTS = 5_000;
  /** conns and subs: bounded by the file descriptors a process may hold, see docs/benchmarks.md. */
  static final int MAX_IDLE_CLIENTS = 1_000_000;
  static final double MAX_DURATION_SECONDS = 3_600;

  /** The text printed by {@code --help} and on a usage error. */
  public static final String USAGE = String.join("\n",
      "Usage: java -jar tern-bench.jar <scenario> [options]",
      "       java -jar tern-bench.jar report <results.jsonl> [--out BENCHMARKS.md]",
      "",
      "Scenarios:",
      "  fanin    P publishers -> S subscribers on the wildcard filter bench/+/<run>  (default 8 -> 1)",
      "  fanout   1 publisher  -> S subscribers on one topic                         (default 1 -> 8)",
      "  p2p      N pairs: publisher i -> subscriber i, one topic per pair            (default 8 pairs)",
      "  conns    N idle connections (--clients), connect rate, broker memory per connection",
      "  retained M retained messages (--messages), then a subscriber to <prefix>/<run>/#: time to get them all",
      "  subs     --subscriptions over --clients clients, then P publishers to random subscribed topics",
      "  offline  S persistent subscribers go away, P publishers send --messages, the subscribers come back and drain",
      "",
      "Options (defaults in brackets):",
      "  --host H              broker host [127.0.0.1]",
      "  --port N              broker port [1883]",
      "  --publishers N        publishers (fanin, p2p)",
      "  --subscribers N       subscribers (fanin, fanout); p2p: --pairs N sets both",
      "  --qos 0|1|2           QoS of every PUBLISH and SUBSCRIBE [0; retained, offline: 1]",
      "  --payload BYTES       payload size, at least " + Payload.HEADER_SIZE + " [64]",
      "  --duration S          measured seconds, after the warmup [10]",
      "  --warmup S            seconds of load before measuring [2]",
      "  --rate N              messages/s over all publishers (conns: connections/s); 0 = as fast as possible [0]",
      "  --label NAME          broker name written into the results [unlabelled]",
      "  --threads N           event loop threads of the generator [2]",
      "  --transport T         auto | epoll | nio [auto]",
      "  --window N            QoS 1/2 messages in flight per publisher [64];",
      "                        conns: CONNECTs awaiting their CONNACK at once [256]",
      "  --outstanding N       messages per publisher sent but not yet delivered to every",
      "                        subscriber, any QoS; 0 = no bound [1000]",
      "  --batch N             messages per write batch [64]",
      "  --mqtt V              3.1.1 | 5 [3.1.1]",
      "  --grace S             seconds to wait for the last deliveries and acks [5]",
      "  --connect-timeout S   per connection [5]",
      "  --json FILE           also append the JSON result line to FILE",
      "  --broker-pid PID      report this process's CPU use over the measured window",
      "  --sndbuf BYTES        SO_SNDBUF per connection; 0 = kernel autotuning [65536]",
      "  --topic-prefix P      first topic level [bench]",
      "  --username U, --password P   credentials for every client",
      "  --clients N           conns: connections [10000]; subs: subscribing clients [10000]",
      "  --sources N           conns, subs: source addresses 127.0.0.2..; 0 = one per 5,000 clients [0]",
      "  --waves N             conns: open --clients connections N times, closing each wave before the next;",
      "                        the connect rate is over all waves, the last wave is held [1]",
      "  --messages N          retained: retained messages; offline: messages in all [1000000]",
      "  --subscriptions N     subs: subscriptions over all clients [1000000]",
      "  --phase-timeout S     conns, retained, subs: longest connect/subscribe/publish/receive phase [120]",
      "  --quiet               no progress lines on stderr",
      "  --persistent          subscribers keep a persistent session (stored by a durable broker)",
      "",
      "Exit codes: 0 ok, 1 usage, 2 connect or subscribe failed, 3 hard deadline hit,",
      "            4 the run finished but lost QoS 1/2 messages or a client errored");

  /** A bad command line; the message says which argument. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  /** Parses {@code <scenario> [--name value | --name=value | --flag]...}. */
  public static BenchOptions parse(String[] args) throws UsageException {
    if (args.length == 0) {
      throw new UsageException("no scenario given");
    }
    Scenario scenario = Scenario.of(args[0]);
    if (scenario == null) {
      throw new UsageException("unknown scenario '" + args[0] + "' (fanin, fanout, p2p, conns, retained, subs, offline)");
    }
    String host = "127.0.0.1";
    int port = 1883;
    Integer publishers = null;
    Integer subscribers = null;
    Integer qos = null;
    int payload = 64;
    double duration = 10;
    double warmup = 2;
    long rate = 0;
    String label = "unlabelled";
    int threads = 2;
    String transport = "auto";
    Integer window = null;
    int batch = 64;
    MqttVersion version = MqttVersion.V3_1_1;
    double grace = 5;
    double connectTimeout = 5;
    String jsonFile = null;
    boolean quiet = false;
    boolean persistent = false;
    String topicPrefix = "bench";
    String username = null;
    String password = null;
    long brokerPid = 0;
    int sendBuffer = 64 * 1024;
    int outstanding = 1000;
    int clients = 10_000;
    int sources = 0;
    int messages = 1_000_000;
    int subscriptions = 1_000_000;
    double phaseTimeout = 120;
    int waves = 1;

    List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("persistent")) {
        persistent = true;
        continue;
      }
      if (name.equals("quiet")) {
        quiet = true;
        continue;
      }
      if (value == null) {
        if (i + 1 >= rest.size()) {
          throw new UsageException("--" + name + " needs a value");
        }
        value = rest.get(++i);
      }
      switch (name) {
        case "host": host = value; break;
        case "port": port = intArg(name, value, 1, 65_535); break;
        case "publishers": publishers = intArg(name, value, 1, MAX_CLIENTS); break;
        case "subscribers": subscribers = intArg(name, value, 1, MAX_CLIENTS); break;
        case "pairs": publishers = subscribers = intArg(name, value, 1, MAX_CLIENTS); break;
        case "qos": qos = intArg(name, value, 0, 2); break;
        case "payload": payload = intArg(name, value, Payload.HEADER_SIZE, 256 * 1024); break;
        case "duration": duration = doubleArg(name, value, 0.1, MAX_DURATION_SECONDS); break;
        case "warmup": warmup = doubleArg(name, value, 0, MAX_DURATION_SECONDS); break;
        case "rate": rate = longArg(name, value, 0, 100_000_000); break;
        case "label": label = value; break;
        case "threads": threads = intArg(name, value, 1, 64); break;
        case "transport": transport = oneOf(name, value, "auto", "epoll", "nio"); break;
        case "window": window = intArg(name, value, 1, 65_535); break;
        case "outstanding": outstanding = intArg(name, value, 0, 100_000_000); break;
        case "clients": clients = intArg(name, value, 1, MAX_IDLE_CLIENTS); break;
        case "sources": sources = intArg(name, value, 0, 254); break;
        case "messages": messages = intArg(name, value, 1, StreamTracker.MAX_SEQ); break;
        case "subscriptions": subscriptions = intArg(name, value, 1, 100_000_000); break;
        case "phase-timeout": phaseTimeout = doubleArg(name, value, 1, 3_600); break;
        case "waves": waves = intArg(name, value, 1, 100); break;
        case "batch": batch = intArg(name, value, 1, 4_096); break;
        case "mqtt": version = versionArg(value); break;
        case "grace": grace = doubleArg(name, value, 0, 600); break;
        case "connect-timeout": connectTimeout = doubleArg(name, value, 0.1, 120); break;
        case "json": jsonFile = value; break;
        case "broker-pid": brokerPid = longArg(name, value, 0, Long.MAX_VALUE); break;
        case "sndbuf": sendBuffer = intArg(name, value, 0, 64 * 1024 * 1024); break;
        case "topic-prefix": topicPrefix = value; break;
        case "username": username = value; break;
        case "password": password = value; break;
        default: throw new UsageException("unknown option --" + name);
      }
    }

    int p = publishers != null ? publishers : scenario.defaultPublishers();
    int s = subscribers != null ? subscribers : scenario.defaultSubscribers();
    if (scenario == Scenario.FANOUT && p != 1) {
      throw new UsageException("fanout has exactly one publisher");
    }
    if (scenario == Scenario.P2P && p != s) {
      throw new UsageException("p2p needs as many publishers as subscribers (use --pairs N)");
    }
    if (topicPrefix.isEmpty() || topicPrefix.contains("+") || topicPrefix.contains("#")) {
      throw new UsageException("--topic-prefix must be a non-empty topic without wildcards");
    }
    if (password != null && username == null) {
      throw new UsageException("--password needs --username (MQTT 3.1.1 rule)");
    }
    if (scenario == Scenario.SUBS && subscriptions < clients) {
      throw new UsageException("subs needs at least one subscription per client");
    }
    // conns: CONNECTs waiting for their CONNACK at once; others: QoS 1/2 messages in flight per publisher.
    int w = window != null ? window : scenario == Scenario.CONNS ? 256 : 64;
    // retained publishes at QoS 1 unless told otherwise, so that every message is acknowledged as taken.
    int q = qos != null ? qos : scenario == Scenario.RETAINED || scenario == Scenario.OFFLINE ? 1 : 0;
    return new BenchOptions(scenario, host, port, p, s, q, payload, duration, warmup, rate, label, threads,
        transport, w, batch, version, grace, connectTimeout, jsonFile, quiet, topicPrefix, username, password,
        brokerPid, sendBuffer, persistent, outstanding, clients, sources, messages, subscriptions, phaseTimeout,
        waves);
  }

  private static int intArg(String name, String value, int min, int max) throws UsageException {
    return (int) longArg(name, value, min, max);
  }

  private static long longArg(String name, String value, long min, long max) throws UsageException {
    long v;
    try {
      v = Long.parseLong(value.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " wants a whole number, not '" + value + "'");
    }
    if (v < min || v > max) {
      throw new UsageException("--" + name + " must be between " + min + " and " + max);
    }
    return v;
  }

  private static double doubleArg(String name, String value, double min, double max) throws UsageException {
    double v;
    try {
      v = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " wants a number, not '" + value + "'");
    }
    if (!(v >= min && v <= max)) {
      throw new UsageException("--" + name + " must be between " + min + " and " + max);
    }
    return v;
  }

  private static String oneOf(String name, String value, String... allowed) throws UsageException {
    String v = value.toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw new UsageException("--" + name + " must be one of " + String.join(", ", allowed));
  }

  private static MqttVersion versionArg(String value) throws UsageException {
    switch (value) {
      case "3.1.1": case "4": return MqttVersion.V3_1_1;
      case "5": case "5.0": return MqttVersion.V5;
      default: throw new UsageException("--mqtt must be 3.1.1 or 5");
    }
  }

  /** The version as people write it: 3.1.1 or 5. */
  String versionName() {
    return version == MqttVersion.V5 ? "5" : "3.1.1";
  }
}
