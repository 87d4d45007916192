package io.tern.broker.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.tern.broker.Listener;
import io.tern.codec.MqttDecoder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network side: event loops (epoll when available, NIO otherwise), one server channel per
 * listener, and the pipeline of each connection: [PROXY header] → [TLS] → [HTTP upgrade, WebSocket
 * frames ↔ bytes] → decoder → encoder → {@link MqttConnection}. The limits on accepting connections
 * ({@link ConnectionLimits}) are checked before the pipeline is built.
 */
public final class Transport {
  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  /** The client's address as the PROXY protocol header gave it; absent without one. */
  static final AttributeKey<InetSocketAddress> REAL_REMOTE = AttributeKey.valueOf("tern.realRemote");

  private static final io.netty.channel.AdaptiveRecvByteBufAllocator RECEIVE_SIZES =
      new io.netty.channel.AdaptiveRecvByteBufAllocator();

  private final BrokerCore core;
  /** The WebSocket listeners' frames-to-bytes step (it also puts in their budgeted frame decoder). */
  private final WebSocketFrames.Decoder webSocketFrames;
  /** The PROXY protocol listeners' first step: sharable. */
  private final ProxyProtocolHandler.Detect proxyDetect;
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private final Map<String, Channel> serverChannels = new LinkedHashMap<>();
  private final Map<String, Integer> boundPorts = new LinkedHashMap<>();
  private final ConnectionLimits limits;
  private final Map<String, TlsContext> tls = new HashMap<>();
  /** Set as {@link #stop} begins: an event loop ending after it is expected. */
  private volatile boolean stopping;
  /**
   * Told once when an event loop's thread ends while the broker runs (see {@link #watch}); null:
   * only the ERROR line.
   */
  private volatile java.util.function.Consumer<String> onFatal;

  Transport(BrokerCore core) {
    this.core = core;
    this.webSocketFrames = new WebSocketFrames.Decoder(WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(Math.max(core.config().maxPacketSize(), 64 * 1024))
        .closeOnProtocolViolation(false) // WebSocketFrames.Decoder writes the Close frame: see its exceptionCaught
        .build(), core.inbound());
    this.limits = new ConnectionLimits(core.config(), core.stats());
    this.proxyDetect = new ProxyProtocolHandler.Detect(core);
  }

  /** The client's address: the one from the PROXY protocol header if there was one, else the TCP peer's. */
  static SocketAddress remoteAddress(Channel ch) {
    // hasAttr first: attr() creates the attribute (and the channel's attribute table) when absent.
    InetSocketAddress real = ch.hasAttr(REAL_REMOTE) ? ch.attr(REAL_REMOTE).get() : null;
    return real != null ? real : ch.remoteAddress();
  }

  /**
   * Runs {@code action} on every connected client's connection, on its session's loop, and waits
   * (up to 5 s) until each has run it, or, with {@code untilClosed}, until each connection has
   * closed. False when the time ran out first.
   */
  private boolean onEveryConnection(java.util.function.Consumer<MqttConnection> action, boolean untilClosed) {
    return onEvery((s, d) -> {
      MqttConnection c = s.connection();
      try {
        if (c != null) {
          if (untilClosed) {
            c.closeFuture().addListener(f -> d.complete(null));
          }
          action.accept(c);
        }
      } finally {
        if (c == null || !untilClosed) {
          d.complete(null);
        }
      }
    });
  }

  /** Runs {@code action} on every session, on its loop, and waits (up to 5 s); false when the time ran out. */
  private boolean onEverySession(java.util.function.Consumer<Session> action) {
    return onEvery((s, d) -> {
      try {
        action.accept(s);
      } finally {
        d.complete(null);
      }
    });
  }

  /**
   * Runs {@code work} for every session on its loop, with a future it completes when done (a loop
   * that no longer runs tasks counts as done), and waits for them all (up to 5 s).
   */
  private boolean onEvery(java.util.function.BiConsumer<Session, CompletableFuture<Void>> work) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (Session s : core.registry().all()) {
      CompletableFuture<Void> d = new CompletableFuture<>();
      done.add(d);
      try {
        s.runOnLoop(() -> work.accept(s, d));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        d.complete(null);
      }
    }
    return await(done);
  }

  private static boolean await(List<CompletableFuture<Void>> done) {
    try {
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Binds every listener; on a failure, whatever was bound is released and the error rethrown. */
  public synchronized void start() {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerSocketChannel> channelClass =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
    // One loop per core by default (not Netty's two): with the per-read batching, loops on the
    // same core only take turns; measured on 2 cores, 2 loops deliver ~1.6x what 4 do.
    int threads = core.loops;
    workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
    stopping = false;
    watch(bossGroup, "listener");
    watch(workerGroup, "I/O");
    try {
      core.recover(workerGroup); // stored sessions need their loops; clients come after
      // Every listener's TLS files first: a TLS listener whose files do not load stops the start
      // before any listener is bound (a plain listener listed before it accepted clients for the
      // second or two until the process exited).
      for (Listener l : core.config().listeners()) {
        if (l.tls() != null) {
          TlsContext context = new TlsContext(l.name(), l.tls());
          tls.put(l.name(), context);
          long every = l.tls().reloadCheckInterval().toMillis();
          if (every > 0) {
            bossGroup.scheduleWithFixedDelay(context::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
          }
        }
      }
      for (Listener l : core.config().listeners()) {
        ServerBootstrap b = new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(channelClass)
            // The accept queue as long as the OS allows (net.core.somaxconn, read by Netty; 4096 on
            // Linux since 5.4): after a restart every client reconnects at once, and a connection
            // that finds the queue full waits for its SYN's retransmission, a second later.
            .option(ChannelOption.SO_BACKLOG, NetUtil.SOMAXCONN)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            // One allocator for all connections (its handle is per connection anyway): otherwise
            // each channel's config keeps an instance of its own for the connection's life.
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_SIZES)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
            .childHandler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                if (!limits.admit(ch, l)) {
                  return;
                }
                java.util.concurrent.CompletableFuture<Boolean> accepted = core.hooks().accept(ch.remoteAddress(), l.name());
                if (!accepted.isDone()) {
                  // An asynchronous accept hook: nothing is read until it answers.
                  ch.config().setAutoRead(false);
                  accepted.thenAccept(ok -> ch.eventLoop().execute(() -> {
                    if (!ok) {
                      log.debug("Connection from {} on {} refused by an accept hook", ch.remoteAddress(), l.name());
                      ch.close();
                    } else if (ch.isOpen()) {
                      ch.config().setAutoRead(true);
                    }
                  }));
                } else if (!accepted.join()) {
                  log.debug("Connection from {} on {} refused by an accept hook", ch.remoteAddress(), l.name());
                  ch.close();
                  return;
                }
                ChannelPipeline p = ch.pipeline();
                // Bytes on the wire: on a plain TCP listener the MQTT codec counts them itself (a
                // counting handler would cost every connection a handler and a context); behind TLS
                // or WebSocket, a handler at the head counts what the wire carries.
                boolean framed = l.tls() != null || l.type().isWebSocket() || l.proxyProtocol();
                if (l.tls() == null && !l.type().isWebSocket()) {
                  // A client that shuts its output (a FIN) after its last packets still reads: it
                  // is answered before the connection closes (MqttConnection.userEventTriggered).
                  // Not behind TLS or WebSocket, whose own closing handshakes end those connections.
                  ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
                }
                if (framed) {
                  p.addLast("traffic", new TrafficCounter(core.stats()));
                }
                addTransportHandlers(ch, p, l);
                MqttDecoder decoder = new MqttDecoder(core.config().maxPacketSize()).limitBuffering(core.inbound());
                if (!framed) {
                  decoder.countBytes(core.stats().bytesReceivedCounter);
                }
                p.addLast("decoder", decoder);
                p.addLast("mqtt", new MqttConnection(core, l, !framed)); // encodes what it writes itself
              }
            });
        Channel ch;
        try {
          ch = b.bind(l.host(), l.port()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty's message names neither the address nor the port
          java.net.BindException named = new java.net.BindException(
              "listener " + l.name() + " on " + l.host() + ":" + l.port() + ": " + e.getMessage());
          named.initCause(e);
          io.netty.util.internal.PlatformDependent.throwException(named); // undeclared, as Netty's own
          throw new AssertionError(); // not reached
        }
        // After Netty's acceptor, which the bind has added: it pauses accepting for a second on an
        // error, then passes the error on, here instead of to the pipeline's tail (a WARN each time).
        ch.pipeline().addLast("accept-errors", new AcceptErrors(l.name()));
        serverChannels.put(l.name(), ch);
        int port = ((InetSocketAddress) ch.localAddress()).getPort();
        boundPorts.put(l.name(), port);
        String kind = l.type() == Listener.Type.MQTT ? ""
            : l.type().name().toLowerCase(java.util.Locale.ROOT) + (l.type().isWebSocket() ? " " + l.path() : "") + ", ";
        log.info("Listening for MQTT on {}:{} ({}, {}{}{})", l.host(), port, l.name(), kind,
            l.proxyProtocol() ? "PROXY protocol, " : "", epoll ? "epoll" : "nio");
      }
      core.memory().watch(bossGroup);
      core.persistence().stampAlive(bossGroup);
      bossGroup.scheduleWithFixedDelay(core::sweepExpiredRetained, 1, 1, TimeUnit.SECONDS);
      if (core.config().maxConnectionRatePerAddress() > 0) {
        bossGroup.scheduleWithFixedDelay(limits::sweep, 10, 10, TimeUnit.SECONDS);
      }
    } catch (Exception e) { // bind() throws undeclared checked exceptions (BindException)
      stop();
      throw e;
    }
  }

  /** The I/O event loops, null when stopped (tests). */
  EventLoopGroup ioLoops() {
    return workerGroup;
  }

  /** What to do, besides the ERROR line, when an event loop's thread ends while the broker runs. */
  public void onFatal(java.util.function.Consumer<String> handler) {
    this.onFatal = handler;
  }

  /**
   * An event loop whose thread ends while the broker runs leaves every connection of its own
   * unserved, and every new connection handed to it unanswered, for good: the thread ends when an
   * Error escapes its loop (an OutOfMemoryError thrown again while the loop handled the first; a
   * probe filling a 256 MB heap did it, and the broker went on accepting connections it never
   * answered). Said at ERROR, once, and told to {@link #onFatal} (the standalone server exits, for
   * its supervisor to restart it with the store).
   */
  private void watch(EventLoopGroup group, String kind) {
    java.util.concurrent.atomic.AtomicBoolean told = new java.util.concurrent.atomic.AtomicBoolean();
    for (io.netty.util.concurrent.EventExecutor loop : group) {
      loop.terminationFuture().addListener(f -> {
        if (stopping || !told.compareAndSet(false, true)) {
          return;
        }
        String why = "an " + kind + " event loop thread ended while the broker runs"
            + (f.cause() == null ? "" : " (" + f.cause() + ")") + ": the connections on it are no longer served";
        log.error(why);
        java.util.function.Consumer<String> fatal = onFatal;
        if (fatal != null) {
          fatal.accept(why);
        }
      });
    }
  }

  /** PROXY header, TLS and WebSocket handlers, as the listener asks; in front of the MQTT codec. */
  private void addTransportHandlers(SocketChannel ch, ChannelPipeline p, Listener l) {
    if (l.proxyProtocol()) {
      p.addLast("proxy-detect", proxyDetect);
      p.addLast("proxy-decoder", new HAProxyMessageDecoder());
      p.addLast("proxy", new ProxyProtocolHandler(core));
    }
    if (l.tls() != null) {
      SslHandler ssl = tls.get(l.name()).current().newHandler(ch.alloc());
      p.addLast("tls", ssl);
      p.addLast("tls-events", new TlsEvents(core.stats(), tlsFailureLines));
    }
    if (l.type().isWebSocket()) {
      p.addLast("http", WebSocketFrames.httpCodec());
      p.addLast("http-unreadable", WebSocketFrames.RejectUnreadable.INSTANCE);
      p.addLast("http-aggregator", new WebSocketFrames.UpgradeAggregator());
      if (core.config().webSocketLoopbackOriginsOnly()) {
        p.addLast("ws-origin", WebSocketFrames.LoopbackOrigins.INSTANCE);
      }
      p.addLast("ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
          .websocketPath(l.path())
          .subprotocols("mqtt,mqttv3.1")
          .decoderConfig(webSocketFrames.config())
          .handshakeTimeoutMillis(core.config().connectTimeout().toMillis())
          .handleCloseFrames(false) // answered by WebSocketFrames.Decoder, which checks their status code
          .build()));
      p.addLast("ws-reject-http", WebSocketFrames.RejectHttp.INSTANCE);
      p.addLast("ws-in", webSocketFrames);
      p.addLast("ws-out", WebSocketFrames.Encoder.INSTANCE);
    }
  }

  /**
   * Errors of a listener's server channel: an accept that failed, mostly for want of file
   * descriptors (EMFILE at the open files limit). Netty's acceptor stops accepting for a second
   * and retries, so at the limit this comes once a second: logged once, then at most once a minute
   * with the number of failures meanwhile, rather than a warning with a stack trace each time.
   * On the listener's (boss) loop.
   */
  static final class AcceptErrors extends io.netty.channel.ChannelInboundHandlerAdapter {
    static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private final String listener;
    private long loggedAtNanos;
    private boolean logged;
    private long failures;

    AcceptErrors(String listener) {
      this.listener = listener;
    }

    @Override
    public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
      failures++;
      long now = System.nanoTime();
      if (!logged || now - loggedAtNanos >= LOG_EVERY_NANOS) {
        log.warn("Listener {}: cannot accept connections: {} ({} failure{} since the last line; new connections "
            + "are retried each second; at the open files limit, raise it: ulimit -n, LimitNOFILE)", listener, cause,
            failures, failures == 1 ? "" : "s");
        logged = true;
        loggedAtNanos = now;
        failures = 0;
      }
    }
  }

  /** Lines about failed TLS handshakes, shared by the connections of this broker. */
  private final LogLimit tlsFailureLines = new LogLimit(10, "failed TLS handshakes", "tlsHandshakeFailures");

  /** Counts and logs failed TLS handshakes (a client that does not trust us, or lacks a certificate). */
  static final class TlsEvents extends io.netty.channel.ChannelInboundHandlerAdapter {
    private final BrokerStats stats;
    private final LogLimit lines;

    TlsEvents(BrokerStats stats, LogLimit lines) {
      this.stats = stats;
      this.lines = lines;
    }

    @Override
    public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent e) {
        if (!e.isSuccess()) {
          stats.tlsHandshakeFailures.increment();
          log.atLevel(lines.level(log)).log("Connection from {}: TLS handshake failed: {}", remoteAddress(ctx.channel()),
              why(e.cause()));
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    /**
     * The message of the handshake failure with those of its causes: OpenSSL's own is often only
     * "General OpenSslEngine problem", and the reason (such as the trust manager's refusal of the
     * client's certificate) is in a cause.
     */
    static String why(Throwable t) {
      // Without a message (a socket closed or timed out before the handshake ended): its kind.
      StringBuilder b = new StringBuilder(t.getMessage() != null ? t.getMessage()
          : t instanceof java.nio.channels.ClosedChannelException ? "the connection closed before the handshake ended"
          : t.getClass().getSimpleName());
      for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
        if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
          b.append(": ").append(c.getMessage());
        }
        if (c.getCause() == c) {
          break;
        }
      }
      if (b.indexOf("BAD_PACKET_LENGTH") >= 0) {
        // BoringSSL's reading of the alert a TLS 1.3 client (OpenSSL's, mosquitto's) sends when it
        // refuses the server's certificate; over TLS 1.2 the same is TLSV1_ALERT_UNKNOWN_CA.
        b.append(" (with TLS 1.3, usually a client that does not trust this server's certificate: check the CA it was given)");
      }
      return b.toString();
    }

    @Override
    public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException) {
        log.debug("Connection from {}: TLS error: {}", remoteAddress(ctx.channel()), cause.getCause().toString());
        ctx.close(); // already counted and logged as a failed handshake, or a broken TLS record
        return;
      }
      ctx.fireExceptionCaught(cause);
    }
  }

  /** The bound port of a listener (the real one when it was configured as 0). */
  public synchronized int port(String listenerName) {
    Integer p = boundPorts.get(listenerName);
    if (p == null) {
      throw new IllegalStateException("listener '" + listenerName + "' is not bound");
    }
    return p;
  }

  public synchronized Map<String, Integer> ports() {
    return Map.copyOf(boundPorts);
  }

  /** The accept queue length a listener asked the OS for; for tests. */
  synchronized int backlog(String listenerName) {
    return serverChannels.get(listenerName).config().getOption(ChannelOption.SO_BACKLOG);
  }

  /**
   * Stops accepting, closes every connection (each publishes its will as a connection that ended
   * without DISCONNECT would), then stops the event loops.
   */
  public synchronized void stop() {
    stopping = true;
    for (Channel ch : serverChannels.values()) {
      ch.close().syncUninterruptibly();
    }
    serverChannels.clear();
    // Every connected client is disconnected as the server stops (MQTT 5: DISCONNECT 0x8B; its
    // will goes as after any end without DISCONNECT), on its session's loop. First every will, while
    // all connections are open: their deliveries are queued on the loops ahead of the closes, so the
    // clients connected now get them. Connections found through the sessions rather than a channel
    // group (which costs every connection a map entry and a close listener); one that has not
    // finished its CONNECT is closed by its loop's shutdown.
    if (!onEveryConnection(MqttConnection::willBeforeShutdown, false)) {
      log.warn("Not every will was published within 5 s of the stop; the rest go as their connections close");
    }
    if (!onEveryConnection(MqttConnection::serverShutdown, true)) {
      log.warn("Not every connection closed within 5 s of the stop; the event loops close the rest");
    }
    // Without a store, sessions live in memory only and end with the broker (Builder.store): one
    // kept would stay bound to a loop that ends here, and its client id could never connect again
    // after a new start. With a store, the next start reads them back.
    if (!core.persistence().enabled() && !onEverySession(
        s -> s.lifecycle.terminateBecause(io.tern.broker.event.SessionEndCause.BROKER_STOPPED))) {
      log.warn("Not every session ended within 5 s of the stop");
    }
    if (workerGroup != null) {
      workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      workerGroup = null;
      bossGroup = null;
    }
    boundPorts.clear();
    tls.clear();
  }
}
