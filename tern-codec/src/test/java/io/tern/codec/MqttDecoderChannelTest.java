package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.tern.codec.TestPackets.Row;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MqttDecoder} as a Netty handler, on an {@link EmbeddedChannel}: bytes in any split. */
class MqttDecoderChannelTest {
  private static final int MAX = MqttDecoder.PROTOCOL_MAX_PACKET_SIZE;

  static Stream<Row> allRows() {
    return TestPackets.ALL.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allRows")
  void rowDecodesTheSameWhenFedOneByteAtATime(Row row) {
    EmbeddedChannel ch = channelFor(row);
    byte[] b = row.bytes();
    // Feeding megabytes one byte at a time adds nothing but time: large rows go in 4 KB steps.
    int step = b.length > 65_536 ? 4096 : 1;
    for (int i = 0; i < b.length; i += step) {
      int n = Math.min(step, b.length - i);
      ch.writeInbound(Unpooled.wrappedBuffer(b, i, n));
      if (i + n < b.length && row.isValid()) {
        assertThat((Object) ch.readInbound()).as("output after %d of %d bytes", i + n, b.length).isNull();
      }
    }
    List<Object> out = drain(ch);
    assertThat(out).hasSize(1);
    if (row.isValid()) {
      assertThat(out.get(0)).isEqualTo(row.packet());
    } else {
      assertThat(out.get(0)).isInstanceOfSatisfying(MqttDecodeException.class,
          e -> assertThat(e.reasonCode()).isEqualTo(row.reasonCode()));
    }
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void severalPacketsInOneBufferAllDecode(MqttVersion version) {
    Session s = session(version);
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MAX));
    ch.writeInbound(Unpooled.wrappedBuffer(s.bytes));
    assertThat(drain(ch)).containsExactlyElementsOf(s.packets);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 1234, 99_999})
  void randomSplitsDecodeTheSamePackets(long seed) {
    Random random = new Random(seed);
    for (MqttVersion version : MqttVersion.values()) {
      Session s = session(version);
      EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MAX));
      List<Object> out = new ArrayList<>();
      int i = 0;
      while (i < s.bytes.length) {
        int n = Math.min(s.bytes.length - i, 1 + random.nextInt(random.nextBoolean() ? 8 : 600));
        ch.writeInbound(Unpooled.wrappedBuffer(s.bytes, i, n));
        out.addAll(drain(ch));
        i += n;
      }
      assertThat(out).as("seed %d, %s", seed, version).containsExactlyElementsOf(s.packets);
      assertThat(ch.finishAndReleaseAll()).isFalse();
    }
  }

  @Test
  void serverDecoderLearnsTheVersionFromConnect() {
    MqttDecoder decoder = new MqttDecoder(MAX);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    assertThat(decoder.version()).isNull();
    Row connect = TestPackets.row("5.0 CONNECT clean start, client id");
    Row publish = TestPackets.row("5.0 PUBLISH every property, three subscription identifiers");
    byte[] both = concat(connect.bytes(), publish.bytes());
    ch.writeInbound(Unpooled.wrappedBuffer(both));
    assertThat(drain(ch)).containsExactly(connect.packet(), publish.packet());
    assertThat(decoder.version()).isEqualTo(MqttVersion.V5);
    ch.finishAndReleaseAll();
  }

  @Test
  void serverDecoderReadsPacketsBeforeConnectAsMqtt311() {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MAX));
    // A 5.0 PUBLISH read as 3.1.1: the property length byte becomes the first payload byte.
    ch.writeInbound(Unpooled.wrappedBuffer(TestPackets.row("5.0 PUBLISH QoS 0").bytes()));
    Publish p = (Publish) ch.readInbound();
    assertThat(p.payload()).isEqualTo(TestPackets.hex("00 'hello'"));
    ch.finishAndReleaseAll();
  }

  @Test
  void onlyTheFirstConnectSetsTheVersion() {
    MqttDecoder decoder = new MqttDecoder(MAX);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    ch.writeInbound(Unpooled.wrappedBuffer(concat(
        TestPackets.row("3.1.1 CONNECT clean session, client id").bytes(),
        TestPackets.row("5.0 CONNECT clean start, client id").bytes())));
    assertThat(drain(ch)).hasSize(2);
    assertThat(decoder.version()).isEqualTo(MqttVersion.V3_1_1);
    ch.finishAndReleaseAll();
  }

  @Test
  void clientDecoderUsesTheVersionItWasGiven() {
    MqttDecoder decoder = new MqttDecoder(MAX, MqttVersion.V5);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    Row ack = TestPackets.row("5.0 PUBACK reason string, user property");
    ch.writeInbound(Unpooled.wrappedBuffer(ack.bytes()));
    assertThat((Object) ch.readInbound()).isEqualTo(ack.packet());
    assertThat(decoder.version()).isEqualTo(MqttVersion.V5);
    ch.finishAndReleaseAll();
  }

  @Test
  void afterAnErrorTheExceptionIsEmittedOnceAndNothingMore() {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MAX, MqttVersion.V3_1_1));
    Row bad = TestPackets.row("QoS 3: 3.1.1 PUBLISH");
    Row good = TestPackets.row("3.1.1 PUBLISH QoS 1");
    ch.writeInbound(Unpooled.wrappedBuffer(concat(good.bytes(), bad.bytes(), good.bytes())));
    List<Object> out = drain(ch);
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isEqualTo(good.packet());
    assertThat(out.get(1)).isInstanceOfSatisfying(MqttDecodeException.class,
        e -> assertThat(e.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PACKET));

    ByteBuf more = Unpooled.wrappedBuffer(concat(good.bytes(), good.bytes()));
    ch.writeInbound(more);
    assertThat(drain(ch)).isEmpty();
    assertThat(more.refCnt()).as("later input is discarded, not kept").isZero();
    ch.writeInbound(Unpooled.wrappedBuffer(TestPackets.hex("32 0E 00 05")));
    assertThat(ch.finishAndReleaseAll()).as("nothing more, even at close").isFalse();
  }

  @Test
  void incompletePacketAtCloseEmitsNothing() {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MAX, MqttVersion.V3_1_1));
    byte[] b = TestPackets.row("3.1.1 PUBLISH QoS 1").bytes();
    ch.writeInbound(Unpooled.wrappedBuffer(b, 0, b.length - 1));
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  // ------------------------------------------------------------------------------ size limit

  @Test
  void packetOf256MegabytesIsRefusedAsSoonAsItsHeaderArrives() {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(1024 * 1024));
    byte[] header = TestPackets.hex("30 FF FF FF 7F"); // Remaining Length 268,435,455
    for (int i = 0; i < 4; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(header, i, 1));
      assertThat((Object) ch.readInbound()).isNull();
    }
    ch.writeInbound(Unpooled.wrappedBuffer(header, 4, 1));
    assertThat((Object) ch.readInbound()).isInstanceOfSatisfying(MqttDecodeException.class, e -> {
      assertThat(e.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
      assertThat(e.packetType()).isEqualTo(PacketType.PUBLISH);
    });
    ByteBuf body = Unpooled.wrappedBuffer(new byte[64 * 1024]);
    ch.writeInbound(body);
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(body.refCnt()).as("the body is discarded, not buffered").isZero();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void staticDecodeRefusesAnOversizedPacketFromItsHeaderAlone() {
    ByteBuf header = Unpooled.wrappedBuffer(TestPackets.hex("10 FF FF FF 7F"));
    assertThatThrownBy(() -> MqttDecoder.decode(header, null, 1024))
        .isInstanceOfSatisfying(MqttDecodeException.class, e -> {
          assertThat(e.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
          assertThat(e.packetType()).isEqualTo(PacketType.CONNECT);
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 5, 127, 128, 1000, 16_385, 2_097_157})
  void packetExactlyAtTheLimitPassesAndOneByteMoreIsRefused(int max) {
    byte[] atLimit = publishOfSize(max);
    assertThat(atLimit).hasSize(max);
    EmbeddedChannel ok = new EmbeddedChannel(new MqttDecoder(max, MqttVersion.V3_1_1));
    ok.writeInbound(Unpooled.wrappedBuffer(atLimit));
    assertThat((Object) ok.readInbound()).isInstanceOf(MqttPacket.class);
    ok.finishAndReleaseAll();

    byte[] over = headerOfSize(max + 1); // no body: the header alone is refused
    EmbeddedChannel refused = new EmbeddedChannel(new MqttDecoder(max, MqttVersion.V3_1_1));
    refused.writeInbound(Unpooled.wrappedBuffer(over));
    assertThat((Object) refused.readInbound()).isInstanceOfSatisfying(MqttDecodeException.class,
        e -> assertThat(e.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE));
    refused.finishAndReleaseAll();
  }

  @Test
  void aLargePacketArrivingInReadsIsBufferedWithAFewCopiesNotOnePer4MiB() {
    int size = 32 * 1024 * 1024;
    byte[] packet = publishOfSize(size);
    CountingAllocator alloc = new CountingAllocator();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(new MqttDecoder(MAX, MqttVersion.V3_1_1));
    for (int i = 0; i < packet.length; i += 65_536) { // as reads from a socket come
      ch.writeInbound(Unpooled.wrappedBuffer(packet, i, Math.min(65_536, packet.length - i)));
    }
    assertThat((Object) ch.readInbound()).isInstanceOfSatisfying(Publish.class,
        p -> assertThat(p.payload().length).isEqualTo(size - 8)); // 5 bytes of fixed header, 3 of topic
    // Doubling up to the announced size: 256 KiB, 640 KiB, ..., 24 MiB, then 32 MiB: 2.5 times the
    // packet. Netty's own cumulator grows by 4 MiB past 4 MiB: 4 + 8 + ... + 32 MiB, 4.5 times (and
    // the ratio grows with the packet: 8.5 times for 64 MiB).
    assertThat(alloc.allocated).as("bytes allocated to hold the packet").isLessThan(3L * size);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void growCumulationDoublesWhatIsHeldWhenTheSizeIsUnknown() {
    ByteBuf held = Unpooled.buffer(8192, 8192).writeBytes(new byte[8192]);
    ByteBuf grown = MqttDecoder.growCumulation(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, held,
        Unpooled.wrappedBuffer(new byte[100]), Long.MAX_VALUE);
    assertThat(grown.readableBytes()).isEqualTo(8292);
    assertThat(grown.capacity()).isGreaterThanOrEqualTo(2 * 8292);
    assertThat(held.refCnt()).isZero();
    grown.release();
  }

  /**
   * Adds up the bytes of every array its buffers allocate: when made, and when a buffer grows in
   * place (Netty's cumulator writes into the buffer it holds while it can, which reallocates it).
   */
  private static final class CountingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
    long allocated;

    CountingAllocator() {
      super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      return new io.netty.buffer.UnpooledHeapByteBuf(this, initialCapacity, maxCapacity) {
        @Override
        protected byte[] allocateArray(int length) {
          allocated += length;
          return super.allocateArray(length);
        }
      };
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }

  @Test
  void maximumPacketSizeBelowTwoIsRefused() {
    assertThatThrownBy(() -> new MqttDecoder(1)).isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------------------ helpers

  /**
   * A 3.1.1 packet of exactly {@code size} bytes: a PINGREQ for 2, otherwise a QoS 0 PUBLISH to
   * "a" whose payload fills the rest (sizes 3, 4, 130, 16,387, ... cannot be written with a
   * minimal Remaining Length and a valid PUBLISH).
   */
  private static byte[] publishOfSize(int size) {
    if (size == 2) {
      return TestPackets.hex("C0 00");
    }
    for (int header = 2; header <= 5; header++) {
      int remaining = size - header;
      if (remaining >= 3 && MqttEncoder.varintSize(remaining) == header - 1) {
        return Codec.encode(new Publish("a", TestPackets.payload(remaining - 3)), MqttVersion.V3_1_1);
      }
    }
    throw new IllegalArgumentException("no packet of " + size + " bytes");
  }

  /** The fixed header of a PUBLISH whose whole packet would be {@code size} bytes. */
  private static byte[] headerOfSize(int size) {
    for (int header = 2; header <= 5; header++) {
      int remaining = size - header;
      if (remaining >= 0 && MqttEncoder.varintSize(remaining) == header - 1) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeByte(0x30);
        MqttEncoder.writeVarint(buf, remaining);
        return ByteBufUtil.getBytes(buf);
      }
    }
    throw new IllegalArgumentException("no packet of " + size + " bytes");
  }

  /** Several packets of one version as one byte stream, CONNECT first, and what they decode to. */
  record Session(byte[] bytes, List<MqttPacket> packets) {}

  static Session session(MqttVersion version) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<MqttPacket> packets = new ArrayList<>();
    Row connect = TestPackets.VALID.stream()
        .filter(r -> r.packet() instanceof Connect c && c.version() == version).findFirst().orElseThrow();
    out.writeBytes(connect.bytes());
    packets.add(connect.packet());
    for (Row r : TestPackets.VALID) {
      if (r.version() == version && !(r.packet() instanceof Connect) && r.length() < 100_000) {
        out.writeBytes(r.bytes());
        packets.add(r.packet());
      }
    }
    return new Session(out.toByteArray(), packets);
  }

  private static EmbeddedChannel channelFor(Row row) {
    boolean connect = (row.bytes()[0] & 0xF0) == 0x10;
    return new EmbeddedChannel(row.version() == null || connect
        ? new MqttDecoder(MAX)
        : new MqttDecoder(MAX, row.version()));
  }

  static List<Object> drain(EmbeddedChannel ch) {
    List<Object> out = new ArrayList<>();
    Object o;
    while ((o = ch.readInbound()) != null) {
      out.add(o);
    }
    return out;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
