package io.tern.store.rocksdb;

import io.tern.broker.store.StoreException;
import java.nio.file.Path;

/**
 * The data directory cannot be used: corrupt, unreadable, not a Tern store, or written by a newer
 * Tern. The message names the path and the way out.
 */
public final class StoreCorruptException extends StoreException {
  private final Path path;
  private final boolean quarantinable;

  StoreCorruptException(Path path, String problem, boolean quarantinable, Throwable cause) {
    super(problem, cause);
    this.path = path;
    this.quarantinable = quarantinable;
  }

  /** The data directory or the file in it that is at fault. */
  public Path path() {
    return path;
  }

  /**
   * Whether moving the directory aside and starting empty is an answer: not for a newer format (a
   * newer Tern reads it) nor for a directory that another process holds.
   */
  public boolean quarantinable() {
    return quarantinable;
  }
}
