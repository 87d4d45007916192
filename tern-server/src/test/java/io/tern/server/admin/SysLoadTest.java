package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The $SYS load averages: per-minute rates smoothed over 1, 5 and 15 minutes, as Mosquitto's. */
class SysLoadTest {
  @Test
  void aSteadyRateConvergesToItsPerMinuteValueFastestInTheOneMinuteAverage() {
    SysPublisher.Load load = new SysPublisher.Load();
    long count = 0;
    double[] a = load.update(count, 10);
    assertThat(a).containsExactly(0, 0, 0); // the first sample only sets the base
    for (int i = 0; i < 6; i++) { // one minute at 5 events per second = 300 per minute
      count += 50;
      a = load.update(count, 10);
    }
    assertThat(a[0]).isGreaterThan(a[1]).isGreaterThan(0);
    assertThat(a[1]).isGreaterThan(a[2]);
    assertThat(a[0]).isCloseTo(300 * (1 - Math.exp(-1)), within(0.01));
    for (int i = 0; i < 600; i++) { // 100 minutes more
      count += 50;
      a = load.update(count, 10);
    }
    assertThat(a[0]).isCloseTo(300, within(0.01));
    // 101 minutes into a steady rate, the 15-minute average is still e^(-101/15) short of it.
    assertThat(a[2]).isCloseTo(300 * (1 - Math.exp(-606 * 10 / 900.0)), within(0.01));
  }

  @Test
  void loadAveragesPrintAsStringFormatWouldWithTwoDecimals() {
    double[] values = {0, 0.004, 0.005, 0.015, 0.125, 1, 2.5, 12.345, 12.355, 299.99499, 299.995, 1e9 / 7, 123456789.125};
    for (double v : values) {
      assertThat(SysPublisher.twoDecimals(v)).as("%s", v).isEqualTo(String.format(java.util.Locale.ROOT, "%.2f", v));
    }
    java.util.Random random = new java.util.Random(8);
    for (int i = 0; i < 100_000; i++) {
      double v = random.nextDouble() * Math.pow(10, random.nextInt(9));
      assertThat(SysPublisher.twoDecimals(v)).as("%s", v).isEqualTo(String.format(java.util.Locale.ROOT, "%.2f", v));
    }
  }
}
