package io.tern.broker.internal;

import io.tern.codec.Publish;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An application message on its way through the broker: the PUBLISH as received, who sent it (for
 * No Local) and when it arrived (for Message Expiry). Shared by every delivery of the message;
 * immutable but for its store bookkeeping.
 *
 * <p><b>The sender's packet id and DUP flag</b> stay in the PUBLISH: they mean nothing past the
 * receipt (every delivery is encoded with its own QoS, RETAIN, DUP and packet id), and a copy
 * without them was a tenth of the garbage a QoS 1 message made. What leaves the engine, the view
 * hooks and rules get ({@link #view}) and what a store is given ({@link #asMessage}), has packet id
 * 0 and DUP off, as {@code MqttMessage.toPublish()} promises.
 *
 * <p><b>Store bookkeeping.</b> With a store, a message is written once however many persistent
 * sessions hold it: {@link #storeId} is its key, {@link #storeRefs} counts the queue entries and the
 * retained topic that refer to it. The thread that takes the count from 0 writes the message, the
 * one that brings it back to 0 removes it (see {@link Persistence}).
 */
final class Message {
  private final Publish publish;
  private final String origin;
  private final long receivedAtNanos;
  /**
   * {@link #size}, computed once: queues add and subtract it for every message they take and give,
   * and reading it from the PUBLISH cost two more objects to fetch from memory each time (a
   * retained walk over 1,000,000 messages). The field fits in the object's padding.
   */
  private final int size;
  /**
   * Whether the PUBLISH has a Message Expiry Interval: every delivery asks {@link #expired}, and for
   * the many messages without one the answer then needs neither the PUBLISH nor its properties
   * fetched from memory. Also fits in the padding.
   */
  private final boolean expires;
  /**
   * The PUBLISH's QoS and RETAIN, copied for the same reason: a retained walk over 1,000,000
   * messages makes a delivery of each from these alone. With them the object is 56 bytes still.
   */
  private final byte qos;
  private final boolean retain;
  /** The store key; 0 until the message is first stored. Set by the publishing thread before hand-off. */
  volatile long storeId;
  /** Changed through {@link #addStoreRefs}: a field and a VarHandle, not an AtomicInteger per message. */
  private volatile int storeRefs;
  /**
   * Session queues (and mailboxes) holding this message, for a message {@link #countedOnce}: the
   * broker's outbound total counts its bytes while this is above 0. Changed through {@link #hold}.
   */
  private volatile int holders;
  /**
   * Stored inside its only queue reference rather than as a record of its own (see {@link
   * Persistence#refOnly}). Set by the publishing thread before hand-off, never changed after.
   */
  boolean storedInline;
  /**
   * Sessions {@link BrokerCore#route} delivered it to. Written by the publishing thread while it
   * routes, read by the same thread when it stores the deliveries.
   */
  int routedTo;
  /** The view hooks get, made on first use (a benign race: any thread may make an equal one). */
  private io.tern.broker.MqttMessage view;

  /**
   * @param origin the client id of the publisher, or {@code null} for messages from inside the process
   */
  Message(Publish publish, String origin, long receivedAtNanos) {
    this.publish = publish;
    this.origin = origin;
    this.receivedAtNanos = receivedAtNanos;
    this.size = sizeOf(publish);
    this.expires = publish.properties().messageExpiryInterval() != null;
    this.qos = (byte) publish.qos();
    this.retain = publish.retain();
  }

  /** Adds {@code delta} to the store reference count and returns the count before. */
  int addStoreRefs(int delta) {
    return (int) STORE_REFS.getAndAdd(this, delta);
  }

  /**
   * Messages this large count once in the broker's outbound total ({@link OutboundMemory}) however
   * many sessions queue them, as the broker holds them once. Smaller ones count once per session
   * that queues them: a queue entry costs memory of its own (a {@link Delivery}, a slot), of the
   * order of a small message, and counting those per session needs no shared counter on the
   * delivery path (a fan-out to 50 subscribers would update one 50 times from two threads).
   * Without it, 50 offline sessions holding 100 messages of 100 KB (10 MB held) counted 500 MB, and
   * with a 512 MB heap the sessions began dropping acknowledged messages as over the high water
   * mark after 27 of them.
   */
  static final int COUNTED_ONCE_FROM = 1024;

  /** Whether this message counts once in the broker's outbound total (see {@link #COUNTED_ONCE_FROM}). */
  boolean countedOnce() {
    return size >= COUNTED_ONCE_FROM;
  }

  /**
   * For a message {@link #countedOnce}: {@code delta} sessions begin (positive) or stop (negative)
   * holding it. Returns the change of the broker's outbound total: its size when it was held by
   * none before, minus its size when it is held by none now, else 0. Any thread.
   */
  long hold(int delta) {
    int before = (int) HOLDERS.getAndAdd(this, delta);
    int after = before + delta;
    return before == 0 ? (after > 0 ? size : 0) : after == 0 ? -size : 0;
  }

  int storeRefs() {
    return storeRefs;
  }

  void setStoreRefs(int n) {
    storeRefs = n;
  }

  /** The PUBLISH as received: read its topic, payload and properties, not its packet id or DUP. */
  Publish publish() {
    return publish;
  }

  /**
   * The PUBLISH as a message, packet id 0 and DUP off: the view's, so that it is made at most once
   * however often a store asks (a QoS 2 message stored inline is written again at each step of its
   * flow).
   */
  Publish asMessage() {
    return view().toPublish();
  }

  String origin() {
    return origin;
  }

  long receivedAtNanos() {
    return receivedAtNanos;
  }

  io.tern.broker.MqttMessage view() {
    io.tern.broker.MqttMessage v = view;
    if (v == null) {
      Publish p = publish; // without the sender's packet id and DUP: a copy only when it had either
      v = io.tern.broker.MqttMessage.wrap(
          p.packetId() == 0 && !p.dup() ? p : p.withDelivery(p.qos(), p.retain(), false, 0));
      view = v;
    }
    return v;
  }

  /**
   * What a queued copy is counted as against {@code maxQueuedBytes} and the outbound high water
   * mark, and a retained one against {@code max_retained_bytes}: payload, topic and properties.
   */
  int size() {
    return size;
  }

  /**
   * {@link #size} of a message of {@code publish}. The properties count: user properties are as
   * free as the payload, and a client publishing a 1-byte payload with 1 MB of them took a broker
   * with a 512 MB heap to an OutOfMemoryError in 467 messages, past every bound (a probe).
   */
  static int sizeOf(Publish publish) {
    return publish.payload().length + publish.topic().length() + publish.properties().encodedSize();
  }

  /** The view the publish hooks already made of this message's PUBLISH. */
  void setView(io.tern.broker.MqttMessage v) {
    view = v;
  }

  String topic() {
    return publish.topic();
  }

  int qos() {
    return qos;
  }

  boolean retain() {
    return retain;
  }

  /**
   * Seconds left of the Message Expiry Interval at {@code nowNanos} (v5 section 3.3.2.3.3): at most
   * the interval, 0 or less once expired; -1 when the message has no interval (never expires).
   */
  long remainingSeconds(long nowNanos) {
    if (!expires) {
      return -1;
    }
    Long interval = publish.properties().messageExpiryInterval();
    if (interval == null) {
      return -1;
    }
    long elapsed = (nowNanos - receivedAtNanos) / 1_000_000_000L;
    return Math.max(0, interval - elapsed);
  }

  /** Whether the message has a Message Expiry Interval. */
  boolean expires() {
    return expires;
  }

  /** When the Message Expiry Interval passes ({@link System#nanoTime()} time); only for a message that {@link #expires}. */
  long expiresAtNanos() {
    return receivedAtNanos + publish.properties().messageExpiryInterval() * 1_000_000_000L;
  }

  /** True once the Message Expiry Interval has passed (MQTT-3.3.2-5: then it is not sent on). */
  boolean expired(long nowNanos) {
    return expires && nowNanos - expiresAtNanos() >= 0;
  }

  private static final VarHandle STORE_REFS;
  private static final VarHandle HOLDERS;

  static {
    try {
      STORE_REFS = MethodHandles.lookup().findVarHandle(Message.class, "storeRefs", int.class);
      HOLDERS = MethodHandles.lookup().findVarHandle(Message.class, "holders", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
