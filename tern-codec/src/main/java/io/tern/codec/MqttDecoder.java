package io.tern.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Streaming MQTT decoder: bytes in any split, one {@link MqttPacket} out per packet.
 *
 * <p>It reads the fixed header and the remaining length first, and refuses a packet larger than the
 * maximum as soon as its length is known, before buffering its body, so a peer can make it hold at
 * most {@code maxPacketSize} bytes. A malformed packet is not thrown: the decoder emits the {@link
 * MqttDecodeException} downstream as a message (so the connection can answer with the right
 * CONNACK or DISCONNECT reason code) and then discards everything else it receives.
 *
 * <p>On the server side the version is learned from the first CONNECT; a client passes it in. Not
 * sharable: one instance per channel.
 *
 * <pre>{@code
 * pipeline.addLast(new MqttDecoder(1024 * 1024)); // server: version from CONNECT
 * }</pre>
 */
public final class MqttDecoder extends ByteToMessageDecoder {
  /** The largest packet the protocol can express: 1 + 4 + 268,435,455 bytes. */
  public static final int PROTOCOL_MAX_PACKET_SIZE = 268_435_460;

  /**
   * Packets smaller than this are not reserved: a read buffer holds them anyway, and the budget
   * (one shared counter) is not touched on the message path, where a read often ends in a packet.
   */
  public static final int RESERVED_FROM = 4096;

  private final int maxPacketSize;
  private MqttVersion version;
  private boolean failed;
  /** What the packet being received holds of the budget of {@link #limitBuffering}, or null without one. */
  private BufferBudget.Hold hold;
  /**
   * The whole size of the packet the last decode found not yet whole, from its header, or 0 when
   * its header had not all come either: set by {@link #decode(ByteBuf, MqttVersion, int,
   * MqttDecoder)}, which has just read it.
   */
  private long incompleteSize;
  /**
   * The topic name of the last PUBLISH, as received and as decoded: a client mostly publishes to the
   * same few topics, and a PUBLISH whose topic bytes are the same reuses the decoded (and already
   * checked) name instead of making a copy and a string per message. See {@link PacketReader}.
   */
  byte[] lastTopicBytes;
  String lastTopic;
  /** Reads each packet's body in turn. */
  private final PacketReader reader = new PacketReader(this);
  /** Bytes this decoder was given; with {@link #countBytes}, also reported to a counter. */
  private long bytesRead;
  private java.util.function.LongConsumer byteCounter;

  /** A server-side decoder: the version comes from the CONNECT it decodes. */
  public MqttDecoder(int maxPacketSize) {
    this(maxPacketSize, null);
  }

  /** A decoder for a known protocol version (client side). */
  public MqttDecoder(int maxPacketSize, MqttVersion version) {
    if (maxPacketSize < 2) {
      throw new IllegalArgumentException("maxPacketSize " + maxPacketSize);
    }
    this.maxPacketSize = maxPacketSize;
    this.version = version;
    setCumulator(this::cumulate);
  }

  /**
   * Netty's merging cumulator, but a packet of more than a read grows its buffer by doubling, up to
   * the size its header announced, rather than by Netty's steps of 4 MiB past 4 MiB: with those,
   * each 4 MiB of a large packet copied all that had come before (a 200 MB PUBLISH took 5 s, about
   * 50 copies of 100 MB on average, against 0.4 s for 50 MB). Doubling copies each byte about twice,
   * and never allocates more than the packet's size, which {@link #limitBuffering} has reserved.
   */
  private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
    return growCumulation(alloc, cumulation, in, incompleteSize);
  }

  /**
   * A {@link ByteToMessageDecoder.Cumulator} step for decoders that hold large messages until they
   * are whole: when {@code cumulation} has no room for {@code in}, the new buffer is twice what is
   * held (at least what is needed, at most {@code whole} when that is larger than what is needed:
   * the size the message announced, or {@link Long#MAX_VALUE} when unknown); otherwise Netty's
   * {@link ByteToMessageDecoder#MERGE_CUMULATOR}, which also keeps small reads as they are.
   * Takes over both buffers, as a cumulator does.
   */
  public static ByteBuf growCumulation(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in, long whole) {
    int held = cumulation.readableBytes();
    int incoming = in.readableBytes();
    long required = (long) held + incoming;
    if (held < RESERVED_FROM || incoming <= cumulation.writableBytes() || required > Integer.MAX_VALUE
        || cumulation.isReadOnly()) {
      return MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
    }
    long capacity = Math.max(required, Math.min(2 * required, Math.max(whole, required)));
    ByteBuf grown = alloc.buffer((int) Math.min(capacity, Integer.MAX_VALUE - 8));
    try {
      grown.writeBytes(cumulation, cumulation.readerIndex(), held).writeBytes(in, in.readerIndex(), incoming);
      in.skipBytes(incoming);
    } catch (Throwable t) {
      grown.release();
      in.release();
      throw t;
    }
    cumulation.release();
    in.release();
    return grown;
  }

  /**
   * Counts the bytes this decoder reads (what it reads: in front of it, TLS and WebSocket handlers
   * may have taken their framing off), and reports each read's size to {@code counter} (a
   * broker-wide total; may be null). Replaces a counting handler of its own in the pipeline, which
   * costs every connection a handler and a context. Set before the first read.
   */
  public MqttDecoder countBytes(java.util.function.LongConsumer counter) {
    this.byteCounter = counter;
    return this;
  }

  /**
   * Counts each packet of {@link #RESERVED_FROM} bytes or more that has begun to arrive and is not
   * whole against {@code budget}, by the bytes of it that have arrived, until it is whole or the
   * channel closes. A packet whose next bytes do not fit is refused like a malformed one: the decoder emits an {@link
   * MqttDecodeException} with {@link ReasonCodes#QUOTA_EXCEEDED} and discards everything after it.
   * Set before the first read.
   */
  public MqttDecoder limitBuffering(BufferBudget budget) {
    this.hold = budget.newHold();
    return this;
  }

  /** The bytes read so far. On the channel's event loop (elsewhere: a recent value). */
  public long bytesRead() {
    return bytesRead;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof ByteBuf b) {
      int n = b.readableBytes();
      bytesRead += n;
      java.util.function.LongConsumer c = byteCounter;
      if (c != null) {
        c.accept(n);
      }
    }
    super.channelRead(ctx, msg);
  }

  /**
   * From now on, throws away what it is given without decoding it: for a connection that is
   * closing and reads only to drain its socket. On the channel's event loop.
   */
  public void discardInput() {
    failed = true;
    releaseReserved();
  }

  private void releaseReserved() {
    if (hold != null && hold.bytes() != 0) { // once per packet: most packets held nothing
      hold.set(0);
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    releaseReserved(); // the channel closed (or the decoder left) with a packet not yet whole
  }

  /** The protocol version packets are decoded as, or {@code null} before the CONNECT. */
  public MqttVersion version() {
    return version;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      incompleteSize = 0;
      MqttPacket packet = decode(in, version, maxPacketSize, this);
      if (packet != null) {
        releaseReserved(); // packets complete in order: the one reserved for is this one
        if (version == null && packet instanceof Connect) {
          version = ((Connect) packet).version();
        }
        out.add(packet);
      } else if (hold != null) {
        reserve(in);
      }
    } catch (MqttDecodeException e) {
      failed = true;
      releaseReserved();
      in.skipBytes(in.readableBytes());
      out.add(e);
    }
  }

  /**
   * A packet not yet whole is at the reader index: holds what has arrived of it (all of {@code in}),
   * or refuses it. By the bytes that came, not by the size its header announced: a header costs an
   * attacker five bytes, and at the default {@code maxPacketSize} (256 MiB) a few of them would
   * take the whole budget from the clients that send large packets. The buffer holding them is at
   * most twice as large ({@link #growCumulation}).
   */
  private void reserve(ByteBuf in) {
    long size = incompleteSize;
    if (size < RESERVED_FROM) {
      return; // small, or its remaining length has not all arrived yet
    }
    int held = in.readableBytes();
    if (held == hold.bytes()) {
      return;
    }
    if (!hold.set(held)) {
      PacketType type = PacketType.of(in.getUnsignedByte(in.readerIndex()) >> 4);
      throw new MqttDecodeException(ReasonCodes.QUOTA_EXCEEDED, type, version,
          "no room for a " + size + "-byte " + type + " in the broker's buffer for packets not yet received whole");
    }
  }

  /**
   * Makes now every ack a decoder shares (PUBACK, PUBREC, PUBREL and PUBCOMP with Success and no
   * properties, for every packet id: about 7 MB), instead of each on first sight. A server calls it
   * at start, before its traffic: made under traffic, these long-lived objects are copied by the
   * young collections until they are old, which lengthens the first pauses (the first ones hold
   * about half a megabyte of them). Idempotent; embedded and test users need not call it.
   */
  public static void prepareSharedAcks() {
    PacketReader.prepareSharedAcks();
  }

  /**
   * Decodes one packet from the readable bytes of {@code in}, consuming them, or returns {@code null}
   * and consumes nothing when the packet is not complete yet.
   *
   * @param version the version for every packet but CONNECT (which carries its own); {@code null}
   *     stands for MQTT 3.1.1 until the CONNECT is known
   * @throws MqttDecodeException when the bytes break the protocol
   */
  public static MqttPacket decode(ByteBuf in, MqttVersion version, int maxPacketSize) {
    return decode(in, version, maxPacketSize, null);
  }

  private static MqttPacket decode(ByteBuf in, MqttVersion version, int maxPacketSize, MqttDecoder topics) {
    int start = in.readerIndex();
    int available = in.readableBytes();
    if (available < 1) {
      return null;
    }
    int firstByte = in.getUnsignedByte(start);
    PacketType type = checkFixedHeader(firstByte, version);
    long header = remainingLength(in, start, available, type, version);
    if (header < 0) {
      return null;
    }
    int headerLength = (int) (header & 7);
    int remaining = (int) (header >>> 3);
    long total = (long) headerLength + remaining;
    if (total > maxPacketSize) {
      throw new MqttDecodeException(ReasonCodes.PACKET_TOO_LARGE, type, version,
          type + " of " + total + " bytes exceeds the maximum packet size " + maxPacketSize);
    }
    if (available < total) {
      if (topics != null) {
        topics.incompleteSize = total; // for its budget: see limitBuffering
      }
      return null;
    }
    // The body is read in place: the buffer's indices are narrowed to it (and put back after), not
    // a slice made per packet (an object per packet on the message path).
    int end = start + (int) total;
    int writerIndex = in.writerIndex();
    in.writerIndex(end).readerIndex(start + headerLength);
    MqttVersion v = version == null ? MqttVersion.V3_1_1 : version;
    try {
      return topics == null
          ? PacketReader.read(type, firstByte, in, v)
          : topics.reader.readPacket(type, firstByte, in, v);
    } catch (MqttDecodeException e) {
      throw e.in(type, type == PacketType.CONNECT ? e.version() : v);
    } finally {
      in.writerIndex(writerIndex).readerIndex(end);
    }
  }

  /**
   * The fixed header's Remaining Length (section 2.1.4), a Variable Byte Integer of at most four
   * bytes, shifted left by 3 over the fixed header's length (2 to 5); -1 when it has not all arrived.
   * Out of {@link #decode(ByteBuf, MqttVersion, int, MqttDecoder)}, which had grown past the 325
   * bytecodes the JIT inlines a hot method up to: with the loop inside it, small packets took about
   * twice as long to decode (CodecBenchmark PINGREQ 10-12 against 6.8-7.0 ns).
   */
  private static long remainingLength(ByteBuf in, int start, int available, PacketType type, MqttVersion version) {
    int remaining = 0;
    int multiplier = 1;
    int headerLength = 1;
    while (true) {
      if (headerLength >= available) {
        return -1;
      }
      int b = in.getUnsignedByte(start + headerLength);
      headerLength++;
      remaining += (b & 0x7F) * multiplier;
      if ((b & 0x80) == 0) {
        if (b == 0 && headerLength > 2) {
          throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, type, version,
              "remaining length is not encoded in the minimum number of bytes"); // MQTT-1.5.5-1
        }
        return (long) remaining << 3 | headerLength;
      }
      if (headerLength == 5) {
        throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, type, version,
            "remaining length is longer than four bytes");
      }
      multiplier *= 128;
    }
  }

  /** The packet type, after the checks of the first byte's flags (section 2.1.3). */
  private static PacketType checkFixedHeader(int firstByte, MqttVersion version) {
    PacketType type = PacketType.of(firstByte >> 4);
    int flags = firstByte & 0x0F;
    if (type == null) {
      throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, null, version, "reserved packet type 0");
    }
    // Before the CONNECT (version null) packets are read as MQTT 3.1.1, where type 15 is reserved.
    if (type == PacketType.AUTH && (version == null || !version.isV5())) {
      throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, null, version,
          "packet type 15 is reserved before MQTT 5.0");
    }
    switch (type) {
      case PUBLISH:
        if ((flags & 0x06) == 0x06) {
          throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, type, version, "PUBLISH with QoS 3"); // MQTT-3.3.1-4
        }
        break;
      case PUBREL:
      case SUBSCRIBE:
      case UNSUBSCRIBE:
        // MQTT 3.1 sets DUP on these too when it sends them again (3.1 section 2.1); 3.1.1 reserved it.
        if ((version == MqttVersion.V3_1 ? flags & 0x07 : flags) != 0x02) {
          throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, type, version,
              type + " fixed header flags must be 0010"); // MQTT-3.6.1-1, MQTT-3.8.1-1, MQTT-3.10.1-1
        }
        break;
      default:
        if (flags != 0) {
          // 0x16 first, before any CONNECT: the record type of a TLS handshake, a client that
          // speaks TLS to a plain listener (the most common setup mistake; say so).
          throw new MqttDecodeException(ReasonCodes.MALFORMED_PACKET, type, version, type + " fixed header flags must be 0000"
              + (version == null && type == PacketType.CONNECT && flags == 0x06
                  ? " (0x16: a TLS handshake? This listener is plain MQTT: connect without TLS, or to a TLS listener)" : ""));
          // MQTT-2.2.2-2
        }
    }
    return type;
  }
}
