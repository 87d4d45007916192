package io.tern.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.tern.codec.ConnAck;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * One publishing connection. It encodes up to {@code batch} PUBLISH packets into one buffer, writes
 * a few such buffers and flushes once.
 *
 * <p>How fast: at a fixed rate, a 1 ms ticker sends what is due since the start (an open loop: a
 * stall is caught up afterwards, bounded by the same limits). As fast as possible, it writes while
 * the channel is writable and goes on from the event loop's task queue, so reads and other
 * publishers on the loop get their turn; an unwritable channel parks it until writability returns.
 * Either way it never has more than {@code window} QoS 1/2 messages unacknowledged, and never more
 * than the channel's high water mark of bytes queued in the process.
 *
 * <p>All state is owned by the channel's event loop; {@link #finished} and {@link #progress} are for
 * the coordinator.
 */
final class Publisher extends BenchClient {
  private static final int BATCHES_PER_TURN = 4;
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final byte FREE = 0;
  private static final byte AWAITING_ACK = 1;
  private static final byte AWAITING_COMP = 2;
  /** How often a publisher held back by its outstanding bound looks again at what was delivered. */
  private static final long RECHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  /**
   * Held back this long with nothing more delivered, a publisher takes what is outstanding as lost
   * (a QoS 0 drop) and goes on; loss is counted at the end whatever happens here.
   */
  private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /**
   * As fast as possible, the warmup starts gently: at most {@value #RAMP_START_RATE} messages a
   * second per publisher, doubling every {@value #RAMP_DOUBLING_SECONDS} s (so unbounded after about
   * 3.5 s). A JVM broker flooded before its JIT has compiled its hot paths can fall into a slow mode
   * it does not leave while the flood lasts (HiveMQ CE: QoS 0 queued and polled 50 at a time); the
   * ramp lets every broker reach its steady state before the measured window.
   */
  static final double RAMP_START_RATE = 2_000;
  static final double RAMP_DOUBLING_SECONDS = 0.5;

  private final int id;
  private final String topic;
  private final int qos;
  private final byte[] payload;
  private final double ratePerNano;
  private final int batch;
  private int window;
  private final int packetSize;
  private final int outstandingLimit;
  /** How many of this publisher's messages every subscriber owed them has got; null: no bound. */
  private LongSupplier deliveredToAll;
  /** The topic of each message by sequence number, when not the one topic; set before the start. */
  private IntFunction<String> topicOf;
  private boolean retain;
  /** Sending ends after this many messages, or at the end of the window. */
  private int limit = Integer.MAX_VALUE;
  private long delivered;
  private long forgiven;
  private long blockedSince = -1;
  private boolean recheckScheduled;
  private long stalls;

  /** Completes when sending has ended and every QoS 1/2 message is acknowledged (or the channel closed). */
  final CompletableFuture<Void> finished = new CompletableFuture<>();
  /** Messages sent so far, published lazily for progress lines. */
  final AtomicLong progress = new AtomicLong();

  private long startNanos;
  private long windowStart;
  private long windowEnd;
  private ScheduledFuture<?> ticker;
  private boolean turnQueued;
  private boolean sendingDone;

  private int seq;
  private int firstInWindow = -1;
  private int lastInWindow = -1;
  private long sentInWindow;

  private final byte[] packetState = new byte[65_536];
  private int nextPacketId = 1;
  private int inFlight;
  private long unexpectedAcks;

  /**
   * @param ratePerSecond this publisher's messages per second; 0 for as fast as possible
   */
  Publisher(String clientId, MqttVersion version, String username, String password, int id, String topic, int qos,
      int payloadSize, double ratePerSecond, int window, int batch, int outstanding) {
    super(clientId, version, username, password);
    this.id = id;
    this.topic = topic;
    this.qos = qos;
    // One payload array, stamped again for each message: the encoder copies it into the outgoing
    // buffer at once and the Publish record is dropped right after, so nothing sees it change.
    this.payload = new byte[payloadSize];
    this.ratePerNano = ratePerSecond / 1e9;
    this.window = window;
    this.batch = batch;
    this.outstandingLimit = outstanding;
    this.packetSize = MqttEncoder.encodedSize(
        new Publish(topic, qos, false, false, qos > 0 ? 1 : 0, payload, MqttProperties.EMPTY), version);
  }

  @Override
  protected void onConnAck(ConnAck ack) {
    // MQTT 5.0 Receive Maximum: the broker's own bound on our unacknowledged QoS 1/2 messages.
    int receiveMaximum = ack.properties().getInt(Property.RECEIVE_MAXIMUM, 65_535);
    window = Math.min(window, receiveMaximum);
  }

  /** The subscribers that must get every message of this publisher, for the outstanding bound. */
  void owedTo(List<Subscriber> subscribers) {
    List<Subscriber> owed = List.copyOf(subscribers);
    deliveredTo(owed.isEmpty() ? null : () -> {
      long least = Long.MAX_VALUE;
      for (Subscriber s : owed) {
        least = Math.min(least, s.receivedFrom(id));
      }
      return least;
    });
  }

  /** What counts as delivered for the outstanding bound: messages of this publisher every subscriber got. */
  void deliveredTo(LongSupplier deliveredToAll) {
    this.deliveredToAll = deliveredToAll;
  }

  /** Publishes message {@code seq} to {@code topicOf.apply(seq)}, with the RETAIN flag when asked; at most {@code limit}. */
  void shape(IntFunction<String> topicOf, boolean retain, int limit) {
    this.topicOf = topicOf;
    this.retain = retain;
    this.limit = limit;
  }

  /** Starts sending at {@code startNanos}, stops at {@code windowEnd}; callable from any thread. */
  void start(long startNanos, long windowStart, long windowEnd) {
    ctx.executor().execute(() -> {
      this.startNanos = startNanos;
      this.windowStart = windowStart;
      this.windowEnd = windowEnd;
      long now = System.nanoTime();
      long delay = Math.max(0, startNanos - now);
      ctx.executor().schedule(this::endSending, windowEnd - now, TimeUnit.NANOSECONDS);
      if (ratePerNano > 0) {
        ticker = ctx.executor().scheduleAtFixedRate(this::turn, delay, TICK_NANOS, TimeUnit.NANOSECONDS);
      } else {
        ctx.executor().schedule(this::turn, delay, TimeUnit.NANOSECONDS);
      }
    });
  }

  /** One turn of sending: a few batches, then one flush. */
  private void turn() {
    turnQueued = false;
    if (sendingDone || !ctx.channel().isActive()) {
      return;
    }
    boolean wrote = false;
    for (int b = 0; b < BATCHES_PER_TURN && ctx.channel().isWritable(); b++) {
      long now = System.nanoTime();
      if (now >= windowEnd) {
        break;
      }
      long allowed = batch;
      if (qos > 0) {
        allowed = Math.min(allowed, window - inFlight);
      }
      // Bounded in count: the subscriber's trackers refuse sequence numbers past MAX_SEQ.
      allowed = Math.min(allowed, Math.min(StreamTracker.MAX_SEQ, limit) - (long) seq);
      if (seq >= limit) {
        endSending();
        return;
      }
      if (ratePerNano > 0) {
        long due = (long) ((now - startNanos) * ratePerNano) + 1;
        allowed = Math.min(allowed, due - seq);
      }
      if (ratePerNano == 0 && now < windowStart && allowed > 0) {
        double t = (now - startNanos) / 1e9;
        long ramp = (long) (RAMP_START_RATE * RAMP_DOUBLING_SECONDS / Math.log(2)
            * (Math.pow(2, t / RAMP_DOUBLING_SECONDS) - 1)) + 1;
        if (ramp <= seq) {
          scheduleRecheck();
        }
        allowed = Math.min(allowed, ramp - seq);
      }
      if (outstandingLimit > 0 && allowed > 0) {
        long room = outstandingRoom(now);
        if (room <= 0) {
          scheduleRecheck();
        }
        allowed = Math.min(allowed, room);
      }
      if (allowed <= 0) {
        break;
      }
      writeBatch((int) allowed, now);
      wrote = true;
    }
    if (wrote) {
      ctx.flush();
      sent();
    }
    if (ratePerNano == 0 && wrote && canSendMore()) {
      queueTurn();
    }
  }

  /**
   * How many more messages may go out before {@code outstandingLimit} of them are on their way to
   * the subscribers. A publisher held back resumes at half the bound, so it writes whole batches.
   */
  private long outstandingRoom(long now) {
    if (deliveredToAll == null) {
      return Long.MAX_VALUE;
    }
    long least = deliveredToAll.getAsLong();
    if (least != delivered) {
      delivered = least;
      if (blockedSince >= 0) {
        blockedSince = now;
      }
    }
    long outstanding = seq - delivered - forgiven;
    boolean blocked = blockedSince >= 0;
    if (outstanding < (blocked ? outstandingLimit / 2 + 1 : outstandingLimit)) {
      blockedSince = -1;
      return outstandingLimit - outstanding;
    }
    if (!blocked) {
      blockedSince = now;
    } else if (now - blockedSince >= STALL_NANOS) {
      forgiven = seq - delivered;
      stalls++;
      blockedSince = -1;
      return outstandingLimit;
    }
    return 0;
  }

  private void scheduleRecheck() {
    if (ratePerNano == 0 && !recheckScheduled) {
      recheckScheduled = true;
      ctx.executor().schedule(() -> {
        recheckScheduled = false;
        turn();
      }, RECHECK_NANOS, TimeUnit.NANOSECONDS);
    }
  }

  private boolean canSendMore() {
    return !sendingDone && ctx.channel().isWritable() && (qos == 0 || inFlight < window);
  }

  private void queueTurn() {
    if (!turnQueued) {
      turnQueued = true;
      ctx.executor().execute(this::turn);
    }
  }

  private void writeBatch(int n, long now) {
    ByteBuf buf = ctx.alloc().ioBuffer(n * packetSize);
    int first = seq;
    for (int i = 0; i < n; i++) {
      Payload.stamp(payload, now, id, seq);
      int packetId = qos > 0 ? takePacketId() : 0;
      String t = topicOf == null ? topic : topicOf.apply(seq);
      MqttEncoder.encode(new Publish(t, qos, retain, false, packetId, payload, MqttProperties.EMPTY), version, buf);
      seq++;
    }
    // Arithmetic, not an if that the warmup never takes (see inWindow).
    int in = inWindow(now, windowStart, windowEnd);
    int firstToSet = in & (firstInWindow >>> 31); // in the window, and no first message yet
    firstInWindow += firstToSet * (first - firstInWindow);
    lastInWindow += in * (seq - 1 - lastInWindow);
    sentInWindow += in * n;
    progress.lazySet(seq);
    ctx.write(buf, ctx.voidPromise());
  }

  private int takePacketId() {
    while (packetState[nextPacketId] != FREE) {
      nextPacketId = nextPacketId == 65_535 ? 1 : nextPacketId + 1;
    }
    int packetId = nextPacketId;
    packetState[packetId] = AWAITING_ACK;
    nextPacketId = nextPacketId == 65_535 ? 1 : nextPacketId + 1;
    inFlight++;
    return packetId;
  }

  private void release(int packetId) {
    packetState[packetId] = FREE;
    inFlight--;
  }

  @Override
  protected void onPacket(MqttPacket packet) {
    if (packet instanceof PubAck a) {
      if (qos == 1 && packetState[a.packetId()] == AWAITING_ACK) {
        release(a.packetId());
      } else {
        unexpectedAcks++;
      }
    } else if (packet instanceof PubRec r) {
      int packetId = r.packetId();
      if (qos == 2 && packetState[packetId] != FREE) {
        // A repeated PUBREC gets its PUBREL again (MQTT-4.3.3).
        packetState[packetId] = AWAITING_COMP;
        queueAck(new PubRel(packetId));
      } else {
        unexpectedAcks++;
      }
    } else if (packet instanceof PubComp c) {
      if (qos == 2 && packetState[c.packetId()] == AWAITING_COMP) {
        release(c.packetId());
      } else {
        unexpectedAcks++;
      }
    } else {
      fail("unexpected " + packet.type() + " on a publisher");
    }
  }

  @Override
  protected void onReadComplete() {
    if (sendingDone) {
      if (inFlight == 0) {
        finished.complete(null);
      }
    } else if (ratePerNano == 0 && canSendMore()) {
      queueTurn();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ratePerNano == 0 && canSendMore()) {
      queueTurn();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void endSending() {
    if (sendingDone) {
      return;
    }
    sendingDone = true;
    if (ticker != null) {
      ticker.cancel(false);
    }
    ctx.flush();
    if (qos == 0 || inFlight == 0) {
      finished.complete(null);
    }
  }

  @Override
  protected void onClosed() {
    sendingDone = true;
    if (ticker != null) {
      ticker.cancel(false);
    }
    finished.complete(null);
  }

  /** The counts, read on the event loop once sending has ended. */
  Stats stats() {
    return new Stats(id, seq, sentInWindow, firstInWindow, lastInWindow, inFlight, unexpectedAcks, stalls);
  }

  /**
   * @param sent messages sent over the whole run, warmup included (sequence numbers {@code 0..sent-1})
   * @param firstInWindow the first sequence number sent inside the measured window, -1 if none
   * @param inFlight QoS 1/2 messages still unacknowledged at the end
   * @param stalls how often the publisher gave up waiting for outstanding messages to arrive
   */
  record Stats(int publisher, long sent, long sentInWindow, int firstInWindow, int lastInWindow, int inFlight,
      long unexpectedAcks, long stalls) {}
}
