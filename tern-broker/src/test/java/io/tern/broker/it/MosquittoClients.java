package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs {@code mosquitto_pub}/{@code mosquitto_sub} (Debian package mosquitto-clients) for a test and
 * kills what is left of them afterwards. Register with {@code @RegisterExtension}; call {@link
 * #requireInstalled()} from {@code @BeforeAll}.
 */
final class MosquittoClients implements AfterEachCallback {
  private final List<Process> processes = new ArrayList<>();

  /**
   * Skips the test class when the clients are missing, unless {@code
   * -Dtern.requireMosquittoClients=true} (set by CI), which makes their absence a failure.
   */
  static void requireInstalled() {
    boolean present = new File("/usr/bin/mosquitto_sub").canExecute() && new File("/usr/bin/mosquitto_pub").canExecute();
    if (Boolean.getBoolean("tern.requireMosquittoClients")) {
      assertThat(present).as("mosquitto_pub/mosquitto_sub are required (apt-get install -y mosquitto-clients)").isTrue();
    }
    Assumptions.assumeTrue(present, "mosquitto-clients not installed");
  }

  /** Starts a command, its stderr merged into its stdout. */
  Process start(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    processes.add(p);
    return p;
  }

  /** Runs a command to its end (at most 15 s) and returns its output; a non-zero exit fails. */
  String run(String... command) throws Exception {
    Process p = start(command);
    assertThat(p.waitFor(15, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("exit code of %s: %s", String.join(" ", command), out).isZero();
    return out;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    processes.clear();
  }
}
