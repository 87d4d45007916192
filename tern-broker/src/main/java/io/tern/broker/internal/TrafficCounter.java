package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * First handler of every connection's pipeline: counts the bytes read and written on the wire, per
 * connection (plain fields: written on the channel's loop only, read by the management snapshot on
 * the same loop) and broker-wide. One add per socket read or write, not per message.
 */
final class TrafficCounter extends ChannelDuplexHandler {
  private final BrokerStats stats;
  long bytesIn;
  long bytesOut;

  TrafficCounter(BrokerStats stats) {
    this.stats = stats;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      int n = b.readableBytes();
      bytesIn += n;
      stats.traffic.add(BrokerStats.BYTES_IN, n);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    int n = msg instanceof ByteBuf b ? b.readableBytes() : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
    if (n > 0) {
      bytesOut += n;
      stats.traffic.add(BrokerStats.BYTES_OUT, n);
    }
    ctx.write(msg, promise);
  }
}
