package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tern.codec.TestPackets.Row;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of {@link TestPackets} against the static decoder and encoder. */
class CatalogueTest {

  static Stream<Row> validRows() {
    return TestPackets.VALID.stream();
  }

  static Stream<Row> canonicalRows() {
    return TestPackets.VALID.stream().filter(Row::canonical);
  }

  static Stream<Row> connectRows() {
    return TestPackets.VALID.stream().filter(r -> r.packet() instanceof Connect);
  }

  static Stream<Row> errorRows() {
    return TestPackets.ERRORS.stream();
  }

  static Stream<Row> smallValidRows() {
    return TestPackets.VALID.stream().filter(r -> r.length() <= 300);
  }

  /** Rows whose Remaining Length matches their bytes: all but those about the Remaining Length itself. */
  static Stream<Row> rowsWithAWellFormedRemainingLength() {
    return TestPackets.ALL.stream().filter(r -> !r.rule().equals("remaining length too long")
        && !r.name().startsWith("non-minimal variable byte integer: remaining length"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rowsWithAWellFormedRemainingLength")
  void rowDeclaresItsOwnRemainingLength(Row row) {
    byte[] b = row.bytes();
    int remaining = 0;
    int multiplier = 1;
    int i = 1;
    int digit;
    do {
      digit = b[i++] & 0xFF;
      remaining += (digit & 0x7F) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    assertThat(b.length - i).as("body length of %s", row).isEqualTo(remaining);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validRows")
  void validRowDecodesToItsPacket(Row row) {
    assertThat(Codec.decode(row.bytes(), row.version())).isEqualTo(row.packet());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("canonicalRows")
  void encoderWritesTheBytesOfACanonicalRow(Row row) {
    byte[] encoded = Codec.encode(row.packet(), row.packetVersion());
    assertThat(Codec.hex(encoded)).isEqualTo(Codec.hex(row.bytes()));
    assertThat(MqttEncoder.encodedSize(row.packet(), row.packetVersion())).isEqualTo(row.length());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validRows")
  void packetOfEveryRowSurvivesEncodeAndDecode(Row row) {
    byte[] encoded = Codec.encode(row.packet(), row.packetVersion());
    assertThat(Codec.decode(encoded, row.packetVersion())).isEqualTo(row.packet());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("connectRows")
  void connectDecodesTheSameBeforeTheVersionIsKnown(Row row) {
    assertThat(Codec.decode(row.bytes(), null)).isEqualTo(row.packet());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallValidRows")
  void everyProperPrefixOfAPacketIsIncompleteAndConsumesNothing(Row row) {
    byte[] b = row.bytes();
    for (int n = 0; n < b.length; n++) {
      ByteBuf buf = Unpooled.wrappedBuffer(b, 0, n);
      assertThat(MqttDecoder.decode(buf, row.version(), MqttDecoder.PROTOCOL_MAX_PACKET_SIZE))
          .as("prefix of %d bytes", n).isNull();
      assertThat(buf.readerIndex()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errorRows")
  void errorRowRaisesItsReasonCode(Row row) {
    ByteBuf buf = Unpooled.wrappedBuffer(row.bytes());
    assertThatThrownBy(() -> MqttDecoder.decode(buf, row.version(), MqttDecoder.PROTOCOL_MAX_PACKET_SIZE))
        .isInstanceOf(MqttDecodeException.class)
        .satisfies(e -> assertThat(((MqttDecodeException) e).reasonCode())
            .as("reason code of %s: %s", row, e)
            .isEqualTo(row.reasonCode()));
  }

  @Test
  void catalogueHasEveryPacketTypeInEveryVersion() {
    for (MqttVersion v : MqttVersion.values()) {
      Set<PacketType> types = EnumSet.noneOf(PacketType.class);
      TestPackets.VALID.stream().filter(r -> r.packetVersion() == v).forEach(r -> types.add(r.packet().type()));
      Set<PacketType> expected = EnumSet.allOf(PacketType.class);
      if (!v.isV5()) {
        expected.remove(PacketType.AUTH);
      }
      assertThat(types).as("packet types of %s", v).isEqualTo(expected);
    }
  }

  @Test
  void catalogueHasEveryPropertyInAPacketThatAllowsIt() {
    Set<Property> seen = EnumSet.noneOf(Property.class);
    Set<Property> seenInWill = EnumSet.noneOf(Property.class);
    for (Row r : TestPackets.VALID) {
      collect(properties(r.packet()), seen);
      if (r.packet() instanceof Connect c && c.will() != null) {
        collect(c.will().properties(), seenInWill);
      }
    }
    Set<Property> packetProperties = EnumSet.allOf(Property.class);
    packetProperties.remove(Property.WILL_DELAY_INTERVAL);
    assertThat(seen).isEqualTo(packetProperties);
    Set<Property> willProperties = EnumSet.noneOf(Property.class);
    for (Property p : Property.values()) {
      if (p.isWillProperty()) {
        willProperties.add(p);
      }
    }
    assertThat(seenInWill).isEqualTo(willProperties);
  }

  @Test
  void catalogueNamesAreUniqueAndRowsCanBeLookedUp() {
    Set<String> names = new HashSet<>();
    for (Row r : TestPackets.ALL) {
      assertThat(names.add(r.name())).as(r.name()).isTrue();
      assertThat(TestPackets.row(r.name())).isSameAs(r);
    }
    assertThat(TestPackets.ALL).hasSize(TestPackets.VALID.size() + TestPackets.ERRORS.size());
  }

  private static void collect(MqttProperties props, Set<Property> into) {
    for (Property p : Property.values()) {
      if (props.has(p)) {
        into.add(p);
      }
    }
    if (!props.userProperties().isEmpty()) {
      into.add(Property.USER_PROPERTY);
    }
    if (!props.subscriptionIdentifiers().isEmpty()) {
      into.add(Property.SUBSCRIPTION_IDENTIFIER);
    }
  }

  static MqttProperties properties(MqttPacket p) {
    if (p instanceof Connect c) {
      return c.properties();
    } else if (p instanceof ConnAck a) {
      return a.properties();
    } else if (p instanceof Publish x) {
      return x.properties();
    } else if (p instanceof PubAck x) {
      return x.properties();
    } else if (p instanceof PubRec x) {
      return x.properties();
    } else if (p instanceof PubRel x) {
      return x.properties();
    } else if (p instanceof PubComp x) {
      return x.properties();
    } else if (p instanceof Subscribe x) {
      return x.properties();
    } else if (p instanceof SubAck x) {
      return x.properties();
    } else if (p instanceof Unsubscribe x) {
      return x.properties();
    } else if (p instanceof UnsubAck x) {
      return x.properties();
    } else if (p instanceof Disconnect x) {
      return x.properties();
    } else if (p instanceof Auth x) {
      return x.properties();
    }
    return MqttProperties.EMPTY;
  }

  @Test
  void largeRowsCoverEveryRemainingLengthForm() {
    List<Integer> headerLengths = TestPackets.VALID.stream()
        .map(r -> {
          byte[] b = r.bytes();
          int i = 1;
          while ((b[i] & 0x80) != 0) {
            i++;
          }
          return i;
        })
        .distinct().sorted().toList();
    assertThat(headerLengths).containsExactly(1, 2, 3, 4);
  }

  /**
   * A decoded PUBLISH knows the size of its properties from the bytes it was read from (what a
   * broker counts them as): the size they encode to, without computing it again.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("canonicalRows")
  void decodedPropertiesKnowTheSizeTheyEncodeTo(Row row) {
    MqttPacket packet = Codec.decode(row.bytes(), row.version());
    if (packet instanceof Publish p && !p.properties().isEmpty()) {
      assertThat(p.properties().encodedSize())
          .isEqualTo(MqttEncoder.propertiesSize(p.properties().toBuilder().build()));
    }
  }
}
