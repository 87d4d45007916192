package io.tern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.server.auth.PasswordFile;
import io.tern.server.auth.PasswordHash;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tern passwd} reading the password from standard input, as scripts run it. */
class PasswdCommandTest {
  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int passwd(String stdin, String... args) {
    CommandLine cl = TernServer.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    PasswdCommand cmd = cl.getSubcommands().get("passwd").getCommand();
    cmd.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    cmd.console = null;
    String[] all = new String[args.length + 1];
    all[0] = "passwd";
    System.arraycopy(args, 0, all, 1, args.length);
    return cl.execute(all);
  }

  private static boolean matches(Path file, String user, String password) {
    PasswordHash h = PasswordFile.load(file).hash(user);
    return h != null && h.matches(password.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void addsAUserFromStdinWithTheDefaultIterationsInAnOwnerOnlyFile() throws Exception {
    Path f = dir.resolve("passwd");
    assertThat(passwd("correct horse\n", f.toString(), "alice")).isZero();
    assertThat(out.toString()).contains("Added user alice in " + f);
    assertThat(Files.readString(f)).startsWith("alice:$pbkdf2-sha512$i=210000$").doesNotContain("horse");
    assertThat(matches(f, "alice", "correct horse")).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
  }

  @Test
  void updatesAndDeletesAUser() throws Exception {
    Path f = dir.resolve("passwd");
    assertThat(passwd("one\r\n", "--iterations", "1000", f.toString(), "alice")).isZero();
    assertThat(passwd("two", "--iterations", "1000", f.toString(), "bob")).isZero();
    assertThat(passwd("three\n", "--iterations", "1000", f.toString(), "alice")).isZero();
    assertThat(out.toString()).contains("Updated user alice");
    assertThat(matches(f, "alice", "three")).isTrue();
    assertThat(matches(f, "bob", "two")).as("no line end: the whole input").isTrue();
    assertThat(passwd("", "--delete", f.toString(), "alice")).isZero();
    assertThat(PasswordFile.load(f).hash("alice")).isNull();
    assertThat(passwd("", "--delete", f.toString(), "alice")).isEqualTo(1);
    assertThat(err.toString()).contains("user alice is not in");
  }

  /** A password file that is a symbolic link: the file it points to is updated, the link stays a link. */
  @Test
  void aLinkedPasswordFileIsUpdatedWhereItPoints() throws Exception {
    Path target = java.nio.file.Files.createDirectories(dir.resolve("secrets")).resolve("passwd");
    assertThat(passwd("one\n", "--iterations", "1000", target.toString(), "alice")).isZero();
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("passwd"), target);
    assertThat(passwd("two\n", "--iterations", "1000", link.toString(), "bob")).isZero();
    assertThat(java.nio.file.Files.isSymbolicLink(link)).isTrue();
    assertThat(matches(target, "bob", "two")).isTrue();
    assertThat(matches(target, "alice", "one")).isTrue();
  }

  @Test
  void scramWritesASCramCredentialOfTheSamePasswordAndAnUpdateWithoutItDropsIt() throws Exception {
    Path f = dir.resolve("passwd");
    assertThat(passwd("pencil\n", "--iterations", "1000", "--scram", "--scram-iterations", "5000", f.toString(), "bob"))
        .isZero();
    assertThat(out.toString()).contains("Added user bob (with SCRAM-SHA-256) in " + f);
    assertThat(Files.readString(f)).startsWith("bob:$pbkdf2-sha512$i=1000$").contains(":SCRAM-SHA-256$5000:");
    io.tern.broker.auth.ScramCredential scram = PasswordFile.load(f).scram("bob");
    assertThat(scram.encode()).as("derived from the same password and salt")
        .isEqualTo(io.tern.broker.auth.ScramCredential.derive("pencil".toCharArray(), scram.salt(), 5000).encode());
    assertThat(matches(f, "bob", "pencil")).isTrue();
    assertThat(passwd("other\n", "--iterations", "1000", f.toString(), "bob")).isZero();
    assertThat(PasswordFile.load(f).scram("bob")).as("a stale credential would keep the old password").isNull();
    assertThat(passwd("x\n", "--scram", "--scram-iterations", "100", f.toString(), "bob")).isEqualTo(2);
    assertThat(err.toString()).contains("--scram-iterations must be at least 4096");
  }

  @Test
  void refusesEmptyPasswordsBadNamesAndInvalidFilesWithoutChangingAnything() throws Exception {
    Path f = dir.resolve("passwd");
    assertThat(passwd("\n", f.toString(), "alice")).isEqualTo(2);
    assertThat(passwd("", f.toString(), "alice")).isEqualTo(2);
    assertThat(err.toString()).contains("the password is empty");
    assertThat(Files.exists(f)).isFalse();
    assertThat(passwd("x\n", f.toString(), "a:b")).isEqualTo(2);
    assertThat(err.toString()).contains("must not contain ':'");
    Files.writeString(f, "alice:$pbkdf2-sha512$broken\n");
    assertThat(passwd("x\n", "--iterations", "1000", f.toString(), "bob")).isEqualTo(2);
    assertThat(err.toString()).contains("not changed: " + f + ": line 1: user alice:");
    assertThat(Files.readString(f)).isEqualTo("alice:$pbkdf2-sha512$broken\n");
  }

  @Test
  void helpListsPasswd() {
    CommandLine cl = TernServer.commandLine();
    StringWriter help = new StringWriter();
    cl.setOut(new PrintWriter(help));
    assertThat(cl.execute("--help")).isZero();
    assertThat(help.toString()).contains("passwd  Adds, updates", "SIGHUP reloads the password and ACL files");
  }
}
