package io.tern.server.auth;

import java.nio.file.Path;

/** A password or ACL file that cannot be used; the message names the file and, when it can, the line. */
public final class AuthFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Path file;
  private final int line;

  /**
   * @param file the file
   * @param line the 1-based line at fault, or 0 when no single line is
   * @param problem what is wrong, for a person (never a password or a hash)
   */
  public AuthFileException(Path file, int line, String problem) {
    super(file + ": " + (line > 0 ? "line " + line + ": " : "") + problem);
    this.file = file;
    this.line = line;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }

  /** The 1-based line at fault, or 0. */
  public int line() {
    return line;
  }
}
