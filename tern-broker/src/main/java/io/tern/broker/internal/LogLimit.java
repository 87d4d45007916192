package io.tern.broker.internal;

import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * At most {@code perSecond} INFO lines a second of one kind; what goes over is written at DEBUG,
 * and counted and said in one INFO line once a later second has room. A bad client gets its one
 * line, but a flood of them does not flood the log: a client opening a thousand sockets a second
 * that never finish their TLS handshake wrote two thousand lines a second, and one retrying a
 * locked-out password 1,400 lines in 5 s. Every event stays counted in the broker's statistics.
 * Any thread (synchronized: it is on the path of connections that fail, not of messages). Public
 * for the server's admin endpoint, which limits its refusal lines the same way.
 */
public final class LogLimit {
  private final int perSecond;
  private final String what;
  private final String countedIn;
  private long secondStartNanos = System.nanoTime();
  private int inSecond;
  private long suppressed;

  /**
   * @param what the lines' subject, for the summary ("failed TLS handshakes")
   * @param countedIn where the events stay counted, for the summary (a statistic's name), or null
   */
  public LogLimit(int perSecond, String what, String countedIn) {
    this.perSecond = perSecond;
    this.what = what;
    this.countedIn = countedIn;
  }

  /**
   * The level for the next line of this kind: INFO while there is room this second (after the
   * summary of the lines that went to DEBUG before, written to {@code log}), else DEBUG.
   */
  public Level level(Logger log) {
    return allow(n -> log.info("{} more lines about {} were written at DEBUG only (at most {} a second at INFO{})",
        n, what, perSecond, countedIn == null ? "" : "; all are counted in " + countedIn)) ? Level.INFO : Level.DEBUG;
  }

  /** Whether a line may be written now; {@code over} receives the count suppressed before, if any. */
  synchronized boolean allow(LongConsumer over) {
    long now = System.nanoTime();
    if (now - secondStartNanos >= 1_000_000_000L) {
      secondStartNanos = now;
      inSecond = 0;
    }
    if (inSecond >= perSecond) {
      suppressed++;
      return false;
    }
    inSecond++;
    if (suppressed > 0) {
      over.accept(suppressed);
      suppressed = 0;
    }
    return true;
  }
}
