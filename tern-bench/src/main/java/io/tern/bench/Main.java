package io.tern.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * The command line of {@code tern-bench.jar}: a load scenario ({@code fanin}, {@code fanout},
 * {@code p2p}, {@code conns}, {@code retained}, {@code subs}) or {@code report}, which turns results files into BENCHMARKS.md.
 *
 * <pre>{@code
 * java -jar tern-bench/target/tern-bench.jar fanin --port 1883 --publishers 8 --qos 1 --label tern
 * }</pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      // Netty's default tracks one buffer in 128 through a wrapper of another class: the generator's
      // buffer calls then see two classes, and the JIT recompiled them during the measurement (its
      // compiler thread took a core for milliseconds, a stall in every broker's latency tail). The
      // tests run the generator with detection on.
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      (args.length == 0 ? err : out).println(BenchOptions.USAGE);
      return args.length == 0 ? BenchRun.EXIT_USAGE : BenchRun.EXIT_OK;
    }
    if (args[0].equals("report")) {
      return report(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (Arrays.asList(args).contains("--help")) {
      out.println(BenchOptions.USAGE);
      return BenchRun.EXIT_OK;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (BenchOptions.UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(BenchOptions.USAGE);
      return BenchRun.EXIT_USAGE;
    }
    startWatchdog(BenchRun.hardDeadlineSeconds(options), err);
    try {
      switch (options.scenario()) {
        case CONNS: return new ConnsRun(options, out, err).run();
        case RETAINED: return new RetainedRun(options, out, err).run();
        case SUBS: return new SubsRun(options, out, err).run();
        case OFFLINE: return new OfflineRun(options, out, err).run();
        default: return new BenchRun(options, out, err).run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted");
      return BenchRun.EXIT_FAILED;
    } catch (RuntimeException e) {
      err.println("error: " + e);
      return BenchRun.EXIT_FAILED;
    }
  }

  /** Ends the process if a run overstays its time, whatever a broker does or fails to do. */
  private static void startWatchdog(double seconds, PrintStream err) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep((long) (seconds * 1000));
      } catch (InterruptedException e) {
        return;
      }
      err.printf(Locale.ROOT, "error: hard deadline of %.0f s exceeded, giving up%n", seconds);
      err.flush();
      Runtime.getRuntime().halt(BenchRun.EXIT_DEADLINE);
    }, "bench-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private static int report(String[] args, PrintStream out, PrintStream err) {
    String results = null;
    String output = null;
    String section = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--out") && i + 1 < args.length) {
        output = args[++i];
      } else if (args[i].equals("--section") && i + 1 < args.length) {
        section = args[++i];
      } else if (results == null && !args[i].startsWith("--")) {
        results = args[i];
      } else {
        err.println("usage: tern-bench.jar report <results.jsonl> [--out FILE] [--section NAME]");
        return BenchRun.EXIT_USAGE;
      }
    }
    if (results == null) {
      err.println("usage: tern-bench.jar report <results.jsonl> [--out FILE] [--section NAME]");
      return BenchRun.EXIT_USAGE;
    }
    try {
      String markdown = MarkdownReport.render(java.nio.file.Path.of(results), section);
      if (output == null) {
        out.print(markdown);
      } else {
        java.nio.file.Files.writeString(java.nio.file.Path.of(output), markdown);
      }
      return BenchRun.EXIT_OK;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: cannot build the report from " + results + ": " + e.getMessage());
      return BenchRun.EXIT_FAILED;
    }
  }
}
