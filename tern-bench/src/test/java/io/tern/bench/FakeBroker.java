package io.tern.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately tiny MQTT 3.1.1 broker for the generator's tests: one event loop (so no locks),
 * {@code +} and {@code #} wildcards, retained messages, no sessions, no queues beyond Netty's. It can drop every n-th message
 * on its way to the subscribers, to check that the generator counts what is lost.
 */
final class FakeBroker implements AutoCloseable {
  private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final List<Sub> subs = new ArrayList<>();
  private final java.util.Map<String, Publish> retained = new java.util.LinkedHashMap<>();
  private final Channel server;
  private final int dropEvery;
  private long routed;
  private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger maxOpen = new java.util.concurrent.atomic.AtomicInteger();

  private record Sub(Channel channel, String filter, int qos, int[] nextId) {}

  /** @param dropEvery drop every n-th routed message; 0 to drop none */
  FakeBroker(int dropEvery) throws InterruptedException {
    this.dropEvery = dropEvery;
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new MqttDecoder(1 << 20), new MqttEncoder(MqttVersion.V3_1_1), new Handler());
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  /** The most connections that were open at once. */
  int maxOpenConnections() {
    return maxOpen.get();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  static boolean matches(String filter, String topic) {
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    boolean multi = f[f.length - 1].equals("#");
    if (multi ? t.length < f.length - 1 : f.length != t.length) {
      return false;
    }
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (!f[i].equals("+") && !f[i].equals(t[i])) {
        return false;
      }
    }
    return true;
  }

  private final class Handler extends SimpleChannelInboundHandler<Object> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof MqttPacket packet)) {
        ctx.close();
        return;
      }
      if (packet instanceof Connect) {
        ctx.write(new ConnAck(false, 0));
      } else if (packet instanceof Subscribe s) {
        List<Integer> codes = new ArrayList<>();
        List<Sub> added = new ArrayList<>();
        for (Subscription sub : s.subscriptions()) {
          Sub x = new Sub(ctx.channel(), sub.filter(), sub.qos(), new int[] {1});
          subs.add(x);
          added.add(x);
          codes.add(sub.qos());
        }
        ctx.write(new SubAck(s.packetId(), codes, io.tern.codec.MqttProperties.EMPTY));
        for (Sub x : added) {
          for (Publish r : retained.values()) {
            if (matches(x.filter(), r.topic())) {
              deliver(x, r, true);
            }
          }
        }
      } else if (packet instanceof Publish p) {
        if (p.qos() == 1) {
          ctx.write(new PubAck(p.packetId()));
        } else if (p.qos() == 2) {
          ctx.write(new PubRec(p.packetId()));
        }
        route(p);
      } else if (packet instanceof PubRel r) {
        ctx.write(new PubComp(r.packetId()));
      } else if (packet instanceof PubRec r) {
        ctx.write(new PubRel(r.packetId()));
      } else if (packet instanceof PingReq) {
        ctx.write(PingResp.INSTANCE);
      } else if (packet instanceof Disconnect) {
        ctx.close();
      }
      // PUBACK and PUBCOMP from subscribers: nothing to keep.
    }

    private void route(Publish p) {
      if (p.retain()) {
        retained.put(p.topic(), p);
      }
      routed++;
      if (dropEvery > 0 && routed % dropEvery == 0) {
        return;
      }
      for (Sub s : subs) {
        if (s.channel().isActive() && matches(s.filter(), p.topic())) {
          deliver(s, p, false);
        }
      }
    }

    private void deliver(Sub s, Publish p, boolean retain) {
      int qos = Math.min(p.qos(), s.qos());
      int id = 0;
      if (qos > 0) {
        id = s.nextId()[0];
        s.nextId()[0] = id == 65_535 ? 1 : id + 1;
      }
      s.channel().write(p.withDelivery(qos, retain, false, id));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      for (Sub s : subs) {
        s.channel().flush();
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      subs.removeIf(s -> s.channel() == ctx.channel());
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
