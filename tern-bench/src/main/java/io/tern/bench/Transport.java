package io.tern.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The generator's event loops: epoll when the native transport loads, NIO otherwise.
 *
 * <p>With two or more threads the subscribers get the first half of the loops to themselves and the
 * publishers the other half, so a publisher writing at full rate never delays the reads that
 * timestamp arrivals.
 */
final class Transport implements AutoCloseable {
  private final MultiThreadIoEventLoopGroup group;
  private final List<EventLoop> loops = new ArrayList<>();
  private final Class<? extends SocketChannel> channelClass;
  private final String name;

  Transport(String preference, int threads) {
    boolean epoll;
    switch (preference) {
      case "epoll":
        if (!Epoll.isAvailable()) {
          throw new IllegalStateException("epoll is not available: " + Epoll.unavailabilityCause());
        }
        epoll = true;
        break;
      case "nio":
        epoll = false;
        break;
      default:
        epoll = Epoll.isAvailable();
    }
    IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench-io", true), factory);
    this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    this.name = epoll ? "epoll" : "nio";
    for (EventExecutor e : group) {
      loops.add((EventLoop) e);
    }
  }

  String name() {
    return name;
  }

  Class<? extends SocketChannel> channelClass() {
    return channelClass;
  }

  /** Loop {@code i} of all of them, round robin: for runs that do not split the roles. */
  EventLoop loop(int i) {
    return loops.get(i % loops.size());
  }

  /** The loop of subscriber {@code i}. */
  EventLoop subscriberLoop(int i) {
    return loops.get(i % subscriberLoops());
  }

  /** The loop of publisher {@code i}. */
  EventLoop publisherLoop(int i) {
    int sub = subscriberLoops();
    return loops.size() == 1 ? loops.get(0) : loops.get(sub + i % (loops.size() - sub));
  }

  private int subscriberLoops() {
    return Math.max(1, loops.size() / 2);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
