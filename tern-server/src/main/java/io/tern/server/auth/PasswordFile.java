package io.tern.server.auth;

import io.tern.broker.auth.ScramCredential;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The password file: one {@code user:hash} line per user ({@link PasswordHash} text form),
 * optionally followed by {@code :} and the user's SCRAM-SHA-256 credential ({@link ScramCredential},
 * RFC 5803 text form) for MQTT 5 enhanced authentication; blank lines and lines starting with
 * {@code #} are ignored. A user name may not contain {@code :} and may appear once.
 *
 * <pre>
 * # written by: java -jar tern.jar passwd /etc/tern/passwd alice
 * alice:$pbkdf2-sha512$i=210000$3q2+7w...$Lm4k...
 * # written by: java -jar tern.jar passwd --scram /etc/tern/passwd bob
 * bob:$pbkdf2-sha512$i=210000$...$...:SCRAM-SHA-256$4096:...$...:...
 * </pre>
 *
 * <p>Immutable: a reload builds a new instance.
 */
public final class PasswordFile {
  /** A user's password hash and, when the user has one, SCRAM-SHA-256 credential ({@code null} otherwise). */
  record Entry(PasswordHash hash, ScramCredential scram) {}

  private final Map<String, Entry> users;

  private PasswordFile(Map<String, Entry> users) {
    this.users = Collections.unmodifiableMap(users);
  }

  /** No users. */
  public static PasswordFile empty() {
    return new PasswordFile(new LinkedHashMap<>());
  }

  /**
   * Reads and checks the whole file.
   *
   * @throws AuthFileException naming the line of the first problem, or the file when it cannot be read
   */
  public static PasswordFile load(Path file) {
    return parse(file, read(file));
  }

  static List<String> read(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new AuthFileException(file, 0, "no such file");
    } catch (IOException e) {
      throw new AuthFileException(file, 0, "cannot read: " + e.getMessage());
    }
  }

  static PasswordFile parse(Path file, List<String> lines) {
    Map<String, Entry> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new AuthFileException(file, i + 1, "expected user:hash");
      }
      String user = line.substring(0, colon);
      String rest = line.substring(colon + 1);
      int scramAt = rest.indexOf(':'); // the PBKDF2 form has no ':'; the SCRAM form follows the first one
      Entry entry;
      try {
        entry = new Entry(PasswordHash.parse(scramAt < 0 ? rest : rest.substring(0, scramAt)),
            scramAt < 0 ? null : ScramCredential.parse(rest.substring(scramAt + 1)));
      } catch (IllegalArgumentException e) {
        throw new AuthFileException(file, i + 1, "user " + user + ": " + e.getMessage());
      }
      if (users.putIfAbsent(user, entry) != null) {
        throw new AuthFileException(file, i + 1, "user " + user + " appears twice");
      }
    }
    return new PasswordFile(users);
  }

  /** The hash of {@code user}, or {@code null}. */
  public PasswordHash hash(String user) {
    Entry e = users.get(user);
    return e == null ? null : e.hash();
  }

  /** The SCRAM-SHA-256 credential of {@code user}, or {@code null} (unknown user, or none written for it). */
  public ScramCredential scram(String user) {
    Entry e = users.get(user);
    return e == null ? null : e.scram();
  }

  /** Users with a SCRAM-SHA-256 credential. */
  public long scramUsers() {
    return users.values().stream().filter(e -> e.scram() != null).count();
  }

  /** The iteration count most users' SCRAM credentials have (the minimum, 4096, when none has one). */
  int commonScramIterations() {
    Map<Integer, Long> counts = new java.util.HashMap<>();
    for (Entry e : users.values()) {
      if (e.scram() != null) {
        counts.merge(e.scram().iterations(), 1L, Long::sum);
      }
    }
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
        .orElse(ScramCredential.MIN_ITERATIONS);
  }

  public int size() {
    return users.size();
  }

  /** The user names, in file order. */
  public java.util.Set<String> users() {
    return users.keySet();
  }

  /** The highest iteration count in the file, or the default when it is empty. */
  int maxIterations() {
    return users.values().stream().mapToInt(e -> e.hash().iterations()).max().orElse(PasswordHash.DEFAULT_ITERATIONS);
  }

  /** Why {@code user} cannot be a user name, or {@code null} when it can. */
  public static String checkUserName(String user) {
    if (user.isEmpty()) {
      return "a user name must not be empty";
    }
    if (user.indexOf(':') >= 0) {
      return "a user name must not contain ':'";
    }
    if (user.startsWith("#") || !user.strip().equals(user)) {
      return "a user name must not start with '#', nor start or end with white space";
    }
    if (user.chars().anyMatch(Character::isISOControl)) {
      return "a user name must not contain control characters";
    }
    return null;
  }

  /**
   * Sets (adds or replaces) or, with {@code hash == null}, removes {@code user} in {@code file},
   * keeping the other lines (comments included) as they are. The file is replaced atomically: a
   * temporary file beside it, readable by its owner only, renamed over it.
   *
   * @return whether the user was in the file before
   * @throws AuthFileException when the existing file is invalid (it is not changed then)
   */
  public static boolean update(Path file, String user, PasswordHash hash) throws IOException {
    return update(file, user, hash, null);
  }

  /**
   * As {@link #update(Path, String, PasswordHash)}, with a SCRAM-SHA-256 credential written after the
   * hash ({@code null}: none; a user's old credential is dropped with its old password).
   */
  public static boolean update(Path file, String user, PasswordHash hash, ScramCredential scram) throws IOException {
    String entry = hash == null ? null : user + ":" + hash.encode() + (scram == null ? "" : ":" + scram.encode());
    List<String> lines = Files.exists(file) ? read(file) : List.of();
    parse(file, lines); // never rewrite a file we do not understand
    List<String> out = new ArrayList<>();
    boolean found = false;
    for (String line : lines) {
      String s = line.strip();
      if (!s.startsWith("#") && s.startsWith(user + ":")) {
        found = true;
        if (entry != null) {
          out.add(entry);
        }
      } else {
        out.add(line);
      }
    }
    if (!found && entry != null) {
      out.add(entry);
    }
    writeAtomically(file, out);
    return found;
  }

  private static void writeAtomically(Path link, List<String> lines) throws IOException {
    // A symbolic link (a file kept in a secrets directory, a Kubernetes volume) is followed: the
    // rename replaced the link with a regular file, and the file it pointed to kept the old users.
    Path file = Files.exists(link) ? link.toRealPath() : link;
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    Path tmp = posix
        ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      byte[] bytes = (String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true); // on disk before the rename makes it the file
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
