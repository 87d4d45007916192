package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the PROXY protocol header (v1 or v2, decoded by Netty's {@code HAProxyMessageDecoder} in
 * front of it) and records the client address it names as the connection's real remote address,
 * then leaves the pipeline. A {@code LOCAL} header (the proxy's own health check) or an unknown
 * protocol keeps the TCP peer address.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);
  private final BrokerCore core;
  /** Whether this connection's bad header has been said: the decoder may throw again at the close. */
  private boolean refused;

  ProxyProtocolHandler(BrokerCore core) {
    this.core = core;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HAProxyMessage m) {
      try {
        if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null
            && m.proxiedProtocol() != HAProxyProxiedProtocol.UNKNOWN
            && m.proxiedProtocol().addressFamily() != HAProxyProxiedProtocol.AddressFamily.AF_UNIX) {
          InetSocketAddress real = new InetSocketAddress(m.sourceAddress(), m.sourcePort());
          ctx.channel().attr(Transport.REAL_REMOTE).set(real);
          log.debug("PROXY header from {}: client {}", ctx.channel().remoteAddress(), real);
        }
      } finally {
        m.release();
      }
      ctx.pipeline().remove(this);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // No (or a malformed) PROXY header on a listener that requires one: nothing else to do but close.
    if (!refused) {
      refused = true;
      core.clientLine(log).log("Connection from {} closed: bad PROXY protocol header: {}",
          ctx.channel().remoteAddress(), cause.getMessage());
    }
    ctx.close();
  }

  /**
   * In front of the decoder: a connection whose first bytes are not a PROXY header is closed at
   * once (the decoder would otherwise wait for a line end up to 108 bytes, or the CONNECT timeout).
   */
  @ChannelHandler.Sharable
  static final class Detect extends ChannelInboundHandlerAdapter {
    private final BrokerCore core;

    /** One per broker: sharable by its listeners. */
    Detect(BrokerCore core) {
      this.core = core;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b
          && HAProxyMessageDecoder.detectProtocol(b).state() == ProtocolDetectionState.INVALID) {
        b.release();
        core.clientLine(log).log("Connection from {} closed: no PROXY protocol header", ctx.channel().remoteAddress());
        ctx.close();
        return;
      }
      ctx.pipeline().remove(this); // detected, or too few bytes to tell: the decoder decides
      ctx.fireChannelRead(msg);
    }
  }
}
