package io.tern.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code $SYS} topics, under {@code sys:}.
 *
 * @param interval how often the {@code $SYS/broker/...} topics are published (retained); zero: never.
 *     10 s by default, as Mosquitto's {@code sys_interval}
 */
public record SysConfig(Duration interval) {
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  public SysConfig {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative()) {
      throw new IllegalArgumentException("sys interval must not be negative");
    }
    if (!interval.isZero() && interval.toMillis() < 100) {
      throw new IllegalArgumentException("sys interval must be at least 100ms (or 0 to turn $SYS off)");
    }
  }

  public static SysConfig defaults() {
    return new SysConfig(DEFAULT_INTERVAL);
  }
}
