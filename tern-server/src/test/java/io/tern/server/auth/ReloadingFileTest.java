package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingFileTest {
  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aChangedFileIsReadOnceItHasStoppedChangingNotHalfWritten(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users");
    Files.writeString(file, "one");
    ReloadingFile<String> r = new ReloadingFile<>(file, "file", ReloadingFileTest::read);
    // Written in place, as Files.writeString and most editors do: first truncated, and a check
    // between the two steps sees an empty file (for a password file: valid, and no users).
    Files.writeString(file, "");
    assertThat(r.check()).isFalse();
    assertThat(r.get()).isEqualTo("one");
    Files.writeString(file, "two");
    assertThat(r.check()).as("changed again since the last check").isFalse();
    assertThat(r.get()).isEqualTo("one");
    assertThat(r.check()).as("the same as at the last check: settled").isTrue();
    assertThat(r.get()).isEqualTo("two");
    assertThat(r.check()).isFalse();
  }

  @Test
  void aReloadRequestReadsAtOnce(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users");
    Files.writeString(file, "one");
    ReloadingFile<String> r = new ReloadingFile<>(file, "file", ReloadingFileTest::read);
    Files.writeString(file, "two");
    assertThat(r.reload()).isTrue();
    assertThat(r.get()).isEqualTo("two");
    assertThat(r.check()).as("nothing changed since the reload").isFalse();
  }
}
