package io.tern.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of the generator's own process (from the JVM) and of the broker's (from
 * {@code /proc/PID/stat} on Linux), so a result says how much of the machine each side used.
 */
final class CpuMeter {
  /** Linux's USER_HZ, the unit of /proc/PID/stat times: 100 on every mainstream architecture. */
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  private CpuMeter() {}

  /** This process's CPU time in nanoseconds, or -1 when the JVM does not say. */
  static long selfNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The user plus system CPU time of a process in nanoseconds, or -1 when unknown. */
  static long processNanos(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14 and 15
      return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU time all processes of the machine spent in user and kernel mode (not interrupts, not idle),
   * in nanoseconds, from the first line of /proc/stat; -1 when unknown.
   */
  static long machineNanos() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long ticks = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]); // user nice system
      return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The resident memory of a process in KiB (VmRSS of /proc/PID/status), or -1 when unknown. */
  static long rssKib(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Milliseconds this JVM's collectors have spent collecting so far. */
  static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  /** One reading of every counter, taken at an edge of the measured window. */
  record Reading(long wallNanos, long selfCpu, long brokerCpu, long machineCpu, long gcMillis) {
    static Reading take(long brokerPid) {
      return new Reading(System.nanoTime(), selfNanos(), processNanos(brokerPid), machineNanos(), CpuMeter.gcMillis());
    }
  }

  /** CPU use between two readings as a percentage of one core, or null when either is unknown. */
  static Double percent(long cpuBefore, long cpuAfter, long wallNanos) {
    if (cpuBefore < 0 || cpuAfter < 0 || wallNanos <= 0) {
      return null;
    }
    return 100.0 * (cpuAfter - cpuBefore) / wallNanos;
  }
}
