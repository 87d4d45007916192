package io.tern.bench;

import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * One subscribing connection: it subscribes to one filter, acknowledges QoS 1/2 deliveries, and for
 * each message measures the latency from the timestamp in its payload and accounts it to its
 * publisher's {@link StreamTracker}.
 *
 * <p>Latency is recorded for the messages sent inside the measured window, whenever they arrive (so
 * a queue the broker drains after the window still counts); the delivery rate counts the messages
 * that arrive inside it. All state is owned by the channel's event loop.
 */
final class Subscriber extends BenchClient {
  /** Latencies above this are recorded as this; a minute is far past any sane run. */
  static final long HIGHEST_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final String filter;
  private final int qos;
  private final StreamTracker[] trackers;
  /** Unique deliveries per publisher so far, counted on the event loop. */
  private final long[] fromPublisher;
  /** {@link #fromPublisher} as of the end of the last read, for the publishers' outstanding bound. */
  private final AtomicLongArray fromPublisherShared;
  /**
   * [1]: latencies of the messages sent inside the window, the run's figure; [0]: the others,
   * recorded and thrown away, so that one call records every message (see {@link BenchClient#inWindow}).
   */
  private final Histogram[] latency = {
    new Histogram(HIGHEST_LATENCY_NANOS, 3), new Histogram(HIGHEST_LATENCY_NANOS, 3)
  };

  /** Completes with the granted QoS once the SUBACK is in; fails on a refusal. */
  final CompletableFuture<Integer> subscribed = new CompletableFuture<>();
  /** Unique messages received so far, published lazily for progress lines and the drain. */
  final AtomicLong progress = new AtomicLong();

  private long windowStart = Long.MAX_VALUE;
  private long windowEnd = Long.MAX_VALUE;
  private long unique;
  private long deliveredInWindow;
  private long unexpected;

  /**
   * @param publishers the number of publishers in the run (publisher ids are {@code 0..publishers-1})
   * @param expected the publishers whose every message this subscriber must get
   */
  Subscriber(String clientId, MqttVersion version, String username, String password, String filter, int qos,
      int publishers, int[] expected) {
    super(clientId, version, username, password);
    this.filter = filter;
    this.qos = qos;
    this.trackers = new StreamTracker[publishers];
    this.fromPublisher = new long[publishers];
    this.fromPublisherShared = new AtomicLongArray(publishers);
    for (int p : expected) {
      trackers[p] = new StreamTracker();
    }
  }

  /** Sends the SUBSCRIBE; callable from any thread once connected. */
  void subscribe() {
    ctx.executor().execute(() -> ctx.writeAndFlush(
        new Subscribe(1, List.of(new Subscription(filter, qos)), MqttProperties.EMPTY)));
  }

  /** Sets the measured window; returns once the event loop has it. */
  CompletableFuture<Void> arm(long windowStart, long windowEnd) {
    return CompletableFuture.runAsync(() -> {
      this.windowStart = windowStart;
      this.windowEnd = windowEnd;
    }, ctx.executor());
  }

  @Override
  protected void onPacket(MqttPacket packet) {
    if (packet instanceof Publish p) {
      onPublish(p);
    } else if (packet instanceof PubRel r) {
      queueAck(new PubComp(r.packetId()));
    } else if (packet instanceof SubAck a) {
      int code = a.reasonCodes().isEmpty() ? 0x80 : a.reasonCodes().get(0);
      if (code >= 0x80) {
        fail("SUBSCRIBE to " + filter + " refused with 0x" + Integer.toHexString(code));
        subscribed.completeExceptionally(new IllegalStateException(error()));
      } else {
        subscribed.complete(code);
      }
    } else {
      fail("unexpected " + packet.type() + " on a subscriber");
    }
  }

  private void onPublish(Publish p) {
    long now = System.nanoTime();
    if (p.qos() == 1) {
      queueAck(new PubAck(p.packetId()));
    } else if (p.qos() == 2) {
      // MQTT 3.1.1 section 4.3.3 method B: count it now, PUBREC now, PUBCOMP on the PUBREL. A
      // redelivery with the same packet id shows up as a duplicate sequence number.
      queueAck(new PubRec(p.packetId()));
    }
    byte[] b = p.payload();
    if (b.length < Payload.HEADER_SIZE) {
      unexpected++;
      return;
    }
    int publisher = Payload.publisher(b);
    int seq = Payload.seq(b);
    StreamTracker tracker = publisher >= 0 && publisher < trackers.length ? trackers[publisher] : null;
    if (tracker == null || seq < 0 || seq >= StreamTracker.MAX_SEQ) {
      unexpected++;
      return;
    }
    if (!tracker.record(seq)) {
      return;
    }
    unique++;
    fromPublisher[publisher]++;
    deliveredInWindow += inWindow(now, windowStart, windowEnd);
    long sent = Payload.sendNanos(b);
    long nanos = Math.min(Math.max(now - sent, 0), HIGHEST_LATENCY_NANOS);
    latency[inWindow(sent, windowStart, windowEnd)].recordValue(nanos);
  }

  @Override
  protected void onReadComplete() {
    progress.lazySet(unique);
    for (int p = 0; p < fromPublisher.length; p++) {
      if (trackers[p] != null && fromPublisherShared.get(p) != fromPublisher[p]) {
        fromPublisherShared.lazySet(p, fromPublisher[p]);
      }
    }
  }

  /** Unique messages of publisher {@code p} received so far (as of the last read); any thread. */
  long receivedFrom(int p) {
    return fromPublisherShared.get(p);
  }

  /**
   * The counts, read on the event loop at the end, with what is missing of each publisher's
   * measured-window range.
   */
  Stats stats(Publisher.Stats[] publishers) {
    long lostInWindow = 0;
    long expectedInWindow = 0;
    long lostOverall = 0;
    long expectedOverall = 0;
    long duplicates = 0;
    long outOfOrder = 0;
    for (int i = 0; i < trackers.length; i++) {
      StreamTracker t = trackers[i];
      if (t == null) {
        continue;
      }
      Publisher.Stats p = publishers[i];
      lostInWindow += t.missing(p.firstInWindow(), p.lastInWindow());
      expectedInWindow += p.sentInWindow();
      lostOverall += t.missing(0, (int) p.sent() - 1);
      expectedOverall += p.sent();
      duplicates += t.duplicates();
      outOfOrder += t.outOfOrder();
    }
    return new Stats(unique, deliveredInWindow, expectedInWindow, lostInWindow, expectedOverall, lostOverall,
        duplicates, outOfOrder, unexpected, latency[1].copy());
  }

  /**
   * @param deliveredInWindow unique messages that arrived inside the measured window
   * @param lostInWindow messages sent inside the window that never arrived
   * @param unexpected messages that were not for this subscriber or had a corrupt header
   * @param latency nanoseconds from send to receipt, for messages sent inside the window
   */
  record Stats(long unique, long deliveredInWindow, long expectedInWindow, long lostInWindow, long expectedOverall,
      long lostOverall, long duplicates, long outOfOrder, long unexpected, Histogram latency) {}
}
