package io.tern.store.rocksdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library without leaving a copy of it behind.
 *
 * <p>{@link RocksDB#loadLibrary()} copies the 16 MB library out of its jar into {@code
 * java.io.tmpdir} under a new random name and asks for it to be deleted at exit: a process that is
 * killed (SIGKILL, the OOM killer, a crash) never deletes it, so a broker restarted after each crash
 * fills the temporary directory by 16 MB a time. Here the copy goes to a private directory of its
 * own, is loaded, and is deleted at once with its directory: on Linux and macOS a loaded library
 * stays mapped after its file is gone. After that {@code RocksDB.loadLibrary()} finds the library
 * loaded and copies nothing.
 *
 * <p>{@code ROCKSDB_SHAREDLIB_DIR}, RocksDB's own variable, is left to RocksDB: who sets it chose
 * where the copy goes. Where the file cannot be deleted (Windows keeps a loaded library's file), it
 * is left to RocksDB's delete at exit, as before.
 */
final class NativeLibrary {
  private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);

  private NativeLibrary() {}

  static void load() {
    if (System.getenv("ROCKSDB_SHAREDLIB_DIR") == null) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory("tern-rocksdb-");
        NativeLibraryLoader.getInstance().loadLibrary(dir.toString());
      } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
        // RocksDB's own loader below tries again and reports what is wrong.
        log.debug("Loading RocksDB's library through a private directory failed", e);
      } finally {
        deleteQuietly(dir);
      }
    }
    RocksDB.loadLibrary();
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.debug("Could not delete {}", dir, e);
    }
  }
}
