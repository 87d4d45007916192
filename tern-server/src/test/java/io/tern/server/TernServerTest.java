package io.tern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.server.config.ListenerConfig;
import io.tern.server.config.ListenerType;
import io.tern.server.config.LogLevel;
import io.tern.server.config.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line without starting a broker; the running server is tested in {@code it.TernJarIT}. */
class TernServerTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private static ServerConfig configFor(String... args) {
    CommandLine cmd = TernServer.commandLine();
    cmd.parseArgs(args);
    TernServer server = cmd.getCommand();
    return server.effectiveConfig();
  }

  private int execute(String... args) {
    CommandLine cmd = TernServer.commandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  @Test
  void nettyJfrEventsAreOffUnlessTheCommandLineSetsThem() {
    String jfr = System.getProperty("io.netty.jfr.enabled");
    String leak = System.getProperty("io.netty.leakDetection.level");
    io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
    try {
      System.setProperty("io.netty.leakDetection.level", "paranoid"); // this test JVM keeps its leak detection
      System.clearProperty("io.netty.jfr.enabled");
      TernServer.nettyDefaults();
      assertThat(System.getProperty("io.netty.jfr.enabled")).isEqualTo("false");
      System.setProperty("io.netty.jfr.enabled", "true");
      TernServer.nettyDefaults();
      assertThat(System.getProperty("io.netty.jfr.enabled")).isEqualTo("true");
      assertThat(io.netty.util.ResourceLeakDetector.getLevel()).isEqualTo(level);
    } finally {
      restore("io.netty.jfr.enabled", jfr);
      restore("io.netty.leakDetection.level", leak);
    }
  }

  private static void restore(String property, String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }

  @Test
  void withoutOptionsTheBuiltInDefaultsAreUsed() {
    assertThat(configFor()).isEqualTo(ServerConfig.defaults());
  }

  @Test
  void portAndBindChangeTheFirstListener() {
    ServerConfig c = configFor("--port", "1884", "--bind", "127.0.0.1");
    assertThat(c.listeners()).containsExactly(new ListenerConfig("mqtt", ListenerType.MQTT, "127.0.0.1", 1884));
    assertThat(configFor("-p", "0").listeners().get(0).port()).isZero();
  }

  @Test
  void optionsOverrideTheConfigFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tern.yaml");
    Files.writeString(file, """
        listeners:
          - name: main
            bind: 127.0.0.1
            port: 2000
          - name: second
            port: 2001
        limits:
          max_inflight: 5
        log:
          level: warn
        """);
    ServerConfig fromFile = configFor("--config", file.toString());
    assertThat(fromFile.listeners().get(0)).isEqualTo(new ListenerConfig("main", ListenerType.MQTT, "127.0.0.1", 2000));
    assertThat(fromFile.log().level()).isEqualTo(LogLevel.WARN);

    ServerConfig c = configFor("-c", file.toString(), "--port", "3000", "--bind", "0.0.0.0", "--log-level", "debug");
    assertThat(c.listeners()).containsExactly(
        new ListenerConfig("main", ListenerType.MQTT, "0.0.0.0", 3000),
        new ListenerConfig("second", ListenerType.MQTT, "0.0.0.0", 2001));
    assertThat(c.limits().maxInflight()).isEqualTo(5);
    assertThat(c.log().level()).isEqualTo(LogLevel.DEBUG);
  }

  @Test
  void aPortOutOfRangeIsAUsageError() {
    assertThat(execute("--port", "65536")).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).startsWith("tern: Invalid value for option '--port': must be 0..65535, got 65536");
  }

  @Test
  void anUnknownOptionIsAUsageErrorWithoutTheWholeHelp() {
    assertThat(execute("--prot", "1883")).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).contains("Unknown option").contains("tern --help").doesNotContain("Exit codes");
  }

  @Test
  void aBadConfigFileIsOneLineNamingFileAndKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "limits:\n  drop_policy: sometimes\n");
    assertThat(execute("--config", file.toString())).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).isEqualTo("tern: invalid configuration: " + file
        + ": limits.drop_policy: expected drop_new or drop_oldest, got 'sometimes'" + System.lineSeparator());
  }

  @Test
  void versionPrintsTheProjectVersion() {
    assertThat(execute("--version")).isZero();
    assertThat(out.toString()).startsWith("tern " + Version.get()).contains("Java ");
    assertThat(Version.get()).isNotEqualTo("unknown").doesNotContain("${");
  }

  /** Found before the store opens or anything binds: one line on standard error naming the key. */
  @Test
  void aBindAddressThatDoesNotResolveIsAConfigurationErrorNamingTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("unresolved.yaml");
    Files.writeString(file, "listeners:\n  - {port: 0, bind: 127.0.0.1}\n  - {name: two, port: 0, bind: no-such-host.invalid}\n");
    assertThat(execute("--config", file.toString())).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).isEqualTo("tern: invalid configuration: " + file
        + ": listeners[1].bind: cannot resolve the address to bind 'no-such-host.invalid'" + System.lineSeparator());
    err.getBuffer().setLength(0);
    Files.writeString(file, "listeners:\n  - {port: 0, bind: 127.0.0.1}\nadmin:\n  bind: no-such-host.invalid\n  port: 0\n"
        + "  api_keys: [{name: k, sha256: '" + "0".repeat(64) + "'}]\n");
    assertThat(execute("--config", file.toString())).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).contains(": admin.bind: cannot resolve the address to bind 'no-such-host.invalid'");
  }

  @Test
  void aMissingPasswordOrAclFileIsNamedByItsKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("auth.yaml");
    Path missing = dir.resolve("nope");
    Files.writeString(file, "listeners:\n  - {port: 0, bind: 127.0.0.1}\nauth:\n  password_file: " + missing + "\n");
    assertThat(execute("--config", file.toString())).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).contains(file + ": auth.password_file: " + missing + ": no such file");
    err.getBuffer().setLength(0);
    Files.writeString(file, "listeners:\n  - {port: 0, bind: 127.0.0.1}\nauth:\n  acl_file: " + missing + "\n");
    assertThat(execute("--config", file.toString())).isEqualTo(TernServer.EXIT_USAGE);
    assertThat(err.toString()).contains(file + ": auth.acl_file: " + missing);
  }

  @Test
  void helpListsTheOptionsAndExitCodes() {
    assertThat(execute("--help")).isZero();
    assertThat(out.toString())
        .contains("--config=FILE", "--port=N", "--bind=ADDR", "--log-level=LEVEL", "--version", "Exit codes");
    // Every exit code's text, whole (picocli dropped a continuation line of the list).
    String help = out.toString().replaceAll("\\s+", " ");
    assertThat(help).contains("0 stopped normally", "1 could not start", "2 invalid command line",
        "3 a fatal error while running", "acknowledged messages are kept");
    out.getBuffer().setLength(0);
    assertThat(execute("help")).isZero();
    assertThat(out.toString()).contains("--config=FILE");
  }
}
