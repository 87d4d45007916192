package io.tern.server;

import io.tern.server.auth.AuthFileException;
import io.tern.server.auth.ServerAuth;
import io.tern.server.config.ConfigException;
import io.tern.server.config.ConfigLoader;
import io.tern.server.config.LogLevel;
import io.tern.server.config.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code tern} command: runs the broker until SIGTERM or Ctrl-C; SIGHUP reloads the password and
 * ACL files. Subcommands ({@code tern passwd}) are listed in {@code subcommands} below; without one,
 * {@code tern} serves.
 *
 * <pre>
 * java -jar tern.jar                          # 0.0.0.0:1883, built-in defaults
 * java -jar tern.jar --config tern.yaml --port 1884
 * </pre>
 */
@Command(
    name = "tern",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    subcommands = {HelpCommand.class, PasswdCommand.class},
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs the Tern MQTT broker until SIGTERM or SIGINT (Ctrl-C).",
      "SIGHUP reloads the password and ACL files (auth: in the configuration).",
      "Without --config: 0.0.0.0:1883, the built-in defaults, and anonymous clients",
      "from this machine (loopback addresses) only. Options override the file.",
      "'tern passwd FILE USER' adds a user to a password file."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped normally (after SIGTERM or SIGINT)",
      "1:could not start (a port in use, an address that cannot be bound), or stopping failed",
      "2:invalid command line or configuration, or a password, ACL or TLS file that does not load",
      // One entry per code: picocli drops an entry without a ':' (a continuation line was lost).
      "3:a fatal error while running (out of memory killed a thread of the broker): restart it; with a store, "
          + "acknowledged messages are kept"
    })
public final class TernServer implements Callable<Integer> {
  /** Exit status: stopped normally. */
  public static final int EXIT_OK = 0;
  /** Exit status: the broker could not start, or stopping it failed. */
  public static final int EXIT_FAILURE = 1;
  /** Exit status: invalid command line or configuration. */
  public static final int EXIT_USAGE = 2;
  /** Exit status: a fatal error while running, such as out of memory killing a thread of the broker. */
  public static final int EXIT_FATAL = 3;

  @Spec
  private CommandSpec spec;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "YAML configuration file (see tern.yaml); built-in defaults without it.")
  private Path configFile;

  @Option(names = {"-p", "--port"}, paramLabel = "N",
      description = "Port of the first listener (0: any free port); overrides the file.")
  private Integer port;

  @Option(names = "--bind", paramLabel = "ADDR",
      description = "Address the first listener binds, such as 127.0.0.1; overrides the file.")
  private String bind;

  @Option(names = "--log-level", paramLabel = "LEVEL",
      description = "trace, debug, info, warn, error or off; overrides the file.")
  private LogLevel logLevel;

  public static void main(String[] args) {
    nettyDefaults();
    System.exit(commandLine().execute(args));
  }

  /**
   * The server's defaults for Netty's own switches, each kept when the command line sets it. Runs
   * before any Netty class reads them.
   */
  static void nettyDefaults() {
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      // Netty's buffer allocator has JFR events; their first use, at the first connection, sets up
      // the JDK's event metadata (about 600 KB of objects that live as long as the process). Made
      // under traffic, young collections copy them until they are old, lengthening the first
      // pauses. A server profiles with JFR's own events; -Dio.netty.jfr.enabled=true brings back
      // Netty's (docs/performance.md).
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      // Netty's default (SIMPLE) records a stack trace for one buffer in 128: on the message path
      // that is a stack trace every few dozen messages, a cost in the latency tail for a check meant
      // for development. The tests run the broker with it on; -Dio.netty.leakDetection.level=simple
      // (or paranoid) turns it back on here.
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * A {@code bind} host name that does not resolve is the configuration's error: one line on
   * standard error naming the key, exit 2, before the store opens or anything binds (found at the
   * bind, it came as a log line after the store had opened). Addresses are looked up once here and
   * again when bound.
   */
  private static void checkBindAddresses(ServerConfig config, String source) {
    for (int i = 0; i < config.listeners().size(); i++) {
      checkResolves(config.listeners().get(i).bind(), source, "listeners[" + i + "].bind");
    }
    if (config.admin().active()) {
      checkResolves(config.admin().bind(), source, "admin.bind");
    }
  }

  private static void checkResolves(String bind, String source, String key) {
    if (bind == null || bind.isEmpty()) {
      return;
    }
    try {
      java.net.InetAddress.getByName(bind);
    } catch (java.net.UnknownHostException e) {
      throw new ConfigException(source, key, "cannot resolve the address to bind '" + bind + "'");
    }
  }

  /** The command line parser, with its subcommands and error handling. */
  public static CommandLine commandLine() {
    return new CommandLine(new TernServer())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(TernServer::reportUsageError)
        .setExecutionExceptionHandler(TernServer::reportConfigError);
  }

  @Override
  public Integer call() {
    ServerConfig config = effectiveConfig();
    Logging.apply(config.log());
    String source = configFile == null ? "built-in defaults" : configFile.toString();
    ServerAuth auth;
    checkBindAddresses(config, source);
    try {
      auth = ServerAuth.start(config.auth());
    } catch (AuthFileException e) {
      String key = e.file().equals(config.auth().passwordFile()) ? "auth.password_file"
          : e.file().equals(config.auth().aclFile()) ? "auth.acl_file" : null;
      throw new ConfigException(source, key, e.getMessage());
    }
    if (config.admin().active() && config.admin().passwordFile() != null) {
      // Read once here, as auth.password_file is: a missing or invalid file is a configuration
      // error (exit 2, one line) before any listener binds, not a failure after the MQTT one has.
      try {
        io.tern.server.auth.PasswordFile.load(config.admin().passwordFile());
      } catch (AuthFileException e) {
        auth.close();
        throw new ConfigException(source, "admin.password_file", e.getMessage());
      }
    }
    return new ServerProcess(config, source, auth).run();
  }

  /**
   * The configuration the server runs with: the file (or the defaults), then the options.
   *
   * @throws ConfigException if the file cannot be read or is invalid
   * @throws ParameterException if an option has a bad value
   */
  ServerConfig effectiveConfig() {
    if (port != null && (port < 0 || port > 65535)) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--port': must be 0..65535, got " + port);
    }
    if (bind != null && bind.isBlank()) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--bind': must not be empty");
    }
    ServerConfig base = configFile == null ? ServerConfig.defaults() : ConfigLoader.load(configFile);
    return base.withOverrides(port, bind, logLevel);
  }

  /** A bad option: the problem and where to look, not the whole help. */
  private static int reportUsageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("tern: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Run 'tern --help' for the options.");
    err.flush();
    return EXIT_USAGE;
  }

  /** A bad file is a user's mistake: one line naming the file and the key, no stack trace. */
  private static int reportConfigError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed)
      throws Exception {
    if (!(e instanceof ConfigException)) {
      throw e;
    }
    PrintWriter err = cmd.getErr();
    err.println("tern: invalid configuration: " + e.getMessage());
    err.flush();
    return EXIT_USAGE;
  }
}
