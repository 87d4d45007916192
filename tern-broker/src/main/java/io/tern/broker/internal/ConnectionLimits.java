package io.tern.broker.internal;

import io.netty.channel.Channel;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits checked when a connection is accepted, before anything is read from it: open
 * connections in total and per listener, and new connections per second per source address (the
 * TCP peer: with the PROXY protocol, that is the proxy). A refused connection is closed at once,
 * counted, and logged at most once a second per limit, so that a flood does not flood the log too.
 * Thread-safe: called from every event loop.
 */
final class ConnectionLimits {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);

  private final BrokerConfig config;
  private final BrokerStats stats;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, AtomicInteger> openPerListener = new ConcurrentHashMap<>();
  /** Per listener, the close listener that counts a connection out: one shared instance, not one per connection. */
  private final Map<String, io.netty.channel.ChannelFutureListener> countOut = new ConcurrentHashMap<>();
  private final Map<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();
  private final AtomicLong lastLimitLog = new AtomicLong();
  private final AtomicLong lastRateLog = new AtomicLong();

  ConnectionLimits(BrokerConfig config, BrokerStats stats) {
    this.config = config;
    this.stats = stats;
  }

  /** Counts the connection in, or closes it and returns false. On the channel's loop. */
  boolean admit(Channel ch, Listener listener) {
    int rate = config.maxConnectionRatePerAddress();
    if (rate > 0 && ch.remoteAddress() instanceof InetSocketAddress a) {
      Bucket b = buckets.computeIfAbsent(a.getAddress(), k -> new Bucket(rate));
      if (!b.take(rate, System.nanoTime())) {
        stats.connectionsRefusedRate.increment();
        logAtMostEverySecond(lastRateLog, "Connection from {} on {} refused: more than {} new connections per second"
            + " from this address (max_connection_rate_per_address; counted in connectionsRefusedRate)",
            a.getAddress().getHostAddress(), listener.name(), rate);
        ch.close();
        return false;
      }
    }
    AtomicInteger perListener = openPerListener.computeIfAbsent(listener.name(), k -> new AtomicInteger());
    int total = open.incrementAndGet();
    int mine = perListener.incrementAndGet();
    boolean overTotal = config.maxConnections() > 0 && total > config.maxConnections();
    boolean overListener = listener.maxConnections() > 0 && mine > listener.maxConnections();
    ch.closeFuture().addListener(countOut.computeIfAbsent(listener.name(), k -> f -> {
      open.decrementAndGet();
      perListener.decrementAndGet();
    }));
    if (overTotal || overListener) {
      stats.connectionsRefusedLimit.increment();
      logAtMostEverySecond(lastLimitLog, "Connection from {} refused: {} (counted in connectionsRefusedLimit)",
          ch.remoteAddress(), overTotal
              ? "max_connections " + config.maxConnections() + " reached"
              : "max_connections " + listener.maxConnections() + " of listener " + listener.name() + " reached",
          "");
      ch.close();
      return false;
    }
    return true;
  }

  /** Forgets addresses whose bucket is full again (idle). Called periodically. */
  void sweep() {
    long now = System.nanoTime();
    int rate = config.maxConnectionRatePerAddress();
    buckets.values().removeIf(b -> b.isFull(rate, now));
  }

  private static void logAtMostEverySecond(AtomicLong last, String format, Object a, Object b, Object c) {
    long now = System.nanoTime();
    long prev = last.get();
    if (now - prev >= 1_000_000_000L && last.compareAndSet(prev, now)) {
      log.warn(format, a, b, c);
    }
  }

  /** A token bucket of {@code rate} connections, refilled at {@code rate} per second. */
  private static final class Bucket {
    private double tokens;
    private long updated = System.nanoTime();

    Bucket(int rate) {
      this.tokens = rate;
    }

    synchronized boolean take(int rate, long now) {
      refill(rate, now);
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }

    synchronized boolean isFull(int rate, long now) {
      refill(rate, now);
      return tokens >= rate;
    }

    private void refill(int rate, long now) {
      tokens = Math.min(rate, tokens + (now - updated) * rate / 1e9);
      updated = now;
    }
  }
}
