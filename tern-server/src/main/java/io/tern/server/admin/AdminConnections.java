package io.tern.server.admin;

import java.nio.channels.ClosedByInterruptException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What bounds the admin server's connections, whoever opens them (no credentials are needed to
 * open one): their number ({@code admin.max_connections}, Jetty's {@link NetworkConnectionLimit}),
 * the time a request's head may take to arrive ({@link HeadDeadline}), and what the acceptor logs
 * when the process is out of file descriptors ({@link AdminConnector}).
 *
 * <p>Before, 1,180 connections that each sent a header byte every 5 s (each resetting the idle
 * timeout; at that pace the 8 KiB header limit takes 11 hours) used up the process's descriptors:
 * MQTT clients could not connect, and Jetty logged a 9-line stack trace every second.
 */
final class AdminConnections {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  /**
   * How long a request's head (request line and headers) may take to arrive whole, counted from the
   * connection's opening or the end of its previous request: a client idle longer is closed by the
   * idle timeout anyway, and a head is a few hundred bytes.
   */
  static final long HEAD_DEADLINE_MILLIS = 10_000;
  /**
   * The idle timeout of every connection while the limit is reached (Jetty's own low-resources
   * measure): a connection that sends nothing for that long makes room.
   */
  static final long IDLE_TIMEOUT_AT_LIMIT_MILLIS = 2_000;

  private AdminConnections() {}

  /** Bounds {@code server}'s connections to {@code max}; to be added before it starts. */
  static NetworkConnectionLimit limit(Server server, int max) {
    NetworkConnectionLimit limit = new NetworkConnectionLimit(max, server);
    limit.setEndPointIdleTimeout(IDLE_TIMEOUT_AT_LIMIT_MILLIS);
    server.addBean(limit);
    return limit;
  }

  /**
   * The admin server's connector: a failed accept (EMFILE at the open files limit; Jetty's acceptor
   * retries each second) is logged on one line, then at most once a minute with the failures
   * meanwhile, as the MQTT listeners log theirs, instead of Jetty's WARN with a stack trace each second.
   */
  static final class AdminConnector extends ServerConnector {
    static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private long loggedAtNanos;
    private boolean logged;
    private long failures;

    AdminConnector(Server server, SslContextFactory.Server tls, ConnectionFactory... factories) {
      super(server, tls, factories);
    }

    @Override
    protected boolean handleAcceptFailure(Throwable failure) {
      if (!isRunning() || failure instanceof InterruptedException || failure instanceof ClosedByInterruptException) {
        return super.handleAcceptFailure(failure); // stopping: Jetty's own DEBUG lines
      }
      synchronized (this) { // one acceptor thread per core or so
        failures++;
        long now = System.nanoTime();
        if (!logged || now - loggedAtNanos >= LOG_EVERY_NANOS) {
          log.warn("Admin: cannot accept connections: {} ({} failure{} since the last line; new connections are "
              + "retried each second; at the open files limit, raise it: ulimit -n, LimitNOFILE)", failure,
              failures, failures == 1 ? "" : "s");
          logged = true;
          loggedAtNanos = now;
          failures = 0;
        }
      }
      try {
        Thread.sleep(1000); // as Jetty's acceptor: the cause is rarely gone at once
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /**
   * Closes a connection whose next request head has not arrived whole within {@link
   * #HEAD_DEADLINE_MILLIS} of its opening or of the end of its previous request. Jetty has no such
   * bound: its idle timeout is reset by every byte, so a head sent a byte every few seconds held
   * its connection for hours. Swept once a second ({@link #run}, one thread); a connection whose
   * request is being handled (its head whole) is not looked at, a TLS handshake is (it comes before
   * the head).
   */
  static final class HeadDeadline implements Runnable {
    private final Server server;
    private final long deadlineNanos;
    /** Connections waiting for a head: the count of requests they had, and since when. */
    private final Map<EndPoint, Waiting> waiting = new HashMap<>();
    /** Lines about closed connections: a slow-headers attack closes many at once. */
    private final io.tern.broker.internal.LogLimit lines =
        new io.tern.broker.internal.LogLimit(1, "admin connections closed for a slow request head", null);

    private record Waiting(long requests, long sinceNanos) {}

    HeadDeadline(Server server, long deadlineMillis) {
      this.server = server;
      this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    }

    @Override
    public void run() {
      long now = System.nanoTime();
      Set<EndPoint> open = new HashSet<>();
      for (Connector connector : server.getConnectors()) {
        for (EndPoint endPoint : connector.getConnectedEndPoints()) {
          open.add(endPoint);
          check(endPoint, now);
        }
      }
      waiting.keySet().retainAll(open);
    }

    private void check(EndPoint endPoint, long now) {
      HttpConnection http = http(endPoint.getConnection());
      // A head not whole: the parser is before the request's content (in START between requests).
      if (http == null || !http.getParser().inHeaderState()) {
        waiting.remove(endPoint);
        return;
      }
      long requests = http.getMessagesIn();
      Waiting w = waiting.get(endPoint);
      if (w == null || w.requests() != requests) {
        waiting.put(endPoint, new Waiting(requests, now));
      } else if (now - w.sinceNanos() > deadlineNanos) {
        waiting.remove(endPoint);
        log.atLevel(lines.level(log)).log("Admin: closed a connection from {}: no whole request head within {} ms",
            endPoint.getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
        endPoint.close();
      }
    }

    private static HttpConnection http(Connection c) {
      if (c instanceof SslConnection ssl) {
        c = ssl.getSslEndPoint().getConnection();
      }
      return c instanceof HttpConnection h ? h : null;
    }
  }
}
