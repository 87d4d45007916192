package io.tern.server;

import io.tern.server.auth.AuthFileException;
import io.tern.server.auth.PasswordFile;
import io.tern.server.auth.PasswordHash;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tern passwd FILE USER}: adds or updates a user of a password file, or removes one.
 *
 * <pre>
 * java -jar tern.jar passwd /etc/tern/passwd alice               # asks twice on a terminal
 * printf '%s\n' "$PASSWORD" | java -jar tern.jar passwd /etc/tern/passwd alice   # scripts
 * java -jar tern.jar passwd --delete /etc/tern/passwd alice
 * </pre>
 */
@Command(
    name = "passwd",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Adds, updates or (--delete) removes a user of a password file.",
      "FILE is created if missing. On a terminal the password is asked twice;",
      "otherwise it is the first line of standard input. The file is replaced",
      "atomically, readable by its owner only; a running server reloads it within",
      "auth.reload_check_interval, or at once on SIGHUP."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the file was written",
      "1:the file could not be read or written, or --delete names a user not in it",
      "2:invalid arguments, an invalid existing file, or passwords that are empty or do not match"
    })
final class PasswdCommand implements Callable<Integer> {
  @Spec
  private CommandSpec spec;

  @Option(names = {"-D", "--delete"}, description = "Remove USER instead of setting a password.")
  private boolean delete;

  @Option(names = "--iterations", paramLabel = "N",
      description = "PBKDF2-HMAC-SHA512 iterations (default ${DEFAULT-VALUE}, OWASP's recommendation).")
  private int iterations = PasswordHash.DEFAULT_ITERATIONS;

  @Option(names = "--scram", description = {
      "Also write a SCRAM-SHA-256 credential, for MQTT 5 clients that log in",
      "with enhanced authentication (docs/security.md). Without it, a user's",
      "old SCRAM credential is removed with the old password."})
  private boolean scram;

  @Option(names = "--scram-iterations", paramLabel = "N", description = {
      "PBKDF2-HMAC-SHA256 iterations of the SCRAM credential (default",
      "${DEFAULT-VALUE}, at least 4096). Each client pays them at every login."})
  private int scramIterations = DEFAULT_SCRAM_ITERATIONS;

  /** What PostgreSQL and Kafka use, RFC 7677's minimum: clients compute it at every login. */
  static final int DEFAULT_SCRAM_ITERATIONS = io.tern.broker.auth.ScramCredential.MIN_ITERATIONS;

  @Parameters(index = "0", paramLabel = "FILE", description = "The password file.")
  private Path file;

  @Parameters(index = "1", paramLabel = "USER", description = "The user name.")
  private String user;

  /** Standard input; replaced in tests. */
  InputStream in = System.in;
  /** The terminal, or {@code null} when there is none; replaced in tests. */
  Console console = terminal();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String problem = PasswordFile.checkUserName(user);
    if (problem != null) {
      err.println("tern passwd: " + problem);
      return TernServer.EXIT_USAGE;
    }
    if (iterations < PasswordHash.MIN_ITERATIONS || iterations > PasswordHash.MAX_ITERATIONS) {
      err.println("tern passwd: --iterations must be " + PasswordHash.MIN_ITERATIONS + " to " + PasswordHash.MAX_ITERATIONS);
      return TernServer.EXIT_USAGE;
    }
    if (scramIterations < io.tern.broker.auth.ScramCredential.MIN_ITERATIONS) {
      err.println("tern passwd: --scram-iterations must be at least " + io.tern.broker.auth.ScramCredential.MIN_ITERATIONS);
      return TernServer.EXIT_USAGE;
    }
    try {
      if (delete) {
        if (!PasswordFile.update(file, user, null)) {
          err.println("tern passwd: user " + user + " is not in " + file);
          return TernServer.EXIT_FAILURE;
        }
        out.println("Removed user " + user + " from " + file);
        return TernServer.EXIT_OK;
      }
      char[] password = readPassword(err);
      if (password == null) {
        return TernServer.EXIT_USAGE;
      }
      PasswordHash hash;
      io.tern.broker.auth.ScramCredential scramCredential = null;
      try {
        hash = PasswordHash.create(password, iterations);
        if (scram) {
          scramCredential = io.tern.broker.auth.ScramCredential.create(password, scramIterations);
        }
      } finally {
        Arrays.fill(password, '\0');
      }
      boolean existed = PasswordFile.update(file, user, hash, scramCredential);
      out.println((existed ? "Updated" : "Added") + " user " + user + (scram ? " (with SCRAM-SHA-256)" : "")
          + " in " + file);
      return TernServer.EXIT_OK;
    } catch (AuthFileException e) {
      err.println("tern passwd: not changed: " + e.getMessage());
      return TernServer.EXIT_USAGE;
    } catch (IOException e) {
      err.println("tern passwd: " + file + ": " + e);
      return TernServer.EXIT_FAILURE;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The password, or {@code null} (with the reason on {@code err}). */
  private char[] readPassword(PrintWriter err) throws IOException {
    char[] password;
    if (console != null) {
      password = console.readPassword("Password for %s: ", user);
      char[] again = console.readPassword("Again: ");
      if (password == null || again == null || !Arrays.equals(password, again)) {
        err.println("tern passwd: the passwords do not match; nothing changed");
        return null;
      }
      Arrays.fill(again, '\0');
    } else {
      password = firstLine(in);
    }
    if (password == null || password.length == 0) {
      err.println("tern passwd: the password is empty; nothing changed");
      return null;
    }
    return password;
  }

  /** The first line of {@code in} as UTF-8, without its line end; {@code null} at once at the end. */
  private static char[] firstLine(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      bytes.write(b);
    }
    if (b == -1 && bytes.size() == 0) {
      return null;
    }
    byte[] raw = bytes.toByteArray();
    int n = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
    CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(raw, 0, n));
    char[] chars = new char[cb.remaining()];
    cb.get(chars);
    Arrays.fill(raw, (byte) 0);
    return chars;
  }

  /**
   * The console when standard input and output are a terminal. Java 22 and later return a console
   * even when they are redirected; {@code Console.isTerminal()} (22+) tells them apart.
   */
  private static Console terminal() {
    Console c = System.console();
    if (c == null) {
      return null;
    }
    try {
      Object terminal = Console.class.getMethod("isTerminal").invoke(c);
      return Boolean.TRUE.equals(terminal) ? c : null;
    } catch (ReflectiveOperationException e) {
      return c; // Java 17-21: a console exists only for a terminal
    }
  }
}
