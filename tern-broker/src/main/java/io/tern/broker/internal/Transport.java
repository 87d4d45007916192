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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.tern.broker.Listener;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttVersion;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network side: event loops (epoll when available, NIO otherwise), one server channel per
 * listener, and the pipeline of each connection: decoder, encoder, {@link MqttConnection}.
 */
public final class Transport {
  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  private final BrokerCore core;
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private final Map<String, Channel> serverChannels = new LinkedHashMap<>();
  private final Map<String, Integer> boundPorts = new LinkedHashMap<>();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

  Transport(BrokerCore core) {
    this.core = core;
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
    int threads = core.config().ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : core.config().ioThreads();
    workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
    try {
      core.recover(workerGroup); // stored sessions need their loops; clients come after
      for (Listener l : core.config().listeners()) {
        ServerBootstrap b = new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(channelClass)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
            .childHandler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                connections.add(ch);
                ChannelPipeline p = ch.pipeline();
                MqttEncoder encoder = new MqttEncoder(MqttVersion.V3_1_1);
                p.addLast("decoder", new MqttDecoder(core.config().maxPacketSize()));
                p.addLast("encoder", encoder);
                p.addLast("mqtt", new MqttConnection(core, l, encoder));
              }
            });
        Channel ch = b.bind(l.host(), l.port()).syncUninterruptibly().channel();
        serverChannels.put(l.name(), ch);
        int port = ((InetSocketAddress) ch.localAddress()).getPort();
        boundPorts.put(l.name(), port);
        log.info("Listening for MQTT on {}:{} ({}, {})", l.host(), port, l.name(), epoll ? "epoll" : "nio");
      }
    } catch (Exception e) { // bind() throws undeclared checked exceptions (BindException)
      stop();
      throw e;
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

  /**
   * Stops accepting, closes every connection (each publishes its will as a connection that ended
   * without DISCONNECT would), then stops the event loops.
   */
  public synchronized void stop() {
    for (Channel ch : serverChannels.values()) {
      ch.close().syncUninterruptibly();
    }
    serverChannels.clear();
    for (Channel ch : connections) {
      MqttConnection c = ch.pipeline().get(MqttConnection.class);
      if (c != null) {
        ch.eventLoop().execute(c::serverShutdown);
      } else {
        ch.close();
      }
    }
    connections.newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (workerGroup != null) {
      workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      workerGroup = null;
      bossGroup = null;
    }
    boundPorts.clear();
  }
}
