package io.tern.server.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the sizes ({@code 256KiB}) and durations ({@code 10s}) written in configuration files. */
public final class Units {
  private static final Pattern NUMBER_AND_UNIT = Pattern.compile("\\s*(\\d+)\\s*([A-Za-z]*)\\s*");

  private Units() {}

  /**
   * A size in bytes: a whole number with an optional binary unit, {@code B}, {@code KiB},
   * {@code MiB} or {@code GiB} (case ignored): {@code 262144}, {@code 256KiB}, {@code 1 MiB}.
   * Decimal units ({@code KB}, {@code MB}) are refused: they are read as 1000 or 1024 depending on
   * who wrote them.
   *
   * @throws IllegalArgumentException for anything else, or a size beyond {@code Long.MAX_VALUE}
   */
  public static long parseSize(String text) {
    Matcher m = NUMBER_AND_UNIT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size such as 262144, 256KiB or 1MiB");
    }
    long multiplier = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> 1L;
      case "kib" -> 1L << 10;
      case "mib" -> 1L << 20;
      case "gib" -> 1L << 30;
      default -> throw new IllegalArgumentException(
          "unknown size unit '" + m.group(2) + "': use B, KiB, MiB or GiB");
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), multiplier);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size too large");
    }
  }

  /**
   * A duration: a whole number and a unit, {@code ms}, {@code s}, {@code m} or {@code h}:
   * {@code 500ms}, {@code 10s}, {@code 2m}. A bare number is refused: seconds or milliseconds?
   *
   * @throws IllegalArgumentException for anything else
   */
  public static Duration parseDuration(String text) {
    Matcher m = NUMBER_AND_UNIT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration such as 500ms, 10s, 2m or 1h");
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("duration too large");
    }
    try {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        case "" -> throw new IllegalArgumentException("a duration needs a unit: ms, s, m or h (as in 10s)");
        default -> throw new IllegalArgumentException("unknown duration unit '" + m.group(2) + "': use ms, s, m or h");
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration too large");
    }
  }

  /** A duration the way {@link #parseDuration} reads it, in the largest unit that is exact. */
  public static String formatDuration(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms != 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms != 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  /** A size the way {@link #parseSize} reads it, in the largest unit that is exact. */
  public static String formatSize(long bytes) {
    if (bytes != 0 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes != 0 && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    if (bytes != 0 && bytes % (1L << 10) == 0) {
      return (bytes >> 10) + "KiB";
    }
    return Long.toString(bytes);
  }
}
