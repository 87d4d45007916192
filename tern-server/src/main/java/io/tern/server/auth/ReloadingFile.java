package io.tern.server.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file read into a value, read again when it changes. {@link #check()} compares the file's
 * modification time, size and identity (inode: a file replaced by a rename is new) with the last
 * ones seen and reloads when any differs and the next check finds them the same again: a file
 * being written in place (truncated, then written) is not read half-way, where an empty file is a
 * valid one with no users. {@link #reload()} reloads whatever they are. A file that fails to load
 * keeps the previous value, with a warning naming the line.
 *
 * <p>The value is published through a volatile field: readers on any thread see either the old or
 * the new one, whole. {@code check} and {@code reload} are synchronized with each other.
 *
 * @param <T> the immutable value read from the file
 */
final class ReloadingFile<T> {
  private static final Logger log = LoggerFactory.getLogger(ReloadingFile.class);

  private final Path file;
  private final String what;
  private final Function<Path, T> loader;
  private volatile T value;
  private Object stamp;
  /** A changed stamp seen by the last check, loaded if the next one sees it too; null if none. */
  private Object settling;

  /**
   * Loads the file once.
   *
   * @param what what the file is, for the logs ("password file")
   * @throws AuthFileException when it cannot be loaded
   */
  ReloadingFile(Path file, String what, Function<Path, T> loader) {
    this.file = file;
    this.what = what;
    this.loader = loader;
    this.stamp = stamp();
    this.value = loader.apply(file);
  }

  T get() {
    return value;
  }

  Path file() {
    return file;
  }

  /**
   * Reloads when the file changed since it was last read and has not changed since the previous
   * check (so one check interval after a change at the latest); returns whether it did
   * (successfully).
   */
  synchronized boolean check() {
    Object now = stamp();
    if (Objects.equals(now, stamp)) {
      settling = null;
      return false;
    }
    if (!Objects.equals(now, settling)) {
      settling = now; // changed, maybe still being written: read at the next check if it stays so
      return false;
    }
    settling = null;
    return load(now, "changed");
  }

  /** Reloads now (SIGHUP); returns whether it succeeded. */
  synchronized boolean reload() {
    return load(stamp(), "reload requested");
  }

  private boolean load(Object newStamp, String why) {
    stamp = newStamp; // a broken file is reported once, not at every check
    try {
      value = loader.apply(file);
      log.info("Reloaded the {} {} ({})", what, file, why);
      return true;
    } catch (AuthFileException e) {
      log.warn("Keeping the previous {}: {}", what, e.getMessage());
      return false;
    } catch (RuntimeException e) {
      log.warn("Keeping the previous {}: {}: {}", what, file, e.toString());
      return false;
    }
  }

  private Object stamp() {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return java.util.List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
    } catch (IOException e) {
      return "missing"; // reported when it comes back, or by reload()
    }
  }
}
