package io.tern.broker.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.tern.broker.Listener;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DisconnectReason;
import io.tern.codec.Auth;
import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecodeException;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PacketType;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import io.tern.codec.Subscribe;
import io.tern.codec.Unsubscribe;
import io.tern.codec.Will;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol state machine of one network connection, as its Netty handler: the state
 * ({@link State}), the packets received, dispatched by state and type, the packets that wait while
 * the session is prepared or a hook answers, the connect timeout and the keep alive, and the end of
 * each read (deliveries handed over, acks, flush). Its parts, one job each, are made once per
 * connection (some on first use) and hold a reference to it:
 * <ul>
 *   <li>{@link ConnectHandshake}: the CONNECT, its authentication, the CONNACK;
 *   <li>{@link InboundPublishes}: the client's PUBLISHes and PUBRELs;
 *   <li>{@link SubscriptionRequests}: its SUBSCRIBEs and UNSUBSCRIBEs;
 *   <li>{@link PacketWriter}: what is written to the client, and the flushes;
 *   <li>{@link ReadThrottle}: when reading pauses for what the broker cannot take yet;
 *   <li>{@link ConnectionCloser}: how the connection ends (every violation too), and what follows.
 * </ul>
 * The fields and methods that are not private are what the parts share: what the CONNECT set (by
 * the handshake), the session and client, and whether and why the connection is closing. Runs on
 * its channel's event loop only, as its parts do (but what says "Any thread"), so it needs no
 * locks; the session it is bound to belongs to the same loop while the connection lives.
 */
final class MqttConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
  /** Per-client tracing ({@link io.tern.broker.management.BrokerManagement#trace}). */
  private static final Logger trace = LoggerFactory.getLogger("io.tern.broker.trace");

  enum State { AWAIT_CONNECT, CONNECTING, CONNECTED, CLOSED }

  private final BrokerCore core;
  final Listener listener;
  /** Whether this connection adds its bytes to the broker's total (plain TCP: no TrafficCounter in front). */
  private final boolean countsWireBytes;
  /** What this connection writes: made with the handler context, in {@link #handlerAdded}. */
  PacketWriter writer;
  /** How this connection ends: made when it first needs it ({@link #closer()}). */
  private ConnectionCloser closer;
  /** The CONNECT and its authentication: made by the CONNECT, kept for re-authentications. */
  ConnectHandshake handshake;
  /** Created by the first PUBLISH (or retained delivery): an idle connection never needs them. */
  private MatchCollector matches;
  private DeliveryBatcher batcher;
  /** The client's PUBLISHes and PUBRELs: made by the first of them ({@link #publishes()}). */
  private InboundPublishes publishes;
  /** The client's SUBSCRIBEs and UNSUBSCRIBEs: made by the first of them ({@link #subscriptions()}). */
  private SubscriptionRequests subscriptions;
  /** When reading pauses and resumes: made with the handler context, in {@link #handlerAdded}. */
  ReadThrottle throttle;

  ChannelHandlerContext ctx;
  Channel channel;
  State state = State.AWAIT_CONNECT;
  ScheduledFuture<?> connectTimeout;
  /**
   * Keep alive (MQTT-3.1.2-24): one and a half times the keep alive in ns (0: none), when bytes
   * last came, and the check, which runs when the interval would end and re-arms itself. One
   * scheduled task per connection instead of an IdleStateHandler (a handler, its context and a task).
   */
  private long keepAliveNanos;
  long lastReadNanos;
  /**
   * Whether this read gave a whole packet. The keep alive counts packets (MQTT-3.1.2-24: a Control
   * Packet received), not bytes: a client that trickles a packet a byte at a time is not alive.
   */
  private boolean packetRead;
  /**
   * When this connection's turn on its loop began: the first packet of a read (0: none yet). See
   * {@link #TURN_NANOS}.
   */
  private long turnStartNanos;
  /** The rest of a read waits in {@link #pending} for this connection's next turn ({@link #endTurn}). */
  private boolean turnEnded;
  ScheduledFuture<?> keepAliveTimer;
  /** Packets that arrived after CONNECT while the session was being prepared. */
  List<Object> pending;

  MqttVersion version;
  String clientId;
  boolean cleanStart;
  boolean persistent;
  /** The Session Expiry Interval the client asked for in CONNECT (v3: Clean Session 0 is "never"). */
  long requestedExpiry;
  /** The interval granted: the request, at most {@link io.tern.broker.BrokerConfig#maxSessionExpiryInterval()}. */
  long sessionExpiry;
  /** v5 Request Problem Information: reason strings and user properties on acks only when allowed. */
  boolean problemInformation = true;
  /** The client's Receive Maximum: caps the broker's in-flight window towards it. */
  int clientReceiveMaximum = 65535;
  /** The client's Maximum Packet Size; nothing larger is sent to it (MQTT-3.1.2-24). */
  long clientMaxPacketSize = MqttDecoder.PROTOCOL_MAX_PACKET_SIZE;
  /** Shapes the PUBLISHes this client gets; set at CONNECT. */
  OutgoingPublishes outgoing;
  Will will;
  Session session;
  /** Who the authenticator accepted; what the authorizer is asked about. */
  ClientInfo client;
  String closeReason;
  /** Why the connection ends, for the {@link BrokerEvent.Disconnected} event; null: network loss. */
  DisconnectReason closeCause;
  /**
   * A hook answers asynchronously: packets received meanwhile wait in {@link #pending} (reading is
   * paused), so that the order of the client's packets is kept.
   */
  boolean held;
  /**
   * Set when this side decided to close: the channel only becomes inactive later, and packets
   * decoded meanwhile (from the same read) must not be acted upon. DISCONNECT is the final packet
   * of a connection (3.1.1 section 3.14, MQTT-3.14.4-2), and after a protocol violation the
   * connection is closed, not served further (MQTT-4.8.0-1).
   */
  boolean closing;
  /** When the CONNACK was sent (ms since the epoch). */
  long connectedAtMillis;

  MqttConnection(BrokerCore core, Listener listener, boolean countsWireBytes) {
    this.core = core;
    this.listener = listener;
    this.countsWireBytes = countsWireBytes;
  }

  // ------------------------------------------------------------------ Netty events

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
    this.writer = new PacketWriter(this, ctx, core, countsWireBytes);
    this.throttle = new ReadThrottle(this, channel, core);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    core.stats().connectionsTotal.increment();
    core.stats().connectionsCurrent.incrementAndGet();
    long timeoutMs = core.config().connectTimeout().toMillis();
    connectTimeout = ctx.executor().schedule(() -> {
      if (state == State.AWAIT_CONNECT) {
        core.clientLine(log).log("Connection from {} closed: no CONNECT within {} ms", remote(), timeoutMs);
        beginClose("connect timeout");
        ctx.close();
      }
    }, timeoutMs, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  /**
   * The time one connection's packets may take of its event loop at a stretch: past it, the rest of
   * what it sent waits in {@link #pending} (reading paused) and is processed in a task queued
   * behind the other connections' reads. One read holds what a client sent, up to 16 times 64 KiB
   * (Netty reads a socket until it is empty, or 16 times): 2,600 small PUBLISHes a buffer, each
   * matched and handed over before any other client on the loop is read. Cheap packets never get
   * near it, but a costly one (a topic that walks 65,536 wildcard filters took 4-27 ms; a fan-out to
   * 100,000 sessions) made a flood of them hold a loop for minutes: a resource probe's other
   * clients waited 29-87 s for a PINGRESP. Now a turn ends after the packet that takes it past 20 ms
   * (the canary's median 13 ms). 2 ms gave 4 ms there, but turns then ended in plain saturation too
   * (the subs scenario's 8 publishers: p99 0.48-1.31 s against 0.34 s with 20 ms, one round each,
   * bench/results/20261124T101536Z.jsonl and 20261124T102014Z.jsonl).
   */
  static final long TURN_NANOS = 20_000_000;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    packetRead = true;
    if (state == State.CLOSED || closing) {
      return; // packets are plain objects: nothing to release
    }
    if (state == State.CONNECTING || held) {
      if (state == State.CONNECTING && handshake.authenticatingConnect()) {
        handshake.onAuthenticating(msg);
        return;
      }
      pending.add(msg);
      // Nothing more is read until the CONNACK (or the hook's answer): what waits stays small. Only
      // now, not at every CONNECT: a client that waits for its CONNACK costs no epoll changes. After
      // a turn, at the end of this read (channelReadComplete).
      if (!turnEnded) {
        channel.config().setAutoRead(false);
      }
      return;
    }
    long start = turnStartNanos;
    if (start == 0) {
      turnStartNanos = start = System.nanoTime();
    }
    dispatch(msg);
    if (System.nanoTime() - start > TURN_NANOS || batcherFull()) {
      endTurn();
    }
  }

  /**
   * Whether this read has filled a session's room for QoS 1/2 messages ({@link DeliveryBatcher#full}):
   * the turn ends, so that what was routed is handed over before more is read, and this client waits
   * if that session is behind ({@link ReadThrottle#afterRead}).
   */
  private boolean batcherFull() {
    DeliveryBatcher b = batcher;
    return b != null && b.full();
  }

  /**
   * This connection has had its {@link #TURN_NANOS}: what else its read brings waits in {@link
   * #pending}, as for a hook's answer ({@code held}), and is processed in a task queued behind
   * the reads and tasks of the other connections on this loop. Reading is paused meanwhile, from
   * the end of the read ({@link #channelReadComplete}), so what waits is at most one read's worth
   * (Netty's read loop: up to 16 buffers).
   */
  private void endTurn() {
    if (state != State.CONNECTED || closing || held) {
      return;
    }
    held = true;
    turnEnded = true;
    if (pending == null) {
      pending = new ArrayList<>(16);
    }
    core.stats().turnsEnded.increment();
    // Scheduled, not executed: the loop takes its due scheduled tasks into its queue once per pass,
    // before it runs the queue, so this runs after the next I/O. A task queued with execute() in
    // the tasks' part of a pass could be run again in the same part, up to 64 times before the
    // loop looks at the clock (a probe's client on the same loop waited 0.6 s, against ~30 ms).
    channel.eventLoop().schedule(this::nextTurn, 0, TimeUnit.NANOSECONDS);
  }

  /** Whether the rest of a read waits in {@link #pending} for this connection's next turn. */
  boolean turnEnded() {
    return turnEnded;
  }

  void nextTurn() {
    if (state != State.CONNECTED || closing || !turnEnded || throttle.pausedByBacklog()) {
      return; // paused for a session behind: the end of that pause takes the next turn
    }
    turnEnded = false;
    held = false;
    replayPending();
  }

  /**
   * The connection closed while the rest of a read waited for its next turn: it is processed now,
   * as it would have been. Netty reads the end of the stream even while reading is paused (epoll's
   * RDHUP), so a client that sends its messages and DISCONNECT and closes the socket at once would
   * otherwise lose the messages that waited, and its DISCONNECT (its will went out). The acks
   * cannot leave any more; what is routed is handed over as the connection ends.
   */
  void finishTurnOnClose() {
    if (!turnEnded || state != State.CONNECTED || closing) {
      return;
    }
    turnEnded = false;
    held = false;
    List<Object> queued = pending;
    pending = null;
    for (int i = 0; i < queued.size() && state == State.CONNECTED && !closing && !held; i++) {
      dispatch(queued.get(i));
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Messages go to their sessions before the acks of this read leave (acked means handed over),
    // and with a store, everything this read changed is written first (acked means stored).
    if (packetRead) {
      packetRead = false;
      if (keepAliveNanos != 0) {
        lastReadNanos = System.nanoTime();
      }
    }
    turnStartNanos = 0;
    boolean routed = batcher != null && batcher.hasDeliveries();
    Session behind = flushBatcher(); // a StoreException here: exceptionCaught, and no ack of this read leaves
    writer.releaseStagedAcks();
    writer.releaseHeldAcks();
    if (session != null && state == State.CONNECTED) {
      session.pumpAfterAcks();
    }
    if (turnEnded) {
      // The rest of what was read waits for this connection's next turn. Reading pauses only now,
      // once Netty's read loop has taken what the socket held, and the acks of the part processed
      // wait for the rest, as the acks of one read do: a client that closes right after its burst,
      // with our answers unread, resets the socket when they reach it, and what the kernel still
      // held would be lost (a pipelined-burst probe: 23 of 2,500 QoS 1 messages kept, against all
      // of them before turns).
      channel.config().setAutoRead(false);
    } else if (routed) {
      // The sessions on this loop that this read handed messages to deliver them in tasks queued
      // just now: this read's acks leave in a task behind those, so that a subscriber's PUBLISH is
      // not held up by its publisher's PUBACK (the write and the wake-up of that client's reader).
      writer.flushLater();
    } else {
      writer.flush();
    }
    throttle.afterRead(behind);
    if (inputEnded && state != State.CLOSED) {
      endIfInputEnded(); // the packets that waited when the client shut its side are answered now
    }
  }

  /** The broker's buffered outbound bytes fell below the low water mark. Any thread. */
  void memoryRoom() {
    throttle.memoryRoom();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = throttle.writabilityChanged();
    if (writable && session != null && state == State.CONNECTED) {
      session.pump();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
      inputEnded = true;
      endIfInputEnded();
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * The client has shut its side of the connection (a FIN read; plain TCP listeners allow
   * half-closure, see {@link Transport}): it sends nothing more, but may still read. What it sent
   * is answered, as Mosquitto does, and then the connection closes as one lost (without DISCONNECT,
   * so its will goes, MQTT-3.1.2-8). A script that writes CONNECT, SUBSCRIBE, PUBLISHes and shuts
   * its output, then reads, got nothing at all: the channel closed at the FIN, before the CONNACK.
   * Packets that wait (for the session, a hook's answer, the connection's next turn) are answered
   * when they have been processed: {@link #channelReadComplete} ends the connection then.
   */
  boolean inputEnded;

  private void endIfInputEnded() {
    switch (state) {
      case AWAIT_CONNECT -> { // nothing to answer (at most part of a CONNECT)
        beginClose("connection closed before CONNECT");
        ctx.close();
      }
      case CONNECTING -> {
        if (handshake.authenticatingConnect()) { // waits for an AUTH that cannot come
          ctx.close();
        } // else the CONNACK and the packets that waited come first (sessionReady replays them)
      }
      case CONNECTED -> {
        if (!closing && !held && !turnEnded) {
          // In a task: behind the deliveries its last read handed to the sessions of this loop, so
          // that a client subscribed to its own messages gets them before the end, as from Mosquitto.
          channel.eventLoop().execute(() -> {
            if (state == State.CONNECTED && !closing && !held && !turnEnded) {
              closer().endOfInput();
            }
          });
        }
      }
      case CLOSED -> {
        // Closing already (the client's DISCONNECT, a violation's, a refused CONNECT): lingering
        // for the peer's close, which has come now. Once the last packet is out (the output shut
        // after it) there is nothing left to wait for: the channel, and its place under
        // max_connections, go now (it held them a second longer, and a client reconnecting at once
        // under max_connections 1 was refused). Before that, ConnectionCloser.linger closes the
        // channel as soon as it has shut the output; the close below is the bound.
        if (channel instanceof io.netty.channel.socket.DuplexChannel d && d.isOutputShutdown()) {
          ctx.close();
        } else {
          ctx.executor().schedule((Runnable) ctx::close, ConnectionCloser.LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  void startKeepAlive(int seconds) {
    keepAliveNanos = seconds * 1_500_000_000L;
    lastReadNanos = System.nanoTime();
    keepAliveTimer = ctx.executor().schedule(this::checkKeepAlive, keepAliveNanos, TimeUnit.NANOSECONDS);
  }

  /** The keep alive check: closes a connection silent for 1.5 keep alives, else re-arms for when it would be. */
  private void checkKeepAlive() {
    if (state == State.CLOSED || closing) {
      return;
    }
    long idle = System.nanoTime() - lastReadNanos;
    if (idle >= keepAliveNanos) {
      if (throttle.pausedForOthers()) {
        // Not read by our choice: the client's packets wait in the socket, it is not idle.
        keepAliveTimer = ctx.executor().schedule(this::checkKeepAlive, keepAliveNanos, TimeUnit.NANOSECONDS);
        return;
      }
      core.clientLine(log).log("Client {} from {}: keep alive timeout, closing", clientId, remote());
      disconnect(ReasonCodes.KEEP_ALIVE_TIMEOUT, "keep alive timeout");
      return;
    }
    keepAliveTimer = ctx.executor().schedule(this::checkKeepAlive, keepAliveNanos - idle, TimeUnit.NANOSECONDS);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      // A reset (the client closed with answers of ours unread): what was read is processed first.
      finishTurnOnClose();
      beginClose(DisconnectReason.NETWORK_LOSS, "network error: " + cause.getMessage());
      log.debug("Client {} from {}: {}", clientId, remote(), cause.toString());
    } else if (cause instanceof OutOfMemoryError || cause.getCause() instanceof OutOfMemoryError) {
      // Netty's buffers come from direct memory, which runs out before the heap does: the one
      // connection whose buffer could not be had is closed, the others go on. A stack trace per
      // connection would only flood the log while memory is short.
      beginClose(DisconnectReason.INTERNAL_ERROR, "out of memory: " + cause.getMessage());
      log.warn("Client {} from {}: closing, out of memory: {}", clientId, remote(), cause.toString());
    } else if (cause instanceof io.netty.handler.codec.DecoderException) {
      // Bytes a decoder in front of MQTT refused (a corrupt or oversized WebSocket frame, bad TLS
      // records): the peer's fault, not ours. One line, no stack trace: anyone can send them,
      // before any authentication. The WebSocket handler has already sent its close frame.
      core.stats().protocolErrors.increment();
      beginClose(DisconnectReason.PROTOCOL_ERROR, "bad frame: " + cause.getMessage());
      core.clientLine(log).log("Client {} from {}: closing: {}", clientId == null ? "(before CONNECT)" : clientId, remote(),
          cause.getMessage());
    } else if (cause instanceof io.tern.broker.store.StoreException e) {
      // A full disk or a failing device: what had to be stored was not, so not acknowledged. One
      // ERROR line now and then for the broker (Persistence), one line here, and a DISCONNECT.
      core.persistence().reportFailure(e);
      writer.discardUnsentAcks();
      // Rate-limited as other lines a client can cause: reconnecting publishers wrote ~70 a second.
      core.clientLine(log).log("Client {} from {}: closing, the store cannot be written", clientId, remote());
      disconnect(ReasonCodes.UNSPECIFIED_ERROR, "the broker cannot store messages now", DisconnectReason.INTERNAL_ERROR);
      return;
    } else {
      beginClose(DisconnectReason.INTERNAL_ERROR, "internal error: " + cause);
      log.warn("Client {} from {}: unexpected error, closing the connection", clientId, remote(), cause);
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closer().onClosed();
    ctx.fireChannelInactive();
  }

  // ------------------------------------------------------------------ packets

  private void dispatch(Object msg) {
    if (writer.traced) {
      trace.info("Client {} sent {}", clientId, msg);
    }
    if (msg instanceof MqttDecodeException e) {
      onDecodeError(e);
      return;
    }
    MqttPacket packet = (MqttPacket) msg;
    if (state == State.AWAIT_CONNECT) {
      if (packet instanceof Connect c) {
        handshake = new ConnectHandshake(this, core);
        handshake.onConnect(c);
      } else {
        violation(ReasonCodes.PROTOCOL_ERROR, "first packet is " + packet.type() + ", not CONNECT"); // MQTT-3.1.0-1
      }
      return;
    }
    switch (packet.type()) {
      case PUBLISH: publishes().onPublish((Publish) packet); break;
      case PUBACK: session.onPubAck(((PubAck) packet).packetId()); break;
      case PUBREC: {
        PubRec r = (PubRec) packet;
        session.onPubRec(r.packetId(), ReasonCodes.isError(r.reasonCode()));
        break;
      }
      case PUBREL: publishes().onPubRel((PubRel) packet); break;
      case PUBCOMP: session.onPubComp(((PubComp) packet).packetId()); break;
      case SUBSCRIBE: subscriptions().onSubscribe((Subscribe) packet); break;
      case UNSUBSCRIBE: subscriptions().onUnsubscribe((Unsubscribe) packet); break;
      case PINGREQ: writer.writePingResp(); break;
      case DISCONNECT: closer().onDisconnect((Disconnect) packet); break;
      case AUTH: handshake.onAuth((Auth) packet); break;
      case CONNECT: violation(ReasonCodes.PROTOCOL_ERROR, "second CONNECT"); break; // MQTT-3.1.0-2
      default: violation(ReasonCodes.PROTOCOL_ERROR, packet.type() + " is not sent by clients");
    }
  }

  private void onDecodeError(MqttDecodeException e) {
    if (e.reasonCode() == ReasonCodes.QUOTA_EXCEEDED) { // the decoder's: no room for a large packet
      core.stats().inboundBufferRefusals.increment();
      core.clientLine(log).log("Client {} from {}: closing: {} (inbound_buffer_limit {}; counted in inboundBufferRefusals)",
          clientId == null ? "(before CONNECT)" : clientId, remote(), e.getMessage(), core.config().inboundBufferLimit());
      clientError(ReasonCodes.QUOTA_EXCEEDED, e.getMessage());
      disconnect(ReasonCodes.QUOTA_EXCEEDED, "inbound buffer limit");
      return;
    }
    if (state == State.AWAIT_CONNECT && e.packetType() == io.tern.codec.PacketType.CONNECT) {
      core.stats().protocolErrors.increment();
      core.clientLine(log).log("Connection from {} refused: bad CONNECT: {}", remote(), e.getMessage());
      beginClose("bad CONNECT");
      clientError(e.reasonCode(), "bad CONNECT: " + e.getMessage()); // a refused CONNECT, as the event says
      if (e.reasonCode() == ReasonCodes.UNSUPPORTED_PROTOCOL_VERSION) {
        // MQTT-3.1.2-2: CONNACK 0x01 in the 3.1.1 format, which every version can read.
        writer.encodeVersion = MqttVersion.V3_1_1;
        closer().closeAfter(ctx.writeAndFlush(writer.encode(new ConnAck(false, ReasonCodes.V3_UNACCEPTABLE_PROTOCOL_VERSION))));
      } else if (e.version() == MqttVersion.V5) {
        writer.encodeVersion = MqttVersion.V5;
        closer().closeAfter(ctx.writeAndFlush(writer.encode(new ConnAck(false, e.reasonCode()))));
      } else {
        closer().closeAfter(ctx.newSucceededFuture()); // MQTT-3.1.4-1: close without CONNACK (orderly, not a reset)
      }
      return;
    }
    violation(e.reasonCode(), e.getMessage());
  }

  /**
   * Waits for an asynchronous hook answer: reading pauses and what arrives meanwhile waits, then
   * {@code then} runs on this loop with the answer and the waiting packets are processed in order.
   */
  <T> void awaitHook(java.util.concurrent.CompletionStage<T> answer, java.util.function.Consumer<T> then) {
    held = true;
    if (pending == null) {
      pending = new ArrayList<>(4);
    }
    channel.config().setAutoRead(false);
    answer.whenComplete((result, error) -> channel.eventLoop().execute(() -> {
      if (state != State.CONNECTED || closing) {
        return;
      }
      held = false;
      lastReadNanos = System.nanoTime(); // the keep alive counts from the end of the pause
      then.accept(result); // the chain completes its stages with the fallback, never with an error
      replayPending();
    }));
  }

  /** Processes the packets that waited (for the session, or for a hook), then ends like a read. */
  void replayPending() {
    List<Object> queued = pending;
    pending = null;
    throttle.readIfFree();
    long start = System.nanoTime();
    for (int i = 0; i < queued.size(); i++) {
      if (state != State.CONNECTED || closing) {
        break;
      }
      if (i > 0 && (System.nanoTime() - start > TURN_NANOS || batcherFull())) {
        endTurn(); // this task has had its turn too: the rest waits for the next
      }
      if (held) { // a hook of a replayed packet answers later (or the turn ended): the rest waits again, in front
        pending.addAll(0, queued.subList(i, queued.size()));
        break;
      }
      dispatch(queued.get(i));
    }
    try {
      channelReadComplete(ctx); // the replayed packets end like a read: hand over batches, flush
    } catch (io.tern.broker.store.StoreException e) { // not called through the pipeline: handled as it would
      exceptionCaught(ctx, e);
    }
  }

  /** An error event for the application ({@link BrokerEvent.ClientError}); cheap when nobody listens. */
  void clientError(int reasonCode, String description) {
    Events ev = core.events();
    if (ev.active()) {
      ev.emit(new BrokerEvent.ClientError(System.currentTimeMillis(), clientId,
          remote() instanceof java.net.InetSocketAddress a ? a : null, reasonCode, description));
    }
  }

  int keepAliveOf() {
    return (int) (keepAliveNanos / 1_500_000_000L);
  }

  // ------------------------------------------------------------------ ending

  /** How this connection ends: made when it first needs it (see {@link ConnectionCloser}). */
  ConnectionCloser closer() {
    ConnectionCloser c = closer;
    if (c == null) {
      c = closer = new ConnectionCloser(this, core);
    }
    return c;
  }

  /** See {@link ConnectionCloser#violation}. */
  void violation(int reasonCode, String why) {
    closer().violation(reasonCode, why);
  }

  /** See {@link ConnectionCloser#disconnect(int, String)}. */
  void disconnect(int reasonCode, String why) {
    closer().disconnect(reasonCode, why);
  }

  /** See {@link ConnectionCloser#disconnect(int, String, DisconnectReason)}. */
  void disconnect(int reasonCode, String why, DisconnectReason cause) {
    closer().disconnect(reasonCode, why, cause);
  }

  /**
   * Properties with a Reason String for an ack, when the client allows them (Request Problem
   * Information, MQTT-3.1.2-29) and they fit its Maximum Packet Size with room for the ack itself.
   */
  MqttProperties problem(String reason) {
    String text = reasonText(reason);
    if (!problemInformation || !fitsClient(text)) {
      return MqttProperties.EMPTY;
    }
    return MqttProperties.builder().reasonString(text).build();
  }
  /**
   * Whether a Reason String of {@code text} leaves a packet within the client's Maximum Packet Size
   * (MQTT-3.1.2-24): at most 3 bytes a character, and room for the rest of a small packet.
   */
  boolean fitsClient(String text) {
    return text.length() * 3L + 16 <= clientMaxPacketSize;
  }


  /** The longest Reason String the broker sends, in characters (at most 3 bytes each in UTF-8). */
  static final int MAX_REASON_CHARS = 1_000;

  /**
   * A Reason String cut to {@link #MAX_REASON_CHARS}: one made of what a client sent (a SUBACK's
   * refused filters, a topic) could otherwise pass the 65,535 bytes an MQTT string may hold, and
   * the packet could not be encoded at all. Never cut inside a surrogate pair (MQTT-1.5.4-1).
   */
  static String reasonText(String why) {
    if (why.length() <= MAX_REASON_CHARS) {
      return why;
    }
    int cut = MAX_REASON_CHARS - 3;
    if (Character.isHighSurrogate(why.charAt(cut - 1))) {
      cut--;
    }
    return why.substring(0, cut) + "...";
  }

  /** Records why the connection ends; from now on nothing it receives is processed. */
  void beginClose(String why) {
    closeReason = why;
    closing = true;
  }

  void beginClose(DisconnectReason cause, String why) {
    closeCause = cause;
    closeReason = why;
    closing = true;
  }

  /** The channel's close future: the broker's stop waits for it. */
  io.netty.channel.ChannelFuture closeFuture() {
    return channel.closeFuture();
  }

  /** Another connection took this client id over. On this connection's loop. */
  void takeOver() {
    closer().takeOver();
  }

  /** The broker is stopping. On this connection's loop. */
  void serverShutdown() {
    closer().serverShutdown();
  }

  /** The broker is stopping, every connection still open: the will goes now. On this connection's loop. */
  void willBeforeShutdown() {
    closer().willBeforeShutdown();
  }

  // ------------------------------------------------------------------ used by the session

  boolean isWritable() {
    return channel.isWritable();
  }

  /** See {@link OutgoingPublishes#shape}. */
  Publish outgoing(Delivery d, long nowNanos, boolean resend) {
    return outgoing.shape(d, nowNanos, resend);
  }

  /** See {@link PacketWriter#writePublish}. */
  void writePublish(Publish message, Delivery d, boolean dup, int packetId) {
    writer.writePublish(message, d, dup, packetId);
  }

  /** See {@link PacketWriter#writeAck}. */
  void writeAck(PacketType type, int packetId, int reasonCode) {
    writer.writeAck(type, packetId, reasonCode);
  }

  /** Writes what was encoded since the last flush, and flushes. */
  void flush() {
    writer.flush();
  }

  String clientId() {
    return clientId;
  }

  // ------------------------------------------------------------------ management, on this loop

  /** An operator asked to close this connection: v5 clients get DISCONNECT 0x98 first. */
  void adminDisconnect() {
    if (state == State.CLOSED || closing) {
      return;
    }
    disconnect(ReasonCodes.ADMINISTRATIVE_ACTION, "administrative action");
  }

  void setTraced(boolean on) {
    writer.traced = on;
  }

  boolean traced() {
    return writer.traced;
  }

  String username() {
    return client == null ? null : client.username();
  }

  String remoteAddressText() {
    SocketAddress a = remote();
    if (a instanceof java.net.InetSocketAddress i) {
      String host = i.getAddress() == null ? i.getHostString() : i.getAddress().getHostAddress();
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
    }
    return a == null ? null : a.toString();
  }

  String listenerName() {
    return listener.name();
  }

  String protocolVersion() {
    return version == null ? null : switch (version) {
      case V3_1 -> "3.1";
      case V3_1_1 -> "3.1.1";
      case V5 -> "5.0";
    };
  }

  int keepAlive() {
    return ctx == null ? 0 : keepAliveOf();
  }

  boolean cleanStart() {
    return cleanStart;
  }

  long connectedAtMillis() {
    return connectedAtMillis;
  }

  long bytesIn() {
    TrafficCounter t = ctx.pipeline().get(TrafficCounter.class);
    if (t != null) {
      return t.bytesIn;
    }
    MqttDecoder d = ctx.pipeline().get(MqttDecoder.class);
    return d == null ? 0 : d.bytesRead();
  }

  long bytesOut() {
    TrafficCounter t = ctx.pipeline().get(TrafficCounter.class);
    return t != null ? t.bytesOut : writer.bytesOut();
  }

  /**
   * Hands over what this read routed and commits what it changed in the store (a subscriber's
   * PUBACKs remove records too, though it never routes). Returns a session that is far behind, or null.
   */
  Session flushBatcher() {
    if (batcher == null) {
      core.persistence().commit();
      return null;
    }
    return batcher.flush(core.persistence(), session);
  }

  private InboundPublishes publishes() {
    InboundPublishes p = publishes;
    if (p == null) {
      p = publishes = new InboundPublishes(this, core, writer);
    }
    return p;
  }

  private SubscriptionRequests subscriptions() {
    SubscriptionRequests s = subscriptions;
    if (s == null) {
      s = subscriptions = new SubscriptionRequests(this, core, writer);
    }
    return s;
  }

  MatchCollector matches() {
    MatchCollector m = matches;
    if (m == null) {
      m = matches = new MatchCollector();
    }
    return m;
  }

  DeliveryBatcher batcher() {
    DeliveryBatcher b = batcher;
    if (b == null) {
      b = batcher = new DeliveryBatcher(true);
    }
    return b;
  }

  SocketAddress remote() {
    return channel == null ? null : Transport.remoteAddress(channel);
  }
}
