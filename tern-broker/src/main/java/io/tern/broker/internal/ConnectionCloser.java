package io.tern.broker.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DisconnectReason;
import io.tern.broker.internal.MqttConnection.State;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import io.tern.codec.Will;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one {@link MqttConnection} ends, whoever ends it: the client's DISCONNECT, a protocol
 * violation, a server-side disconnect (an MQTT 5 client is told why, in a DISCONNECT that fits its
 * Maximum Packet Size), a take-over by a newer connection, the broker's stop; closing after the
 * last packet without resetting a peer that still sends ({@link #closeAfter}); and, once the
 * connection has ended, what the broker does about it ({@link #onClosed}: counters, timers, the
 * will, the session's detachment, the log line and the event). Owns whether the broker is stopping
 * ({@code shuttingDown}); why the connection ends ({@link MqttConnection#beginClose}) is the
 * connection's, which tests it for every packet. Made by the connection when it first needs it
 * (an open connection does not), one per connection; runs on the channel's event loop only, as the
 * connection does.
 */
final class ConnectionCloser {
  /** The connection's logger: what a connection logs is under one name. */
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
  /**
   * One line per connect and per disconnect, on a logger of their own: the standalone server turns
   * it off unless {@code log.connections} asks for it (with many clients those lines are most of the
   * log, and formatting them costs each connection memory and time). The connect lines are
   * {@link ConnectHandshake}'s.
   */
  private static final Logger connections = LoggerFactory.getLogger("io.tern.broker.connections");

  private final MqttConnection conn;
  private final BrokerCore core;
  /** The broker is stopping: sessions (held in memory) end with it, so a delayed will goes now. */
  private boolean shuttingDown;

  ConnectionCloser(MqttConnection conn, BrokerCore core) {
    this.conn = conn;
    this.core = core;
  }

  /** The client's DISCONNECT. */
  void onDisconnect(Disconnect d) {
    if (conn.version.isV5()) {
      Long expiry = d.properties().sessionExpiryInterval();
      if (expiry != null) {
        if (conn.requestedExpiry == 0 && expiry != 0) {
          violation(ReasonCodes.PROTOCOL_ERROR, "DISCONNECT sets a Session Expiry Interval after 0 in CONNECT"); // MQTT-3.14.2-2
          return;
        }
        conn.sessionExpiry = Math.min(expiry, core.config().maxSessionExpiryInterval());
        conn.persistent = conn.sessionExpiry > 0;
        conn.session.lifecycle.setExpiryInterval(conn.sessionExpiry);
      }
    }
    // MQTT-3.14.4-3: a normal DISCONNECT (0x00; every MQTT 3 one) discards the will. Any other
    // code keeps it, to be sent as the connection closes (MQTT-3.1.2-8): 0x04 asks for it, and an
    // error such as 0x80 or 0x83 is no normal disconnection either.
    if (d.reasonCode() == ReasonCodes.NORMAL_DISCONNECTION) {
      conn.will = null;
    }
    conn.beginClose(DisconnectReason.CLIENT_DISCONNECT, "client DISCONNECT");
    answerThenClose(null);
  }

  /**
   * The client shut its side of the connection after its last packets, without DISCONNECT (see
   * {@link MqttConnection#userEventTriggered}): they have been answered; the connection ends as one
   * lost, its will sent.
   */
  void endOfInput() {
    conn.beginClose(DisconnectReason.NETWORK_LOSS, "client closed the connection");
    answerThenClose(null);
  }

  /**
   * Ends the connection after the answers to what the client sent before its end: the acks of the
   * PUBLISHes, SUBACKs and PINGRESPs that packets earlier in the same read (or in a read that waited
   * for the CONNACK) were given. Closed at once, they were lost: a client that writes CONNECT,
   * SUBSCRIBE, PUBLISHes and DISCONNECT at once, then reads, got its CONNACK only (Mosquitto answers
   * all). With a store the acks leave once what they acknowledge is stored, else not at all; in the
   * fsync mode after the sync (not at a stop, which closes at once). Then {@code packet}, the
   * broker's DISCONNECT that says why (null: nothing to say), and the close ({@link #closeAfter}).
   */
  private void answerThenClose(Disconnect packet) {
    if (packet != null) {
      conn.writer.traceSent(packet); // written below past write(), which would log it
    }
    conn.writer.writePendingOut(); // before onClosed (closeAfter) drops what was not written
    ChannelFuture last;
    if (conn.writer.holdsAcks() && !shuttingDown) {
      io.netty.channel.ChannelPromise sent = conn.ctx.newPromise();
      conn.writer.afterHeldAcks(() -> sendLast(packet).addListener(f -> {
        if (f.isSuccess()) {
          sent.trySuccess();
        } else {
          sent.tryFailure(f.cause());
        }
      }));
      last = sent;
    } else {
      conn.writer.releaseStagedBeforeClose();
      last = sendLast(packet);
    }
    if (shuttingDown) {
      last.addListener(ChannelFutureListener.CLOSE); // at once: the broker's stop waits for the channels
    } else {
      closeAfter(last);
    }
  }

  /** What was written, then {@code packet} if any, flushed: done once all of it is on the socket. */
  private ChannelFuture sendLast(Disconnect packet) {
    if (packet == null) {
      return conn.writer.flushed();
    }
    conn.writer.writePendingOut();
    return conn.ctx.writeAndFlush(conn.writer.encode(packet));
  }

  /** A protocol violation: one log line, v5 DISCONNECT with the reason, close (the will is sent). */
  void violation(int reasonCode, String why) {
    core.stats().protocolErrors.increment();
    core.clientLine(log).log("Client {} from {}: protocol violation, closing: {} ({})",
        conn.clientId == null ? "(before CONNECT)" : conn.clientId, conn.remote(), why,
        ReasonCodes.describe(reasonCode));
    conn.clientError(reasonCode, "protocol violation: " + why);
    disconnect(reasonCode, "protocol violation: " + why, DisconnectReason.PROTOCOL_ERROR);
  }

  /** Server-side disconnect: a v5 client is told why (section 4.13), then the channel closes. */
  void disconnect(int reasonCode, String why) {
    disconnect(reasonCode, why, causeOf(reasonCode));
  }

  private static DisconnectReason causeOf(int reasonCode) {
    return switch (reasonCode) {
      case ReasonCodes.KEEP_ALIVE_TIMEOUT -> DisconnectReason.KEEP_ALIVE_TIMEOUT;
      case ReasonCodes.SERVER_SHUTTING_DOWN -> DisconnectReason.SERVER_SHUTDOWN;
      case ReasonCodes.SESSION_TAKEN_OVER -> DisconnectReason.TAKEN_OVER;
      case ReasonCodes.NOT_AUTHORIZED, ReasonCodes.BANNED -> DisconnectReason.NOT_AUTHORIZED;
      case 0x98 -> DisconnectReason.ADMINISTRATIVE; // Administrative action
      default -> DisconnectReason.PROTOCOL_ERROR;
    };
  }

  void disconnect(int reasonCode, String why, DisconnectReason cause) {
    conn.beginClose(cause, why);
    if (conn.state == State.CONNECTED) {
      // The answers to the packets before the one refused first; an MQTT 5 client is told why.
      answerThenClose(conn.version.isV5() ? disconnectPacket(reasonCode, why) : null);
    } else if (shuttingDown) { // nothing to say before CONNACK
      conn.ctx.close();
    } else {
      closeAfter(conn.ctx.newSucceededFuture());
    }
  }

  /**
   * A server DISCONNECT with a Reason String (allowed whatever Request Problem Information says,
   * v5 section 3.1.2.11.7), left out when it would make the packet larger than the client accepts.
   */
  private Disconnect disconnectPacket(int reasonCode, String why) {
    Disconnect d = new Disconnect(reasonCode,
        MqttProperties.builder().reasonString(MqttConnection.reasonText(why)).build());
    return MqttEncoder.encodedSize(d, conn.version) <= conn.clientMaxPacketSize ? d : new Disconnect(reasonCode);
  }

  /** Another connection took this client id over. On this connection's loop. */
  void takeOver() {
    conn.beginClose(DisconnectReason.TAKEN_OVER, "session taken over");
    if (conn.state == State.CONNECTED) {
      // Within the limit on client lines: two clients with one id take it from each other endlessly.
      core.clientLine(log).log("Client {} from {}: session taken over by a new connection", conn.clientId, conn.remote());
      if (conn.version.isV5()) {
        conn.writer.releaseStagedBeforeClose();
        conn.writer.writePendingOut();
        closeAfter(conn.ctx.writeAndFlush(
            conn.writer.encode(disconnectPacket(ReasonCodes.SESSION_TAKEN_OVER, "session taken over"))));
        return;
      }
    }
    onClosed();
    conn.ctx.close();
  }

  /** How long a closing connection still reads, and discards, what its peer sends: {@link #closeAfter}. */
  static final long LINGER_MILLIS = 1000;

  /**
   * Ends the connection after {@code last}, the packet that says why (a refusing CONNACK or a
   * DISCONNECT; for an MQTT 3 client closed for what it sent, nothing), without resetting a peer
   * that is still sending. A socket closed with unread input
   * answers with a TCP reset, and a client whose next write or read meets the reset may lose that
   * packet unread: the Eclipse interoperability suite's Receive Maximum test, which writes a PUBREL
   * for each PUBREC it reads, never saw its DISCONNECT 0x93 for the reset its writes met. So, once
   * the packet is written, the output is shut (the peer reads the packet, then the end of the
   * stream: after a TLS close_notify on TLS), what the peer still sends is read and thrown away
   * undecoded, and the channel closes when the peer closes or after {@link #LINGER_MILLIS}, at the
   * latest. For the broker the connection ends now: its will, session, counters and events do not
   * wait for the peer. A broker that is stopping closes at once instead (its stop waits for the
   * channels).
   */
  void closeAfter(ChannelFuture last) {
    onClosed();
    MqttDecoder decoder = conn.ctx.pipeline().get(MqttDecoder.class);
    if (decoder != null) {
      decoder.discardInput();
    }
    Channel ch = conn.channel;
    if (!last.isDone()) {
      // A peer that reads nothing more (its socket buffers full) would keep the channel for good.
      ScheduledFuture<?> deadline = ch.eventLoop().schedule((Runnable) ch::close, WRITE_MILLIS, TimeUnit.MILLISECONDS);
      ch.closeFuture().addListener(f -> deadline.cancel(false));
    }
    last.addListener(f -> linger(ch, f.isSuccess()));
  }

  /** How long {@link #closeAfter} waits for its last packet to be written before it closes anyway. */
  static final long WRITE_MILLIS = 10_000;

  private static void linger(Channel ch, boolean written) {
    if (!written || !ch.isActive() || !(ch instanceof DuplexChannel duplex)) {
      ch.close();
      return;
    }
    ScheduledFuture<?> deadline =
        ch.eventLoop().schedule((Runnable) ch::close, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> deadline.cancel(false));
    if (!duplex.isInputShutdown()) {
      ch.config().setAutoRead(true); // drain, even if reading had been paused
    }
    SslHandler tls = ch.pipeline().get(SslHandler.class);
    // On a WebSocket, its Close frame first; then TLS's close_notify; then the end of the stream.
    WebSocketFrames.closeFrame(ch).addListener(framed -> {
      ChannelFuture notified = tls != null && ch.isActive() ? tls.closeOutbound() : ch.newSucceededFuture();
      notified.addListener(f -> {
        if (ch.isActive()) {
          duplex.shutdownOutput().addListener(s -> {
            if (!s.isSuccess() || duplex.isInputShutdown()) { // the peer has closed its side already
              ch.close();
            }
          });
        }
      });
    });
  }

  /** The broker is stopping. On this connection's loop. */
  void serverShutdown() {
    shuttingDown = true;
    disconnect(ReasonCodes.SERVER_SHUTTING_DOWN, "server shutting down");
  }

  /**
   * The broker is stopping and every connection is still open: the will is published (or, delayed,
   * kept as at any stop) before any connection closes, so that the subscribers connected now get
   * it ahead of their own DISCONNECT; published as the connections closed, it found them closing.
   * The close that follows has no will left.
   */
  void willBeforeShutdown() {
    if (conn.state == State.CONNECTED && !conn.closing) {
      shuttingDown = true;
      publishWill();
    }
  }

  /** The connection has ended, whoever ended it (also when the channel goes inactive): once. */
  void onClosed() {
    State previous = conn.state;
    if (previous == State.CLOSED) {
      return;
    }
    if (previous == State.CONNECTED) {
      conn.finishTurnOnClose(); // a DISCONNECT among them ends it as the client meant
    }
    conn.state = State.CLOSED;
    core.stats().connectionsCurrent.decrementAndGet();
    conn.throttle.closed();
    try {
      conn.flushBatcher(); // what this connection routed before it closed still goes out (no pause now)
    } catch (io.tern.broker.store.StoreException e) {
      core.persistence().reportFailure(e); // not stored, so not acknowledged either: the client sends it again
    }
    conn.writer.releasePendingOut();
    if (conn.connectTimeout != null) {
      conn.connectTimeout.cancel(false);
    }
    if (conn.keepAliveTimer != null) {
      conn.keepAliveTimer.cancel(false);
    }
    if (conn.handshake != null) {
      conn.handshake.close();
    }
    if (previous == State.CONNECTED) {
      publishWill();
      connections.info("Client {} from {} disconnected: {}", conn.clientId, conn.remote(),
          conn.closeReason == null ? "connection lost" : conn.closeReason);
      Events ev = core.events();
      if (ev.active()) {
        ev.emit(new BrokerEvent.Disconnected(System.currentTimeMillis(), conn.clientId, conn.client.username(),
            conn.client.remoteAddress(), conn.closeCause == null ? DisconnectReason.NETWORK_LOSS : conn.closeCause,
            conn.closeReason == null ? "connection lost" : conn.closeReason));
      }
      // After the event: a clean session ends here, and its SessionEnded comes after the Disconnected.
      conn.session.lifecycle.detach(conn);
    }
    // CONNECTING: sessionReady sees the closed state and lets the session go.
  }

  /**
   * The will, with its properties (but the Will Delay Interval, which is not a PUBLISH property):
   * now, or after its Will Delay Interval if the session outlives the connection (v5 section
   * 3.1.3.2.2: whichever comes first, the delay or the end of the session).
   */
  void publishWill() {
    Will w = conn.will;
    conn.will = null;
    if (conn.session != null) {
      conn.session.disarmWill(conn);
    }
    if (w == null) {
      return;
    }
    long delay = w.properties().getLong(Property.WILL_DELAY_INTERVAL, 0);
    Publish p = willPublish(w);
    Session s = conn.session;
    // With a store, a persistent session outlives the broker, and its delayed will waits in the store.
    if (delay > 0 && conn.persistent && s != null && !s.terminated && (!shuttingDown || s.storing())) {
      s.wills().deferWill(p, delay);
      return;
    }
    core.willAfterHooks(
        conn.client != null ? conn.client : new ClientInfo(conn.clientId, null, null, conn.listener.name(), null), p,
        conn.channel.eventLoop(), out -> {
          core.route(new Message(out, conn.clientId, System.nanoTime()), conn.matches(), conn.batcher());
          conn.flushBatcher();
        });
  }

  /** The will as the PUBLISH it becomes: its properties but the Will Delay Interval. */
  static Publish willPublish(Will w) {
    MqttProperties props = w.properties();
    if (props.has(Property.WILL_DELAY_INTERVAL)) { // also when 0: a PUBLISH with it is malformed (2.2.2.2)
      props = props.toBuilder().remove(Property.WILL_DELAY_INTERVAL).build();
    }
    return new Publish(w.topic(), w.qos(), w.retain(), false, 0, w.payload(), props);
  }
}
