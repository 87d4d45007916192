package io.tern.server.it;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The built {@code tern.jar} running as a separate process, as a user would start it: the same
 * {@code java}, {@code -jar}, the given arguments. Its standard output and error are collected.
 */
final class TernProcess implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread reader;
  /** The working directory {@link #start(String...)} made, deleted by {@link #close}; else null. */
  private Path ownDir;

  private TernProcess(Process process) {
    this.process = process;
    this.reader = new Thread(this::readOutput, "tern-output-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** The jar under test: the failsafe property {@code tern.jar}, else target/tern.jar. */
  static Path jar() {
    Path jar = Path.of(System.getProperty("tern.jar", "target/tern.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run `mvn verify`, which builds it first");
    }
    return jar;
  }

  /**
   * Starts the jar in a new empty working directory, so that its default data directory (./data)
   * is its own: two servers never share one store.
   */
  static TernProcess start(String... args) {
    try {
      Path dir = Files.createTempDirectory("tern-it-");
      TernProcess tern = start(dir, args);
      tern.ownDir = dir;
      return tern;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts the jar in a new empty working directory with at most {@code openFiles} file
   * descriptors (soft and hard limit, so that the JVM cannot raise it), through bash's ulimit.
   */
  static TernProcess startWithOpenFilesLimit(int openFiles, String... args) {
    List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + openFiles + " && exec \"$0\" \"$@\""));
    command.addAll(javaJar(args));
    return startInNewDir(command);
  }

  /** Runs {@code command} in a new empty working directory, deleted by {@link #close}. */
  private static TernProcess startInNewDir(List<String> command) {
    try {
      Path dir = Files.createTempDirectory("tern-it-");
      TernProcess tern = new TernProcess(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start());
      tern.ownDir = dir;
      return tern;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the jar in a new empty working directory with options for the JVM ({@code -Xmx64m}). */
  static TernProcess startWithJvmOptions(List<String> jvmOptions, String... args) {
    List<String> command = javaJar(args);
    command.addAll(1, jvmOptions);
    return startInNewDir(command);
  }

  /**
   * Starts the jar in a new empty working directory with SIGHUP ignored ({@code true}, as under
   * {@code nohup}) or at its default action ({@code false}, whatever this JVM was started with: a
   * build run under nohup passes the ignored signal on to every process it starts, and a JVM
   * started so cannot handle it), through GNU env's {@code --ignore-signal}/{@code --default-signal}
   * (coreutils 8.31+; see {@link #envSetsSignals}).
   */
  static TernProcess startWithSighup(boolean ignored, String... args) {
    List<String> command = new ArrayList<>(List.of("env", ignored ? "--ignore-signal=HUP" : "--default-signal=HUP"));
    command.addAll(javaJar(args));
    return startInNewDir(command);
  }

  /** Whether {@code env} here can set a signal's action for the program it runs (GNU coreutils 8.31+). */
  static boolean envSetsSignals() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=HUP", "true").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static List<String> javaJar(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar().toAbsolutePath().toString());
    command.addAll(List.of(args));
    return command;
  }

  /** Starts the jar in {@code workDir}: a restart in the same directory finds the same ./data. */
  static TernProcess start(Path workDir, String... args) {
    List<String> command = javaJar(args);
    try {
      return new TernProcess(new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL: no shutdown hook, no flush; what the process wrote to the OS is all there is. */
  void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(15));
  }

  /** A TCP port on the loopback address that nothing listens on right now. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void readOutput() {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("[output lost: " + e + "]");
    }
  }

  /** Waits for the log line saying the broker accepts connections. */
  TernProcess awaitStarted() {
    await("tern started").atMost(Duration.ofSeconds(20)).until(() -> {
      if (!process.isAlive()) {
        throw new AssertionError("tern exited with " + process.exitValue() + ":\n" + output());
      }
      return lines.stream().anyMatch(l -> l.contains("Tern started"));
    });
    return this;
  }

  /**
   * Sends SIGTERM and waits for the exit status. {@code ProcessHandle.destroy()} sends the same
   * signal as {@link Process#destroy()} on Linux, but leaves our end of the output open, so the
   * last lines ("Tern stopped") can still be read.
   */
  int terminate() {
    process.toHandle().destroy();
    return awaitExit(Duration.ofSeconds(15));
  }

  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("tern did not exit within " + timeout + ":\n" + output());
      }
      reader.join(5000); // the rest of the output
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  String output() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    if (ownDir != null) {
      try {
        process.waitFor(15, TimeUnit.SECONDS);
        try (Stream<Path> paths = Files.walk(ownDir)) {
          for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
            Files.deleteIfExists(p);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
