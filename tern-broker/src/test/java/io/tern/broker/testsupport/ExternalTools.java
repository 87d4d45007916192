package io.tern.broker.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The tools outside the JVM that some end-to-end tests drive (Node and npm, Debian's Chromium): a
 * test that needs one is skipped when it is missing, unless its {@code -Dtern.requireXxx=true} flag
 * is set (CI sets them after installing the tools), which makes the absence a failure. Shared with
 * tern-server's tests through tern-broker's test jar (package {@code testsupport} only).
 */
public final class ExternalTools {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private ExternalTools() {}

  /** Whether an executable of that name is on the PATH. */
  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }

  /** Goes on when {@code ok}; else fails the test when {@code required}, or skips it. */
  public static void require(boolean required, boolean ok, String why) {
    if (required) {
      assertThat(ok).as(why).isTrue();
    }
    Assumptions.assumeTrue(ok, why);
  }

  /** Requires Node and npm. */
  public static void requireNode(boolean required) {
    require(required, onPath("node") && onPath("npm"), "node and npm are required (apt-get install -y nodejs npm)");
  }

  /** Requires Debian's Chromium at {@link #CHROMIUM}. */
  public static void requireChromium(boolean required) {
    require(required, Files.isExecutable(CHROMIUM), CHROMIUM + " is required (apt-get install -y chromium)");
  }

  /**
   * Runs {@code npm ci} in {@code project} (pinned by its package-lock.json) unless every one of
   * {@code modules} is already installed there; a failed or hung install fails or skips as {@link
   * #require} does.
   */
  public static void npmCi(Path project, boolean required, String... modules) throws Exception {
    boolean installed = true;
    for (String m : modules) {
      installed &= Files.isDirectory(project.resolve("node_modules").resolve(m));
    }
    if (installed) {
      return;
    }
    Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
        .directory(project.toFile()).redirectErrorStream(true).start();
    boolean finished = p.waitFor(3, TimeUnit.MINUTES);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!finished) {
      p.destroyForcibly();
    }
    require(required, finished && p.exitValue() == 0, "npm ci in " + project + " failed: " + out);
  }
}
