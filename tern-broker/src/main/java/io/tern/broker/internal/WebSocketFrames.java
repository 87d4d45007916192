package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;

/**
 * MQTT over WebSocket (MQTT 5 section 6): the binary frames carry a byte stream, not packets. A
 * packet may span frames and a frame may hold several packets, so the frames' bytes go to the
 * streaming MQTT decoder as they are; the broker's bytes go out as binary frames. Text frames are a
 * protocol error (MQTT-6.0.0-1): the connection is closed.
 */
final class WebSocketFrames {
  private WebSocketFrames() {}

  /** Frames in, bytes out. */
  @ChannelHandler.Sharable
  static final class Decoder extends MessageToMessageDecoder<WebSocketFrame> {
    static final Decoder INSTANCE = new Decoder();

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
      if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
        out.add(frame.content().retain());
      } else {
        ctx.close(); // MQTT-6.0.0-1: text frames close the connection
      }
    }
  }

  /** Bytes in, binary frames out. */
  @ChannelHandler.Sharable
  static final class Encoder extends MessageToMessageEncoder<ByteBuf> {
    static final Encoder INSTANCE = new Encoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
      out.add(new BinaryWebSocketFrame(msg.retain()));
    }
  }

  /** An HTTP request that is not the WebSocket upgrade on the listener's path: 404, closed. */
  @ChannelHandler.Sharable
  static final class RejectHttp extends ChannelInboundHandlerAdapter {
    static final RejectHttp INSTANCE = new RejectHttp();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof FullHttpRequest req) {
        req.release();
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
