package io.tern.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecodeException;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import io.tern.codec.ReasonCodes;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT client part that publishers and subscribers share: CONNECT and CONNACK, keep alive
 * pings, acks gathered per read and flushed once, errors and the orderly DISCONNECT.
 *
 * <p>One instance per channel; every field is owned by the channel's event loop except the futures,
 * which other threads wait on.
 */
abstract class BenchClient extends ChannelInboundHandlerAdapter {
  /**
   * Seconds. As Paho and the mosquitto clients do, a client pings only when it has sent nothing for
   * a while: checked every half of it, so the broker hears from an idle client at least once a
   * keep alive. A client that pinged in the middle of a run made the JIT of both the generator and a
   * JVM broker throw away their compiled read and write paths at once (a packet type never seen
   * before), a stall of several milliseconds counted in the run's latencies.
   */
  static final int KEEP_ALIVE = 60;

  protected final String clientId;
  protected final MqttVersion version;
  private final String username;
  private final byte[] password;

  /** Completes on a successful CONNACK; fails on a refusal or a lost connection. */
  final CompletableFuture<ConnAck> connected = new CompletableFuture<>();
  /** Completes once the channel is closed, whoever closed it. */
  final CompletableFuture<Void> closed = new CompletableFuture<>();

  protected ChannelHandlerContext ctx;
  private ByteBuf pendingAcks;
  private ScheduledFuture<?> pinger;
  private boolean sentSincePing;
  private boolean closing;
  /** The first thing that went wrong on this connection, or null; read by the coordinator at the end. */
  private volatile String error;
  /** Connect with a persistent session (set before connecting). */
  boolean persistentSession;

  BenchClient(String clientId, MqttVersion version, String username, String password) {
    this.clientId = clientId;
    this.version = version;
    this.username = username;
    this.password = password == null ? null : password.getBytes(StandardCharsets.UTF_8);
  }

  String error() {
    return error;
  }

  protected void fail(String message) {
    if (error == null) {
      error = clientId + ": " + message;
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    MqttProperties props = persistentSession && version.isV5()
        ? MqttProperties.builder().set(io.tern.codec.Property.SESSION_EXPIRY_INTERVAL, 0xFFFFFFFFL).build()
        : MqttProperties.EMPTY;
    ctx.writeAndFlush(new Connect(version, clientId, !persistentSession, KEEP_ALIVE, username, password, null, props));
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof MqttDecodeException e) {
      fail("broker sent a malformed packet: " + e);
      ctx.close();
    } else if (msg instanceof ConnAck a) {
      if (a.reasonCode() == ReasonCodes.SUCCESS) {
        // The first check a second in, during the warmup: the first run of a scheduled task of a
        // new kind also makes the JIT recompile the event loop's task path, better before the window.
        pinger = ctx.executor().scheduleAtFixedRate(this::pingIfIdle, 1, KEEP_ALIVE / 2, TimeUnit.SECONDS);
        onConnAck(a);
        connected.complete(a);
      } else {
        String why = "CONNACK refused: " + (version.isV5() ? ReasonCodes.describe(a.reasonCode()) : "return code " + a.reasonCode());
        fail(why);
        connected.completeExceptionally(new IllegalStateException(why));
        ctx.close();
      }
    } else if (msg instanceof Disconnect d) {
      fail("broker sent DISCONNECT " + ReasonCodes.describe(d.reasonCode()));
    } else if (!(msg instanceof PingResp)) {
      onPacket((MqttPacket) msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flushAcks();
    onReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (pinger != null) {
      pinger.cancel(false);
    }
    if (pendingAcks != null) {
      pendingAcks.release();
      pendingAcks = null;
    }
    if (!closing) {
      fail("connection closed by the broker");
    }
    connected.completeExceptionally(new IllegalStateException(error != null ? error : "connection closed"));
    onClosed();
    closed.complete(null);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(cause.toString());
    ctx.close();
  }

  /** Gathers an ack (or PUBREL) into one buffer per read, written at the end of it. */
  protected void queueAck(MqttPacket ack) {
    if (pendingAcks == null) {
      pendingAcks = ctx.alloc().ioBuffer(512);
    }
    MqttEncoder.encode(ack, version, pendingAcks);
    if (pendingAcks.readableBytes() >= 16 * 1024) {
      ctx.write(pendingAcks, ctx.voidPromise());
      pendingAcks = null;
    }
  }

  private void flushAcks() {
    if (pendingAcks != null) {
      ctx.write(pendingAcks, ctx.voidPromise());
      pendingAcks = null;
      ctx.flush();
      sent();
    }
  }

  /**
   * 1 when {@code t} is in [{@code start}, {@code end}), else 0, without a branch. An {@code if}
   * on the window in the per-message path is never taken during the warmup, so the JIT compiles
   * that path without it and must throw the compiled code away and compile again the moment the
   * window opens: a stall of the generator of several milliseconds, counted in the window's first
   * latencies whatever the broker. {@code start} and {@code end} within 2^62 of {@code t}.
   */
  static int inWindow(long t, long start, long end) {
    return (int) (((t - start) | (end - 1 - t)) >>> 63) ^ 1;
  }

  /** Notes that packets went out, so no ping is due; on the event loop. */
  protected final void sent() {
    sentSincePing = true;
  }

  private void pingIfIdle() {
    if (!sentSincePing) {
      ctx.writeAndFlush(PingReq.INSTANCE);
    }
    sentSincePing = false;
  }

  /** Sends DISCONNECT and closes; callable from any thread. */
  CompletableFuture<Void> disconnect() {
    if (ctx == null) {
      closed.complete(null);
      return closed;
    }
    ctx.executor().execute(() -> {
      closing = true;
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(Disconnect.NORMAL).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.close();
      }
    });
    return closed;
  }

  /** A successful CONNACK, before {@link #connected} completes. */
  protected void onConnAck(ConnAck ack) {}

  /** Every packet but CONNACK, PINGRESP and DISCONNECT. */
  protected abstract void onPacket(MqttPacket packet);

  /** The end of one read from the socket, after the gathered acks were flushed. */
  protected void onReadComplete() {}

  /** The channel closed. */
  protected void onClosed() {}
}
