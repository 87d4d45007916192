package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PacketType;
import io.tern.codec.PingResp;
import io.tern.codec.Publish;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one {@link MqttConnection} writes to its channel: encodes packets in the connection's
 * protocol version (the connection encodes what it writes itself: no encoder handler), gathers
 * PUBLISHes and plain acks in one buffer written per batch, holds the acks of the fsync mode until
 * the store has synced, flushes (now, or in a task after this read's deliveries), counts the bytes
 * written, and logs what the client receives when it is traced. Owns the buffer of pending bytes,
 * the held acks, the flush task, the bytes-out count, the encoding version and the trace flag (every
 * write tests it). One per connection, made when its handler is added; runs on the channel's event
 * loop only, as the connection does, so it needs no locks.
 */
final class PacketWriter {
  /** Per-client tracing ({@link io.tern.broker.management.BrokerManagement#trace}). */
  private static final Logger trace = LoggerFactory.getLogger("io.tern.broker.trace");

  private final MqttConnection conn;
  private final ChannelHandlerContext ctx;
  private final Channel channel;
  private final BrokerCore core;
  /**
   * The version packets are encoded as: 3.1.1 until the CONNECT says otherwise. The connection
   * encodes what it writes itself (an encoder handler would cost every connection a handler and a
   * context, and every write a pipeline step).
   */
  MqttVersion encodeVersion = MqttVersion.V3_1_1;
  /** Whether this connection adds its bytes to the broker's total (plain TCP: no TrafficCounter in front). */
  private final boolean countsWireBytes;
  private long bytesOut;
  /** PUBLISHes encoded back to back, written as one buffer (see {@link #writePublish}). */
  private ByteBuf pendingOut;
  /**
   * In the fsync mode, the PUBACK/PUBREC/PUBCOMP of the current read: sent once the store has
   * synced what this read wrote (see {@link MqttConnection#channelReadComplete}). Null in the other
   * modes, where the acks are written at once and leave with the flush that follows the store write.
   */
  private ArrayList<Object> heldAcks;
  /**
   * With a store in the other modes, the acks of the current read: written once what the read
   * changed is in the store ({@link #releaseStagedAcks}), dropped if that write fails ({@link
   * #discardUnsentAcks}). Written at once, they left with the DISCONNECT that reported the failure
   * (MQTT 5), so a full disk acknowledged messages it had not stored. Triples (packet type's
   * ordinal, packet id, reason code); type -1: {@code stagedPackets[packet id]}, an ack with
   * properties. Null without a store.
   */
  private int[] stagedAcks;
  /** {@link #stagedAcks} with a store until the connection's first ack. */
  private static final int[] NO_STAGED_ACKS = new int[0];
  private int stagedCount;
  private ArrayList<Object> stagedPackets;
  private static final PacketType[] TYPES = PacketType.values();
  /** {@link #flushLater()}: its task (made on first use) and whether it is queued. */
  private Runnable flushTask;
  private boolean flushScheduled;
  /** Whether this client's packets are logged: one field test per packet when off. */
  boolean traced;
  /**
   * Bytes of shared payloads ({@link SharedPayloads}) written to the channel and not yet sent: the
   * broker's total counts each copy once, so a slow socket's unwritten bytes leave them out ({@link
   * ReadThrottle}). Not over TLS, where the payload is encrypted into bytes of this socket's own.
   */
  private long sharedUnwritten;
  private final boolean sharesPayloads;

  PacketWriter(MqttConnection conn, ChannelHandlerContext ctx, BrokerCore core, boolean countsWireBytes) {
    this.conn = conn;
    this.ctx = ctx;
    this.channel = ctx.channel();
    this.core = core;
    this.countsWireBytes = countsWireBytes;
    this.sharesPayloads = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null;
    if (core.persistence().holdAcks()) {
      heldAcks = new ArrayList<>();
    } else if (core.persistence().enabled()) {
      stagedAcks = NO_STAGED_ACKS; // grows at the first ack: 208 bytes less per idle connection
    }
  }

  /** Writes the acks of this read, now that what it changed is in the store (see {@link #stagedAcks}). */
  void releaseStagedAcks() {
    int n = stagedCount;
    if (n == 0) {
      return;
    }
    stagedCount = 0;
    int[] a = stagedAcks;
    for (int i = 0; i < n; i += 3) {
      if (a[i] < 0) {
        write(stagedPackets.get(a[i + 1]));
      } else {
        writeAck(TYPES[a[i]], a[i + 1], a[i + 2]);
      }
    }
    if (stagedPackets != null) {
      stagedPackets.clear();
    }
  }

  /**
   * Before a packet that answers the client in the order of its requests (PINGRESP, SUBACK, a
   * DISCONNECT for a violation...): the acks staged before it leave first, once what they
   * acknowledge is stored, as they would have without a store. A commit in the middle of a read,
   * only where a read mixes such packets with QoS 1/2 PUBLISHes.
   */
  private void releaseStagedBefore() {
    if (stagedCount != 0) {
      conn.flushBatcher(); // a StoreException: the caller's read fails, and exceptionCaught drops these acks
      releaseStagedAcks();
    }
  }

  /**
   * Before the broker's DISCONNECT: the acks staged before it leave first if what they acknowledge
   * can be stored, else none of them (and the failure is reported as any other).
   */
  void releaseStagedBeforeClose() {
    if (stagedCount != 0 && commitOrDiscard()) {
      releaseStagedAcks();
    }
  }

  /** Commits what this read changed; if the store cannot take it, reports that and drops this read's acks. */
  private boolean commitOrDiscard() {
    try {
      conn.flushBatcher();
      return true;
    } catch (io.tern.broker.store.StoreException e) {
      core.persistence().reportFailure(e);
      discardUnsentAcks();
      return false;
    }
  }

  /** Whether acks wait for the store's sync (the fsync mode). */
  boolean holdsAcks() {
    return heldAcks != null;
  }

  /**
   * fsync mode: runs {@code then} on this loop once the acks held so far (this read's, and those
   * already waiting for a sync) are written, so that the broker's DISCONNECT for a violation comes
   * after the acks of the packets before it, as in the other modes (a receive maximum exceeded in
   * one burst sent the DISCONNECT with none of the 1,024 PUBRECs of the QoS 2 messages it had
   * stored). If what this read changed cannot be stored, its acks are dropped and {@code then} runs
   * now; if no sync comes within 5 s (a failing disk), it runs then.
   */
  void afterHeldAcks(Runnable then) {
    if (!commitOrDiscard()) {
      then.run();
      return;
    }
    releaseHeldAcks();
    // Whichever comes first runs it, both on this loop: cancelling tells whether the fallback ran.
    io.netty.util.concurrent.ScheduledFuture<?> fallback = channel.eventLoop().schedule(then, 5, java.util.concurrent.TimeUnit.SECONDS);
    core.persistence().afterSync(() -> channel.eventLoop().execute(() -> {
      if (fallback.cancel(false)) {
        then.run();
      }
    }));
  }

  /** The store could not take what this read changed: its acks are not sent (the client sends again). */
  void discardUnsentAcks() {
    stagedCount = 0;
    if (stagedPackets != null) {
      stagedPackets.clear();
    }
    if (heldAcks != null) {
      heldAcks.clear();
    }
  }

  private void stage(int type, int packetId, int reasonCode) {
    int[] a = stagedAcks;
    if (stagedCount + 3 > a.length) {
      a = stagedAcks = java.util.Arrays.copyOf(a, Math.max(3 * 16, a.length * 2));
    }
    a[stagedCount] = type;
    a[stagedCount + 1] = packetId;
    a[stagedCount + 2] = reasonCode;
    stagedCount += 3;
  }

  /** In the fsync mode, sends the acks this read held once the store has synced; else nothing. */
  void releaseHeldAcks() {
    if (heldAcks != null && !heldAcks.isEmpty()) {
      releaseAfterSync();
    }
  }

  /** fsync mode: the acks of this read leave once the store has synced (one sync for many reads). */
  private void releaseAfterSync() {
    List<Object> acks = heldAcks;
    heldAcks = new ArrayList<>();
    core.persistence().afterSync(() -> channel.eventLoop().execute(() -> {
      if (!channel.isActive()) {
        return;
      }
      for (Object ack : acks) {
        write(ack);
      }
      flush();
    }));
  }

  /** An ack of a QoS 1/2 flow: written now, or in the fsync mode once the store has synced. */
  void ack(Object packet) {
    if (heldAcks != null) {
      heldAcks.add(packet);
    } else if (stagedAcks != null) {
      if (stagedPackets == null) {
        stagedPackets = new ArrayList<>(4);
      }
      stagedPackets.add(packet);
      stage(-1, stagedPackets.size() - 1, 0);
    } else {
      write(packet);
    }
  }

  /** {@link #ack(Object)} of a PUBACK, PUBREC or PUBCOMP without properties, through {@link #writeAck}. */
  void ack(PacketType type, int packetId, int reasonCode) {
    if (heldAcks != null) {
      heldAcks.add(MqttPacket.ack(type, packetId, reasonCode, MqttProperties.EMPTY));
    } else if (stagedAcks != null) {
      stage(type.ordinal(), packetId, reasonCode);
    } else {
      writeAck(type, packetId, reasonCode);
    }
  }

  /**
   * Writes a PUBACK, PUBREC, PUBREL or PUBCOMP without properties (the usual case) into the buffer
   * of pending PUBLISHes: an ack per message then costs neither a packet object nor a buffer and a
   * pipeline write of its own. Leaves with the next {@link #flush()}, in order with what was written
   * before it.
   */
  void writeAck(PacketType type, int packetId, int reasonCode) {
    if (traced) {
      trace.info("Client {} received {}", conn.clientId(),
          MqttPacket.ack(type, packetId, reasonCode, MqttProperties.EMPTY));
    }
    MqttEncoder.encodeAck(type, packetId, reasonCode, encodeVersion, pendingOut(256));
  }

  /** A PINGRESP, as {@link #writeAck}: two bytes in the shared buffer, not a buffer and a write of its own. */
  void writePingResp() {
    releaseStagedBefore();
    if (traced) {
      trace.info("Client {} received {}", conn.clientId(), PingResp.INSTANCE);
    }
    pendingOut(256).writeByte(0xD0).writeByte(0); // PINGRESP, remaining length 0
  }

  /** {@link #sharedUnwritten}. On loop. */
  long sharedUnwritten() {
    return sharedUnwritten;
  }

  /** The buffer of packets written since the last flush ({@link #pendingOut}), made on first use. */
  private ByteBuf pendingOut(int initialCapacity) {
    ByteBuf out = pendingOut;
    if (out == null) {
      out = ctx.alloc().ioBuffer(initialCapacity);
      pendingOut = out;
    }
    return out;
  }

  /**
   * Encodes a PUBLISH straight into a buffer shared by consecutive PUBLISHes, written to the
   * channel every 16 KiB or at {@link #flush()}: one pipeline write per batch, not per message.
   * Only once connected, so {@link #encodeVersion} is the version of the CONNECT.
   */
  void writePublish(Publish message, Delivery d, boolean dup, int packetId) {
    ByteBuf out = pendingOut(4096);
    byte[] payload = message.payload();
    boolean shared = payload.length >= SharedPayloads.FROM;
    if (shared) {
      // The header joins the buffer, the payload goes as a write of its own: a duplicate of one
      // copy per loop, shared with the other subscribers of the message (see SharedPayloads).
      MqttEncoder.encodePublishHeader(message, d.qos(), d.retain(), dup, packetId, encodeVersion, out);
      writePendingOut();
      ByteBuf body = SharedPayloads.forWrite(payload, channel.eventLoop(), core.memory());
      if (sharesPayloads && SharedPayloads.isShared(body)) {
        int n = body.readableBytes();
        sharedUnwritten += n;
        ctx.write(encode(body), ctx.newPromise().addListener(f -> sharedUnwritten -= n));
      } else {
        ctx.write(encode(body), ctx.voidPromise());
      }
    } else {
      MqttEncoder.encodePublish(message, d.qos(), d.retain(), dup, packetId, encodeVersion, out);
    }
    if (traced) {
      trace.info("Client {} received PUBLISH (topic {}, qos {}, retain {}, dup {}, packet id {}, {} bytes payload)",
          conn.clientId(), message.topic(), d.qos(), d.retain(), dup, packetId, payload.length);
    }
    if (!shared && out.readableBytes() >= 16 * 1024) {
      pendingOut = null;
      ctx.write(encode(out), ctx.voidPromise());
    }
  }

  /** Writes a packet after any PUBLISHes encoded before it, keeping the order of the wire. */
  void write(Object packet) {
    if (!(packet instanceof Publish)) {
      releaseStagedBefore();
    }
    traceSent(packet);
    writePendingOut();
    ctx.write(encode(packet), ctx.voidPromise());
  }

  /** Logs a packet the client is sent, when it is traced: for those written without {@link #write}. */
  void traceSent(Object packet) {
    if (traced) {
      trace.info("Client {} received {}", conn.clientId(), packet);
    }
  }

  void writeAndFlush(Object packet) {
    write(packet);
    ctx.flush();
  }

  void flush() {
    writePendingOut();
    ctx.flush();
  }

  /**
   * {@link #flush()}, with a future that completes once everything written before it has gone to
   * the socket: an empty buffer written last (the WebSocket encoder lets it through unframed).
   */
  ChannelFuture flushed() {
    writePendingOut();
    return ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER);
  }

  /** {@link #flush()} in a task of this loop, once however often it is asked for before it runs. */
  void flushLater() {
    if (flushScheduled) {
      return;
    }
    Runnable task = flushTask;
    if (task == null) {
      task = () -> {
        flushScheduled = false;
        flush();
      };
      flushTask = task;
    }
    flushScheduled = true;
    try {
      channel.eventLoop().execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      flushScheduled = false; // the broker is stopping: now, then
      flush();
    }
  }

  /** Writes the buffer of pending PUBLISHes and acks to the channel (not flushed). */
  void writePendingOut() {
    ByteBuf out = pendingOut;
    if (out != null) {
      pendingOut = null;
      ctx.write(encode(out), ctx.voidPromise());
    }
  }

  /** A packet as bytes in this connection's protocol version (a buffer as it is), counted as written. */
  ByteBuf encode(Object msg) {
    ByteBuf b = msg instanceof ByteBuf buf ? buf : MqttEncoder.encode(ctx.alloc(), (MqttPacket) msg, encodeVersion);
    int n = b.readableBytes();
    bytesOut += n;
    if (countsWireBytes) {
      core.stats().traffic.add(BrokerStats.BYTES_OUT, n);
    }
    return b;
  }

  /** Drops what was encoded and not written: the connection has closed. */
  void releasePendingOut() {
    ByteBuf out = pendingOut;
    if (out != null) {
      pendingOut = null;
      out.release();
    }
  }

  /** The bytes this connection encoded (what it wrote when no TrafficCounter counts the wire). */
  long bytesOut() {
    return bytesOut;
  }
}
