package io.tern.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Fuzzes the decoder: the static {@link MqttDecoder#decode} over a whole stream and the Netty
 * handler fed the same stream in random splits must agree; only {@link MqttDecodeException} may be
 * raised; whatever decodes must re-encode and decode to an equal packet.
 *
 * <p>Input: byte 0 picks the decoder (server mode, or fixed 3.1, 3.1.1, 5.0), byte 1 seeds the
 * splits, the rest is the byte stream. The seed corpus, one file per {@link TestPackets} row plus a
 * session per version, is in {@code src/test/resources/io/tern/codec/MqttDecoderFuzzTestInputs}
 * (written by {@link FuzzSeedsTest}).
 *
 * <p>Runs in regression mode (the seeds) under {@code mvn verify}, in its own surefire execution.
 * To fuzz: {@code JAZZER_FUZZ=1 JAZZER_INSTRUMENTATION_INCLUDES='io.tern.**' mvn -pl tern-codec
 * test-compile surefire:test@fuzz-regression}; findings land in the inputs directory and become
 * regression inputs.
 */
class MqttDecoderFuzzTest {
  /** Small, so a fuzzed length field can never make the decoder hold much. */
  static final int MAX_PACKET_SIZE = 4096;

  private static final MqttVersion[] MODES = {null, MqttVersion.V3_1, MqttVersion.V3_1_1, MqttVersion.V5};

  @FuzzTest(maxDuration = "10m")
  void decoderRaisesOnlyDecodeExceptionsAndReencodesWhatItDecodes(byte[] input) {
    check(input);
  }

  /** The fuzz target: throws on any finding. */
  static void check(byte[] input) {
    if (input.length < 2) {
      return;
    }
    MqttVersion mode = MODES[(input[0] & 0xFF) % MODES.length];
    Random splits = new Random(input[1]);
    byte[] stream = Arrays.copyOfRange(input, 2, input.length);

    List<Object> whole = decodeWhole(stream, mode);
    List<Object> split = decodeInSplits(stream, mode, splits);
    if (!sameOutcome(whole, split)) {
      throw new AssertionError("decode in one piece " + whole + " differs from decode in splits " + split);
    }
    for (Object o : whole) {
      if (o instanceof Decoded d) {
        reencode(d.packet, d.version);
      }
    }
  }

  /** A packet and the version it was decoded as. */
  record Decoded(MqttPacket packet, MqttVersion version) {
    @Override
    public String toString() {
      return packet.toString();
    }
  }

  /** Static decode, packet after packet, learning the version from CONNECT as the handler does. */
  private static List<Object> decodeWhole(byte[] stream, MqttVersion mode) {
    List<Object> out = new ArrayList<>();
    ByteBuf buf = Unpooled.wrappedBuffer(stream);
    MqttVersion version = mode;
    while (true) {
      int before = buf.readerIndex();
      MqttPacket p;
      try {
        p = MqttDecoder.decode(buf, version, MAX_PACKET_SIZE);
      } catch (MqttDecodeException e) {
        out.add(e);
        return out;
      }
      if (p == null) {
        if (buf.readerIndex() != before) {
          throw new AssertionError("decode returned null but consumed " + (buf.readerIndex() - before) + " bytes");
        }
        return out;
      }
      int consumed = buf.readerIndex() - before;
      if (consumed < 2 || consumed > MAX_PACKET_SIZE) {
        throw new AssertionError("decoded " + p + " from " + consumed + " bytes");
      }
      out.add(new Decoded(p, p instanceof Connect c ? c.version() : version == null ? MqttVersion.V3_1_1 : version));
      if (version == null && p instanceof Connect c) {
        version = c.version();
      }
    }
  }

  private static List<Object> decodeInSplits(byte[] stream, MqttVersion mode, Random random) {
    EmbeddedChannel ch = new EmbeddedChannel(mode == null
        ? new MqttDecoder(MAX_PACKET_SIZE)
        : new MqttDecoder(MAX_PACKET_SIZE, mode));
    List<Object> out = new ArrayList<>();
    try {
      int i = 0;
      while (i < stream.length) {
        int n = Math.min(stream.length - i, 1 + random.nextInt(random.nextBoolean() ? 4 : 64));
        ch.writeInbound(Unpooled.wrappedBuffer(stream, i, n));
        i += n;
        drain(ch, out);
      }
      ch.finish();
      drain(ch, out);
    } finally {
      ch.finishAndReleaseAll();
    }
    return out;
  }

  private static void drain(EmbeddedChannel ch, List<Object> out) {
    Object o;
    while ((o = ch.readInbound()) != null) {
      out.add(o);
    }
  }

  private static boolean sameOutcome(List<Object> whole, List<Object> split) {
    if (whole.size() != split.size()) {
      return false;
    }
    for (int i = 0; i < whole.size(); i++) {
      Object a = whole.get(i);
      Object b = split.get(i);
      if (a instanceof Decoded d) {
        if (!d.packet.equals(b)) {
          return false;
        }
      } else {
        MqttDecodeException x = (MqttDecodeException) a;
        if (!(b instanceof MqttDecodeException y)
            || x.reasonCode() != y.reasonCode()
            || x.packetType() != y.packetType()
            || x.version() != y.version()
            || !Objects.equals(x.getMessage(), y.getMessage())) {
          return false;
        }
      }
    }
    return true;
  }

  /** Encode what was decoded, in the version it was decoded as, and decode it again: equal. */
  private static void reencode(MqttPacket packet, MqttVersion version) {
    byte[] bytes;
    try {
      bytes = Codec.encode(packet, version);
    } catch (IllegalArgumentException e) {
      throw new AssertionError("the encoder refuses what the decoder accepted: " + packet + " in " + version, e);
    }
    if (bytes.length != MqttEncoder.encodedSize(packet, version)) {
      throw new AssertionError("encodedSize differs from the encoding of " + packet);
    }
    MqttPacket again;
    try {
      again = Codec.decode(bytes, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
    } catch (MqttDecodeException e) {
      throw new AssertionError("the re-encoding of " + packet + " in " + version + " does not decode: " + e, e);
    }
    if (!again.equals(packet)) {
      throw new AssertionError("re-encoded " + packet + " decodes as " + again);
    }
  }
}
