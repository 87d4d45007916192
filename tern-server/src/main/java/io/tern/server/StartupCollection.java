package io.tern.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One full collection once the server has started, before traffic: what starting left alive (the
 * classes' data, the config, the admin server, logging) moves to the old generation at once.
 * Without it, every young collection under traffic copies those few megabytes again until they are
 * old enough to be promoted: the first young pauses of a server measured at 5-10 ms on a 2-core
 * machine against 2 ms after this collection, each pause delaying every message in flight.
 *
 * <p>A full collection of G1 shrinks the heap to what is live plus {@code MaxHeapFreeRatio}; right
 * after start that is a few tens of megabytes, so the young generation would be tiny and the
 * collections under traffic frequent. The ratio is raised to 100% for this one collection (it is a
 * manageable flag) and put back after it. A JVM without the HotSpot diagnostic bean collects
 * anyway, and its heap may shrink; with {@code -XX:+DisableExplicitGC} the collection does nothing.
 *
 * <p>After a full collection G1 gives the young generation its minimum size (5% of the heap: 6
 * regions, 24 MB, with this machine's 388 MB initial heap) until a young collection gives it pause
 * times to plan with. A fresh broker at 10,000 QoS 1 messages a second (~230 B of garbage each)
 * filled that in ~10 s, so its first young pause, which holds up every connection, fell inside the
 * first seconds of traffic, and the collections during a connection storm copied the new connections
 * into survivor and old regions of their own. So one young collection follows, made by allocating
 * short-lived arrays until it comes (the size of that minimal eden, ~10 ms): G1 then sizes the
 * young generation for its pause goal (56 regions, 224 MB, here). Those regions are not touched
 * until used, so the resident memory at start does not change (137 vs 144 MB); measured with
 * {@code tern-bench conns --clients 18000} against fresh brokers (alternating runs), 2.7-3.4 KiB of
 * RSS per idle connection against 3.2-4.0, and 8,300-14,800 connections a second against
 * 7,200-10,800. {@code -Xlog:gc} of a fresh broker under 10 QoS 1 pairs at 1,000 msg/s each: no
 * young pause in the first 15 s, where there had been one at 15.7 s.
 *
 * <p>The young generation G1 leaves after the full collection is not always its minimum: it comes
 * from the pause times of the young collections of the start, 15 or 16 regions (60 or 64 MB) for
 * the jar of 2026-11-24. The young collection was skipped when that eden was over 64 MB (4 starts
 * in 5), which let the first young pause fall in the middle of a connection storm again: 5.2-6.1
 * KiB of RSS per idle connection against 2.6-3.4 for the jar before (the same live heap per
 * connection). Now it is skipped only when the young generation is sized on the command line or
 * cannot be filled within {@link #YOUNG_LIMIT}.
 */
final class StartupCollection {
  private static final Logger log = LoggerFactory.getLogger(StartupCollection.class);
  private static final String RATIO = "MaxHeapFreeRatio";

  private StartupCollection() {}

  /** @return the bytes the young collection took, or -1 when none was made (see {@link #youngCollection}) */
  static long run() {
    long start = System.nanoTime();
    MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    HotSpotDiagnosticMXBean hotspot = hotspot();
    String ratio = null;
    try {
      if (hotspot != null) {
        ratio = hotspot.getVMOption(RATIO).getValue();
        hotspot.setVMOption(RATIO, "100");
      }
    } catch (RuntimeException e) { // not settable on this JVM: collect anyway, the heap may shrink
      log.debug("Startup collection: cannot set {}: {}", RATIO, e.toString());
      ratio = null;
    }
    try {
      System.gc();
    } finally {
      if (ratio != null) {
        hotspot.setVMOption(RATIO, ratio);
      }
    }
    long young = youngSizedOnTheCommandLine(hotspot) ? -1 : youngCollection();
    MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    log.debug("Startup collection: heap {} -> {} MiB used, {} MiB committed, young collection after {} MiB, "
        + "in {} ms", before.getUsed() >> 20, after.getUsed() >> 20, after.getCommitted() >> 20,
        young < 0 ? "-" : young >> 20, (System.nanoTime() - start) / 1_000_000);
    return young;
  }

  /**
   * Whether the young generation's size was given to the JVM ({@code -Xmn}, {@code NewSize},
   * {@code MaxNewSize} or {@code NewRatio}): then it is left as it is.
   */
  static boolean youngSizedOnTheCommandLine(HotSpotDiagnosticMXBean hotspot) {
    if (hotspot == null) {
      return false;
    }
    for (String option : new String[] {"NewSize", "MaxNewSize", "NewRatio"}) {
      try {
        VMOption.Origin origin = hotspot.getVMOption(option).getOrigin();
        if (origin != VMOption.Origin.DEFAULT && origin != VMOption.Origin.ERGONOMIC) {
          return true;
        }
      } catch (RuntimeException e) { // no such option on this JVM
        log.debug("Startup collection: no {}: {}", option, e.toString());
      }
    }
    return false;
  }

  /**
   * Allocates short-lived arrays until G1's young collector has run once (see the class comment).
   * Only with G1 and an eden that can be filled within {@link #YOUNG_LIMIT} bytes, so that no more
   * memory is touched than the eden a full collection leaves.
   *
   * @return the bytes it took, or -1 when it did not run or no collection came
   */
  static long youngCollection() {
    GarbageCollectorMXBean g1Young = null;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc.getName().equals("G1 Young Generation")) {
        g1Young = gc;
      }
    }
    long eden = Long.MAX_VALUE;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getName().equals("G1 Eden Space")) {
        eden = pool.getUsage().getCommitted();
      }
    }
    if (g1Young == null || eden >= YOUNG_LIMIT) {
      return -1;
    }
    long count = g1Young.getCollectionCount();
    long bytes = 0;
    while (g1Young.getCollectionCount() == count) {
      if (bytes >= YOUNG_LIMIT) {
        return -1;
      }
      sink = new byte[CHUNK];
      bytes += CHUNK;
    }
    sink = null;
    return bytes;
  }

  /** Where the arrays of {@link #youngCollection} go, so that the allocation is not optimised away. */
  @SuppressWarnings("unused")
  private static volatile Object sink;
  /** Below the size of a humongous object (half a region, 1 MB at the least), big enough to fill fast. */
  private static final int CHUNK = 64 * 1024;
  /** The most {@link #youngCollection} allocates: the eden after a full collection is a few tens of MB. */
  static final long YOUNG_LIMIT = 128L << 20;

  private static HotSpotDiagnosticMXBean hotspot() {
    try {
      return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }
}
