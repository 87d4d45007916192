package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.TestPackets.Row;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The seed corpus of {@link MqttDecoderFuzzTest}: one input per {@link TestPackets} row, and one
 * session of small packets per version. Checked here against the catalogue; rewritten with
 *
 * <pre>
 * mvn -pl tern-codec test -Dtest=FuzzSeedsTest -Dtern.writeFuzzSeeds=true
 * </pre>
 */
class FuzzSeedsTest {
  static final Path DIR = Path.of("src/test/resources/io/tern/codec/MqttDecoderFuzzTestInputs",
      "decoderRaisesOnlyDecodeExceptionsAndReencodesWhatItDecodes");

  @Test
  @DisabledIfSystemProperty(named = "tern.writeFuzzSeeds", matches = "true")
  void seedCorpusHoldsEveryCatalogueRow() throws IOException {
    for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
      Path file = DIR.resolve(seed.getKey());
      assertThat(file).as("seed %s is missing: rewrite the corpus (see FuzzSeedsTest)", file).exists();
      assertThat(Files.readAllBytes(file)).as("seed %s is stale: rewrite the corpus (see FuzzSeedsTest)", file)
          .isEqualTo(seed.getValue());
    }
  }

  @Test
  void everySeedPassesTheFuzzTarget() {
    seeds().values().forEach(MqttDecoderFuzzTest::check);
  }

  @Test
  @EnabledIfSystemProperty(named = "tern.writeFuzzSeeds", matches = "true")
  void writeSeedCorpus() throws IOException {
    Files.createDirectories(DIR);
    try (var files = Files.list(DIR)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().startsWith("seed-")) {
          Files.delete(f);
        }
      }
    }
    for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
      Files.write(DIR.resolve(seed.getKey()), seed.getValue());
    }
  }

  /** File name to content. */
  static Map<String, byte[]> seeds() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    for (Row r : TestPackets.ALL) {
      if (r.length() > MqttDecoderFuzzTest.MAX_PACKET_SIZE) {
        continue;
      }
      boolean connect = (r.bytes()[0] & 0xF0) == 0x10;
      seeds.put(fileName(r.name()), input(connect ? null : r.version(), 7, r.bytes()));
    }
    for (MqttVersion v : MqttVersion.values()) {
      ByteArrayOutputStream session = new ByteArrayOutputStream();
      for (Row r : TestPackets.VALID) {
        if (r.packetVersion() == v && r.length() <= 200 && (r.packet() instanceof Connect || r.version() == v)) {
          if (r.packet() instanceof Connect && session.size() > 0) {
            continue; // one CONNECT, first
          }
          session.writeBytes(r.bytes());
        }
      }
      seeds.put(fileName("session " + v), input(null, 3, session.toByteArray()));
    }
    return seeds;
  }

  private static byte[] input(MqttVersion mode, int splitSeed, byte[] stream) {
    byte[] in = new byte[stream.length + 2];
    in[0] = (byte) (mode == null ? 0 : mode.ordinal() + 1);
    in[1] = (byte) splitSeed;
    System.arraycopy(stream, 0, in, 2, stream.length);
    return in;
  }

  private static String fileName(String name) {
    CRC32 crc = new CRC32();
    crc.update(name.getBytes(StandardCharsets.UTF_8));
    String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    if (slug.length() > 60) {
      slug = slug.substring(0, 60);
    }
    return String.format("seed-%s-%08x", slug, crc.getValue());
  }
}
