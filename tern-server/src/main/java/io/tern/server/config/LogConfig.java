package io.tern.server.config;

import java.util.Objects;

/**
 * Logging settings, under {@code log:}.
 *
 * @param level the level of every logger; connects and disconnects are logged at INFO
 * @param format {@code text} (one human-readable line per event, the default) or {@code json} (one
 *     JSON object per line, for log collectors)
 */
public record LogConfig(LogLevel level, Format format, boolean connections) {
  /** How log lines are written. */
  public enum Format { TEXT, JSON }

  public LogConfig {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(format, "format");
  }

  /** Text format. */
  public LogConfig(LogLevel level) {
    this(level, Format.TEXT);
  }

  /** Without a line per connect and disconnect. */
  public LogConfig(LogLevel level, Format format) {
    this(level, format, false);
  }

  public static LogConfig defaults() {
    return new LogConfig(LogLevel.INFO, Format.TEXT, false);
  }
}
