package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.tern.codec.BufferBudget;
import io.tern.codec.MqttDecodeException;
import io.tern.codec.MqttDecoder;
import io.tern.codec.ReasonCodes;
import java.util.List;

/**
 * MQTT over WebSocket (MQTT 5 section 6): the binary frames carry a byte stream, not packets. A
 * packet may span frames and a frame may hold several packets, so the frames' bytes go to the
 * streaming MQTT decoder as they are; the broker's bytes go out as binary frames. Text frames are a
 * protocol error (MQTT-6.0.0-1): the connection is closed.
 *
 * <p>Closing (RFC 6455 7): one Close frame goes out per connection, whoever ends it. The broker
 * ending the connection after an MQTT packet sends Close 1000 before shutting its output ({@link
 * #closeFrame}), or on a plain close Netty's WebSocket handler sends 1000 first; a frame the decoders
 * refuse gets the decoder's code (1002 protocol error, 1003 a text frame, 1007 invalid UTF-8, 1009
 * too big); the client's Close frame is answered with its code (1002 if it is not one a peer may
 * send) and the connection closed.
 */
final class WebSocketFrames {
  private WebSocketFrames() {}

  /**
   * Frames in, bytes out. Once the handshake is done, it also puts a {@link BudgetedFrameDecoder} in
   * the place of the frame decoder the handshake added: one instance per listener.
   */
  @ChannelHandler.Sharable
  static final class Decoder extends MessageToMessageDecoder<WebSocketFrame> {
    private final WebSocketDecoderConfig config;
    private final BufferBudget budget;

    /** @param config the frame decoder's settings, as the handshake's; @param budget see {@link BudgetedFrameDecoder} */
    Decoder(WebSocketDecoderConfig config, BufferBudget budget) {
      this.config = config;
      this.budget = budget;
    }

    /** The frame decoder's settings, for the handshake's. */
    WebSocketDecoderConfig config() {
      return config;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
      if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
        out.add(frame.content().retain());
      } else if (frame instanceof CloseWebSocketFrame close) {
        closedByPeer(ctx, close);
      } else {
        // MQTT-6.0.0-1: any other data frame closes the connection. Thrown, so that the connection
        // counts it and logs one line as for a corrupt frame (MqttConnection.exceptionCaught), and
        // the close frame says 1003 (RFC 6455 7.4.1: a type of data it cannot accept).
        throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_MESSAGE_TYPE,
            "a text frame: MQTT goes in binary WebSocket frames (MQTT-6.0.0-1)");
      }
    }

    /**
     * The client's Close frame (RFC 6455 5.5.1): answered with one of its status code, or 1002 if
     * that is not a code a peer may send (7.4), and the connection closed at once (the client sends
     * nothing after it; the server closes the TCP connection first, 7.1.1). For MQTT, a connection
     * closed without DISCONNECT: the will goes out. If the broker has sent its own Close frame
     * already (it is ending the connection), the answer is not written: the WebSocket handler lets
     * one Close frame out per connection.
     */
    private static void closedByPeer(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
      int code = close.statusCode(); // -1: none
      if (code != -1 && !sendable(code)) {
        throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR,
            "a close frame with status code " + code + ", which is not one an endpoint may send (RFC 6455 7.4)");
      }
      CloseWebSocketFrame answer = code == -1 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, null);
      ctx.writeAndFlush(answer).addListener(f -> ctx.channel().close());
    }

    /**
     * Whether a Close frame may carry this status code (RFC 6455 7.4 and the IANA registry): 1000-1003
     * and 1007-1014 defined (1004 reserved; 1005, 1006 and 1015 never sent), 3000-4999 for
     * libraries and applications. Netty's decoder lets 5000 and above through.
     */
    static boolean sendable(int code) {
      return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }

    /**
     * A frame the WebSocket decoders refuse (not masked, a reserved opcode, a control frame too
     * long, text that is not UTF-8, a frame over the limit): the Close frame with the decoder's
     * status code goes out first, then the connection is told and closes (one line, counted). The
     * frame decoder itself is set not to write (Netty's would bypass the WebSocket handler, which
     * then sent a second Close frame of its own).
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof CorruptedWebSocketFrameException bad && ctx.channel().isActive()) {
        ctx.writeAndFlush(new CloseWebSocketFrame(bad.closeStatus().code(), reason(bad.getMessage())));
      }
      super.exceptionCaught(ctx, cause);
    }

    /** A Close frame's reason: what fits a control frame (125 bytes, 2 of them the code) in ASCII. */
    static String reason(String message) {
      if (message == null) {
        return null;
      }
      String ascii = message.replaceAll("[^\\x20-\\x7e]", "?");
      return ascii.length() <= 120 ? ascii : ascii.substring(0, 120);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        // The 101 has just been written: a client sends no frame before it has read it.
        // The RFC 6455 decoder (versions 7, 8 and 13 frame alike); not the draft-00 one of clients
        // from before the RFC, whose frames are another format (and which no MQTT client speaks).
        ChannelHandlerContext frames = ctx.pipeline().context(WebSocketFrameDecoder.class);
        if (frames != null && frames.handler() instanceof WebSocket08FrameDecoder) {
          ctx.pipeline().replace(frames.name(), frames.name(), new BudgetedFrameDecoder(config, budget));
        }
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  /**
   * Netty's frame decoder holds a frame until all of it has arrived (up to the listener's largest
   * frame, {@code max_packet_size}), before the MQTT decoder, whose packets not yet whole count
   * against the broker's {@code inbound_buffer_limit}, sees any of it. This one counts what it holds
   * against the same budget, by the same rule: from {@link MqttDecoder#RESERVED_FROM} bytes held.
   * It counts the bytes as they arrive (it does not see the frame's announced length), so a
   * connection over the limit is refused with at most one read more than the limit. Refused, it
   * hands the connection an {@link MqttDecodeException} with {@link ReasonCodes#QUOTA_EXCEEDED}, as
   * the MQTT decoder does, and throws away what follows.
   */
  static final class BudgetedFrameDecoder extends WebSocket13FrameDecoder {
    private final BufferBudget.Hold hold;
    private boolean refused;

    BudgetedFrameDecoder(WebSocketDecoderConfig config, BufferBudget budget) {
      super(config);
      this.hold = budget.newHold();
      // A large frame's buffer grows by doubling, not by Netty's 4 MiB steps (see MqttDecoder#cumulate).
      setCumulator((alloc, cumulation, in) -> MqttDecoder.growCumulation(alloc, cumulation, in, Long.MAX_VALUE));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      if (refused) {
        in.skipBytes(in.readableBytes());
        return;
      }
      super.decode(ctx, in, out);
      int held = in.readableBytes();
      if (!hold.set(held >= MqttDecoder.RESERVED_FROM ? held : 0)) {
        refused = true;
        hold.set(0);
        in.skipBytes(held);
        out.add(new MqttDecodeException(ReasonCodes.QUOTA_EXCEEDED, null, null, "no room for " + held
            + " bytes of a WebSocket frame not yet received whole in the broker's buffer for packets not yet received whole"));
      }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
      hold.set(0); // the channel closed with a frame not yet whole
      super.handlerRemoved0(ctx);
    }
  }

  /** Bytes in, binary frames out. */
  @ChannelHandler.Sharable
  static final class Encoder extends MessageToMessageEncoder<ByteBuf> {
    static final Encoder INSTANCE = new Encoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
      // An empty buffer marks where the writes before it end (PacketWriter.flushed): no frame.
      out.add(msg.isReadable() ? new BinaryWebSocketFrame(msg.retain()) : msg.retain());
    }
  }

  /**
   * Refuses (403) a WebSocket upgrade whose {@code Origin} is a web page of another host than this
   * machine ({@link io.tern.broker.BrokerConfig.Builder#webSocketLoopbackOriginsOnly}); one INFO
   * line each. Sharable.
   */
  @ChannelHandler.Sharable
  static final class LoopbackOrigins extends ChannelInboundHandlerAdapter {
    static final LoopbackOrigins INSTANCE = new LoopbackOrigins();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoopbackOrigins.class);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof FullHttpRequest req) {
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !loopback(origin)) {
          req.release();
          log.info("WebSocket upgrade from {} refused: Origin {} is a page of another host, and anonymous "
              + "clients are let in from this machine only", ctx.channel().remoteAddress(),
              origin.length() > 200 ? origin.substring(0, 200) + "..." : origin.replaceAll("\\p{Cntrl}", "?"));
          DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN);
          res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
          ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
          return;
        }
        ctx.pipeline().remove(this); // one request per connection: the upgrade
      }
      ctx.fireChannelRead(msg);
    }

    /** Whether an Origin ({@code scheme://host[:port]}) names this machine. */
    static boolean loopback(String origin) {
      String host;
      try {
        host = java.net.URI.create(origin.trim()).getHost();
      } catch (IllegalArgumentException e) {
        return false;
      }
      if (host == null) {
        return false; // "null" (a sandboxed or file: page) and the like
      }
      host = host.toLowerCase(java.util.Locale.ROOT);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return host.equals("localhost") || host.endsWith(".localhost") || host.equals("::1")
          || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
  }

  /**
   * The upgrade request, whole, up to 16 KiB. Over that (an upgrade has no body; headers of more
   * than 16 KiB are no browser's), 413 and the connection closed: Netty's aggregator would keep a
   * keep-alive connection open and go on reading, and throwing away, what the client sends.
   */
  static final class UpgradeAggregator extends io.netty.handler.codec.http.HttpObjectAggregator {
    UpgradeAggregator() {
      super(16 * 1024);
    }

    /**
     * The listener's path is matched without the query (RFC 3986 3.4: not part of the path):
     * {@code /mqtt?token=...}, as browser and cloud clients send, is the upgrade on {@code /mqtt}
     * (it was answered 404). Other paths still are not. And a client that offers the subprotocol
     * {@code mqtt} gets it, in whatever order it lists it ({@link #preferMqtt}).
     */
    @Override
    protected void finishAggregation(io.netty.handler.codec.http.FullHttpMessage aggregated) throws Exception {
      super.finishAggregation(aggregated);
      if (aggregated instanceof FullHttpRequest req) {
        int query = req.uri().indexOf('?');
        if (query >= 0) {
          req.setUri(req.uri().substring(0, query));
        }
        String offered = String.join(",", req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        if (preferMqtt(offered)) {
          req.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "mqtt");
        }
      }
    }

    /**
     * Whether a {@code Sec-WebSocket-Protocol} list (the headers' values joined) offers {@code mqtt} among others. The server
     * "MUST" select {@code mqtt} (MQTT-6.0.0-4, 3.1.1 and 5.0), but Netty's handshaker takes the
     * first name of the client's list that it supports, so {@code mqttv3.1, mqtt} got
     * {@code mqttv3.1}; the list is then reduced to {@code mqtt} before the handshake. A client that
     * offers only {@code mqttv3.1} (MQTT 3.1 clients) still gets that.
     */
    static boolean preferMqtt(String offered) {
      if (offered.indexOf(',') < 0) {
        return false;
      }
      for (String name : offered.split(",")) {
        if (name.trim().equals("mqtt")) {
          return true;
        }
      }
      return false;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, io.netty.handler.codec.http.HttpMessage oversized) {
      io.netty.util.ReferenceCountUtil.release(oversized);
      DefaultFullHttpResponse res =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
      res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, "close");
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * Before a connection's output is shut after its last MQTT packet ({@link ConnectionCloser}): on
   * a WebSocket connection, the Close frame (1000) that ends the WebSocket in order (RFC 6455 7.1.2),
   * as a browser expects before the TCP connection's end; else nothing. The client answers with its
   * own Close frame, on which the broker closes.
   */
  static ChannelFuture closeFrame(io.netty.channel.Channel ch) {
    if (ch.pipeline().get(BudgetedFrameDecoder.class) == null) { // not a WebSocket, or not upgraded
      return ch.newSucceededFuture();
    }
    return ch.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
  }

  /**
   * The HTTP decoder's upgrade requests, whole, up to 16 KiB of headers ({@link
   * #MAX_HEADER_BYTES}): Netty's default is 8 KiB, which a browser's upgrade with its cookies
   * may pass.
   */
  static io.netty.handler.codec.http.HttpServerCodec httpCodec() {
    return new io.netty.handler.codec.http.HttpServerCodec(
        new io.netty.handler.codec.http.HttpDecoderConfig().setMaxHeaderSize(MAX_HEADER_BYTES));
  }

  static final int MAX_HEADER_BYTES = 16 * 1024;

  /**
   * A request the HTTP decoder could not read whole: 431 for headers over {@link
   * #MAX_HEADER_BYTES}, 414 for a request line over 4 KiB, else 400; closed. The decoder marks
   * such a request failed but still passes on what it had read, and the WebSocket handshake does
   * not look at that mark: an upgrade with 17 KB to 1 MB of headers (its upgrade headers first) was
   * answered 101 (a documentation audit).
   */
  @ChannelHandler.Sharable
  static final class RejectUnreadable extends ChannelInboundHandlerAdapter {
    static final RejectUnreadable INSTANCE = new RejectUnreadable();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof io.netty.handler.codec.http.HttpObject o && o.decoderResult().isFailure()) {
        Throwable cause = o.decoderResult().cause();
        io.netty.util.ReferenceCountUtil.release(msg);
        HttpResponseStatus status = cause instanceof io.netty.handler.codec.TooLongFrameException
            ? cause instanceof io.netty.handler.codec.http.TooLongHttpLineException
                ? HttpResponseStatus.REQUEST_URI_TOO_LONG : HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            : HttpResponseStatus.BAD_REQUEST;
        ctx.channel().config().setAutoRead(false); // nothing more of it is read
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.fireChannelRead(msg);
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
