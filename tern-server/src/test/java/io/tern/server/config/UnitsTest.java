package io.tern.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
  @ParameterizedTest
  @CsvSource({
    "262144, 262144",
    "0, 0",
    "100B, 100",
    "256KiB, 262144",
    "256 KiB, 262144",
    "1MiB, 1048576",
    "1mib, 1048576",
    "2GiB, 2147483648",
  })
  void sizesAreBytesOrBinaryUnits(String text, long bytes) {
    assertThat(Units.parseSize(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1KB", "1MB", "1k", "1.5MiB", "-1", "MiB", "", "1 2KiB"})
  void sizesWithDecimalUnitsFractionsOrSignsAreRefused(String text) {
    assertThatThrownBy(() -> Units.parseSize(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSizeBeyondLongIsRefused() {
    assertThatThrownBy(() -> Units.parseSize("99999999999999999GiB")).hasMessageContaining("too large");
  }

  @ParameterizedTest
  @CsvSource({"500ms, 500", "10s, 10000", "2m, 120000", "1h, 3600000", "10 s, 10000"})
  void durationsNeedAUnit(String text, long millis) {
    assertThat(Units.parseDuration(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void aBareNumberIsNotADuration() {
    assertThatThrownBy(() -> Units.parseDuration("10")).hasMessageContaining("needs a unit");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10d", "1.5s", "-1s", "s", "PT10S", "10S"})
  void unknownOrMalformedDurationsAreRefused(String text) {
    assertThatThrownBy(() -> Units.parseDuration(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void formatsReadBackToTheSameValue() {
    for (long bytes : new long[] {0, 1, 1000, 1024, 262144, 1048576, 3L << 30}) {
      assertThat(Units.parseSize(Units.formatSize(bytes))).isEqualTo(bytes);
    }
    for (Duration d : new Duration[] {Duration.ZERO, Duration.ofMillis(1500), Duration.ofSeconds(10),
        Duration.ofMinutes(2), Duration.ofHours(3)}) {
      assertThat(Units.parseDuration(Units.formatDuration(d))).isEqualTo(d);
    }
    assertThat(Units.formatSize(1048576)).isEqualTo("1MiB");
    assertThat(Units.formatDuration(Duration.ofSeconds(10))).isEqualTo("10s");
  }
}
