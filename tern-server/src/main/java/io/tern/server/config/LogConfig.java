package io.tern.server.config;

import java.util.Objects;

/**
 * Logging settings, under {@code log:}.
 *
 * @param level the level of every logger; connects and disconnects are logged at INFO
 */
public record LogConfig(LogLevel level) {
  public LogConfig {
    Objects.requireNonNull(level, "level");
  }

  public static LogConfig defaults() {
    return new LogConfig(LogLevel.INFO);
  }
}
