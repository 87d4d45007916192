package io.tern.server.admin;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.tern.broker.Broker;
import io.tern.broker.management.TrafficStats;
import io.tern.server.Version;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the broker's state on the {@code $SYS/broker/...} topics every interval, retained, QoS
 * 0, with Mosquitto's names and formats (so existing dashboards and scripts that read Mosquitto's
 * {@code $SYS} tree work): counters as decimal text, {@code uptime} as "N seconds", load averages as
 * per-minute rates with two decimals. Who may read them is the ACL's business: each delivery passes
 * the authorizer's RECEIVE check like any other message ({@code $SYS} topics are not matched by
 * {@code #} or {@code +/...}, MQTT-4.7.2-1: a subscriber asks for {@code $SYS/#}).
 *
 * <p>A topic is published again only when its value changed (the retained value stays right), so
 * an idle broker publishes little more than its uptime. These messages are published from inside
 * the process: they count in the received-message counters, as Mosquitto's do not. Its own thread
 * ({@code tern-sys}), never an event loop.
 */
public final class SysPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SysPublisher.class);

  private final Broker broker;
  private final double intervalSeconds;
  private final long startedAtMillis = System.currentTimeMillis();
  private final ScheduledExecutorService timer;
  /** Load averages: exponentially smoothed per-minute rates over 1, 5 and 15 minutes (Mosquitto's). */
  private final Load received = new Load();
  private final Load sent = new Load();
  private final Load bytesReceived = new Load();
  private final Load bytesSent = new Load();
  private final Load connections = new Load();
  private final Load publishReceived = new Load();
  private final Load publishSent = new Load();
  private long maxClients;
  /** The value last published per topic; only the timer thread touches it. */
  private final java.util.Map<String, String> last = new java.util.HashMap<>();

  private SysPublisher(Broker broker, Duration interval) {
    this.broker = broker;
    this.intervalSeconds = interval.toMillis() / 1000.0;
    // A FastThreadLocalThread, like the event loops: the broker's per-message counters test the
    // publishing thread's class, and a thread of another class publishing the first round under
    // traffic made the JIT throw away the compiled routing path and compile it again.
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new FastThreadLocalThread(r, "tern-sys");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts publishing every {@code interval}; null for a zero interval ($SYS off). */
  public static SysPublisher start(Broker broker, Duration interval) {
    if (interval.isZero()) {
      // Values a previous run stored would otherwise be served for ever, never updated.
      int cleared = 0;
      for (io.tern.broker.management.RetainedMessage m : broker.management().retained("$SYS/#")) {
        if (broker.management().deleteRetained(m.topic())) {
          cleared++;
        }
      }
      log.info("$SYS: off (sys.interval 0){}", cleared == 0 ? "" : "; cleared the " + cleared
          + " retained $SYS values a previous run stored");
      return null;
    }
    SysPublisher p = new SysPublisher(broker, interval);
    long ms = interval.toMillis();
    p.timer.scheduleAtFixedRate(p::publishSafely, 0, ms, TimeUnit.MILLISECONDS);
    log.info("$SYS: publishing $SYS/broker/... every {} ms", ms);
    return p;
  }

  private void publishSafely() {
    try {
      publishAll();
    } catch (RuntimeException e) {
      log.warn("$SYS: publishing failed: {}", e.toString());
    }
  }

  void publishAll() {
    if (!broker.isRunning()) {
      return;
    }
    Broker.Stats s = broker.stats();
    TrafficStats t = broker.management().traffic();
    long receivedMsgs = s.messagesReceived();
    long sentMsgs = s.messagesSent();
    long publishReceivedMsgs = t.messagesReceived()[0] + t.messagesReceived()[1] + t.messagesReceived()[2];
    maxClients = Math.max(maxClients, s.connections());
    long connected = s.connections();
    long total = s.sessions();
    put("version", "tern version " + Version.get());
    put("uptime", (System.currentTimeMillis() - startedAtMillis) / 1000 + " seconds");
    put("clients/connected", connected);
    put("clients/active", connected); // Mosquitto's older name
    put("clients/total", total);
    put("clients/disconnected", Math.max(0, total - connected));
    put("clients/inactive", Math.max(0, total - connected));
    put("clients/maximum", maxClients);
    put("messages/received", receivedMsgs);
    put("messages/sent", sentMsgs);
    put("messages/inflight", t.inflight());
    put("messages/stored", t.queued() + s.retainedMessages());
    put("publish/messages/received", publishReceivedMsgs);
    put("publish/messages/sent", sentMsgs);
    put("publish/messages/dropped", s.messagesDropped());
    put("bytes/received", t.bytesReceived());
    put("bytes/sent", t.bytesSent());
    put("subscriptions/count", s.subscriptions());
    put("retained messages/count", s.retainedMessages());
    put("store/messages/count", t.queued() + s.retainedMessages());
    put("heap/current", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    put("heap/maximum", Runtime.getRuntime().maxMemory());
    load("messages/received", received.update(receivedMsgs, intervalSeconds));
    load("messages/sent", sent.update(sentMsgs, intervalSeconds));
    load("bytes/received", bytesReceived.update(t.bytesReceived(), intervalSeconds));
    load("bytes/sent", bytesSent.update(t.bytesSent(), intervalSeconds));
    load("connections", connections.update(broker.stats().connectionsTotal(), intervalSeconds));
    load("publish/received", publishReceived.update(publishReceivedMsgs, intervalSeconds));
    load("publish/sent", publishSent.update(sentMsgs, intervalSeconds));
  }

  private void load(String name, double[] averages) {
    put("load/" + name + "/1min", twoDecimals(averages[0]));
    put("load/" + name + "/5min", twoDecimals(averages[1]));
    put("load/" + name + "/15min", twoDecimals(averages[2]));
  }

  private void put(String name, long value) {
    put(name, Long.toString(value));
  }

  /** Published only when it changed (as Mosquitto does for most topics): an idle broker stays quiet. */
  private void put(String name, String value) {
    if (value.equals(last.put(name, value))) {
      return;
    }
    broker.publish("$SYS/broker/" + name, value.getBytes(StandardCharsets.UTF_8), 0, true);
  }

  /**
   * {@code String.format("%.2f")} without the formatter, whose format-string parsing runs regular
   * expressions: a round publishes 18 of these, and the JIT compiling that code under traffic
   * competed with the event loops for a core.
   */
  static String twoDecimals(double v) {
    return BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP).toPlainString();
  }

  /** One counter's 1, 5 and 15 minute load averages, in events per minute. */
  static final class Load {
    private long last = -1;
    private final double[] averages = new double[3];
    private static final double[] WINDOWS = {60, 300, 900};

    double[] update(long count, double intervalSeconds) {
      if (last >= 0) {
        double perMinute = (count - last) * 60.0 / intervalSeconds;
        for (int i = 0; i < 3; i++) {
          double k = Math.exp(-intervalSeconds / WINDOWS[i]);
          averages[i] = averages[i] * k + perMinute * (1 - k);
        }
      }
      last = count;
      return averages.clone();
    }
  }

  /**
   * Stops publishing and waits for a round in progress to end: its retained messages are written
   * to the store, which must not be closed under it (RocksDB aborts the process then).
   */
  @Override
  public void close() {
    timer.shutdown();
    try {
      if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("$SYS: a publishing round did not end within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
