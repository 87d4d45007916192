package io.tern.store.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.Durability;
import io.tern.store.rocksdb.RocksDbStore.OnCorrupt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that opens the store and is then killed leaves no copy of RocksDB's native library in
 * its temporary directory (RocksDB's own loader leaves 16 MB there per killed process).
 */
@Timeout(60)
class NativeLibraryTest {
  @TempDir Path tmp;
  @TempDir Path data;

  @Test
  void aKilledProcessLeavesNoCopyOfTheLibraryInItsTemporaryDirectory() throws Exception {
    Process child = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + tmp,
        "-cp", System.getProperty("java.class.path"),
        Child.class.getName(), data.toString())
        .redirectErrorStream(true)
        .start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.equals("open")) {
        seen.append(line).append('\n');
      }
      assertThat(line).as("the child's output:\n%s", seen).isEqualTo("open");
      assertThat(list(tmp)).as("while the store is open").isEmpty();
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(list(tmp)).as("after SIGKILL").isEmpty();
    assertThat(list(data)).as("the store was written").isNotEmpty();
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      // the JVM's own perf data directory is not ours
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("hsperfdata_")).toList();
    }
  }

  /** Opens a store and waits to be killed. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      RocksDbStore store = RocksDbStore.open(Path.of(args[0]), Durability.PROCESS, OnCorrupt.FAIL);
      System.out.println("open");
      System.out.flush();
      Thread.sleep(60_000);
      store.close();
    }
  }
}
