package io.tern.broker.internal;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses new connections while the Java heap is nearly full ({@code max_heap_usage}): what the
 * heap holds after each garbage collection, against the JVM's maximum. The per-client bounds
 * (queues, subscriptions, packets) each hold, but their sum over clients does not: persistent
 * sessions with long client ids filled a 512 MB heap in 7,500 sessions, after which each further
 * CONNECT failed with an OutOfMemoryError somewhere on its way. Over the mark, a CONNECT gets
 * CONNACK 0x89 Server busy (MQTT 3: 0x03 Server unavailable) and the connected clients go on.
 *
 * <p>The figure is the heap in use at the end of a collection, summed over the heap pools, as the
 * JVM reports it in its GC notifications: nothing is measured on the path of a connection, which
 * reads one volatile field. After a young collection it includes old-generation garbage not yet
 * collected, so the mark must stay high (G1 keeps 10% in reserve and starts its old collections
 * well before): a false alarm lasts until the next collection that frees the heap.
 */
final class HeapGuard {
  private static final Logger log = LoggerFactory.getLogger(HeapGuard.class);

  private final int percent;
  private final long maxHeap;
  private final Set<String> heapPools;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = this::onGc;
  /** Over the mark since the last collection: new connections are refused. */
  private volatile boolean over;
  /** Heap in use after the last collection, in bytes; -1 before the first. */
  private volatile long usedAfterGc = -1;

  /** @param percent the mark, a percentage of the maximum heap; 0: never refuse */
  HeapGuard(int percent) {
    this.percent = percent;
    this.maxHeap = Runtime.getRuntime().maxMemory();
    this.heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .map(MemoryPoolMXBean::getName)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Listens to the collections; idempotent. */
  synchronized void start() {
    if (percent == 0 || !emitters.isEmpty() || maxHeap == Long.MAX_VALUE) {
      return;
    }
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(listener, null, null);
        emitters.add(e);
      }
    }
  }

  /** Stops listening (a stopped broker holds no listener in the JVM's beans); idempotent. */
  synchronized void stop() {
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(listener);
      } catch (ListenerNotFoundException ignored) {
        // not registered: nothing to remove
      }
    }
    emitters.clear();
    over = false;
  }

  /** Whether new connections are refused now. Any thread; one volatile read. */
  boolean over() {
    return over;
  }

  /** Heap in use after the last collection, in bytes; -1 before the first one. */
  long usedAfterGc() {
    return usedAfterGc;
  }

  long maxHeap() {
    return maxHeap;
  }

  private void onGc(Notification n, Object handback) {
    if (!"com.sun.management.gc.notification".equals(n.getType()) || !(n.getUserData() instanceof CompositeData cd)) {
      return;
    }
    try {
      Map<String, MemoryUsage> after =
          com.sun.management.GarbageCollectionNotificationInfo.from(cd).getGcInfo().getMemoryUsageAfterGc();
      long used = 0;
      for (Map.Entry<String, MemoryUsage> e : after.entrySet()) {
        if (heapPools.contains(e.getKey())) {
          used += e.getValue().getUsed();
        }
      }
      update(used);
    } catch (RuntimeException e) { // a JVM whose notifications differ: the guard stays as it was
      log.debug("Unreadable GC notification: {}", e.toString());
    }
  }

  /** The heap in use after a collection; on the JVM's notification thread, or a test's. */
  void update(long used) {
    usedAfterGc = used;
    boolean nowOver = percent > 0 && used * 100 > maxHeap * percent;
    if (nowOver != over) {
      over = nowOver;
      if (nowOver) {
        log.warn("Heap nearly full: {} of {} in use after garbage collection, above max_heap_usage {}%: refusing "
            + "new connections (CONNACK Server busy) until it is below", size(used), size(maxHeap), percent);
      } else {
        log.info("Heap below max_heap_usage {}% again ({} of {}): accepting new connections", percent,
            size(used), size(maxHeap));
      }
    }
  }

  /** A size for the log lines. */
  private static String size(long bytes) {
    return bytes >= 10L << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
  }
}
