package io.tern.server.auth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The ACL file, in Mosquitto's syntax:
 *
 * <pre>
 * # Before any user line: for every client, anonymous ones included.
 * topic read status/#
 *
 * user alice
 * topic readwrite alice/#
 * topic deny alice/secret/#
 *
 * # Anywhere: for every client, %u replaced by its user name, %c by its client id.
 * pattern readwrite devices/%c/#
 * pattern read users/%u/inbox
 * </pre>
 *
 * <ul>
 *   <li>{@code topic ACCESS TOPIC}: access is {@code read}, {@code write}, {@code readwrite} or
 *       {@code deny}; left out, {@code readwrite}. Before the first {@code user} line the rule is
 *       for everyone; after it, for that user only. (Mosquitto gives the rules before the first
 *       {@code user} line to anonymous clients only: Tern gives them to all.)
 *   <li>{@code user NAME}: the following {@code topic} lines are for the user {@code NAME}
 *       (verified: see {@link AuthenticatedUser}).
 *   <li>{@code pattern ACCESS TOPIC}: for every client wherever it is written. A pattern with
 *       {@code %u} does not apply to anonymous clients; one whose user name or client id contains
 *       {@code /}, {@code +} or {@code #}, or starts with {@code $}, matches no pattern that substitutes it (a client id such as
 *       {@code a/#} would otherwise reach other clients' topics).
 *   <li>{@code +} and {@code #} work as in subscriptions, {@code $}-topics included (a rule
 *       {@code #} does not cover {@code $SYS/...}); the topic is the rest of the line, spaces included.
 * </ul>
 *
 * <p>Immutable: a reload builds a new instance.
 */
public final class AclFile {
  /** What a rule grants. */
  public enum Access {
    READ, WRITE, READWRITE, DENY;

    boolean reads() {
      return this == READ || this == READWRITE;
    }

    boolean writes() {
      return this == WRITE || this == READWRITE;
    }
  }

  /** One {@code topic} or {@code pattern} line: its filter split into levels. */
  record Rule(Access access, String[] levels, boolean pattern, int line) {}

  private final List<Rule> everyone;
  private final Map<String, List<Rule>> byUser;
  private final List<Rule> patterns;

  private AclFile(List<Rule> everyone, Map<String, List<Rule>> byUser, List<Rule> patterns) {
    this.everyone = List.copyOf(everyone);
    Map<String, List<Rule>> copy = new HashMap<>();
    byUser.forEach((u, rules) -> copy.put(u, List.copyOf(rules)));
    this.byUser = Collections.unmodifiableMap(copy);
    this.patterns = List.copyOf(patterns);
  }

  /**
   * Reads and checks the whole file.
   *
   * @throws AuthFileException naming the line of the first problem, or the file when it cannot be read
   */
  public static AclFile load(Path file) {
    return parse(file, PasswordFile.read(file));
  }

  static AclFile parse(Path file, List<String> lines) {
    List<Rule> everyone = new ArrayList<>();
    Map<String, List<Rule>> byUser = new HashMap<>();
    List<Rule> patterns = new ArrayList<>();
    List<Rule> current = everyone;
    for (int i = 0; i < lines.size(); i++) {
      int lineNo = i + 1;
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] kv = line.split("\\s+", 2);
      String keyword = kv[0];
      String rest = kv.length > 1 ? kv[1].strip() : "";
      switch (keyword) {
        case "user" -> {
          if (rest.isEmpty()) {
            throw new AuthFileException(file, lineNo, "user needs a name");
          }
          current = byUser.computeIfAbsent(rest, u -> new ArrayList<>());
        }
        case "topic" -> current.add(rule(file, lineNo, rest, false));
        case "pattern" -> patterns.add(rule(file, lineNo, rest, true));
        default -> throw new AuthFileException(file, lineNo,
            "unknown keyword '" + keyword + "' (expected topic, pattern or user)");
      }
    }
    return new AclFile(everyone, byUser, patterns);
  }

  private static Rule rule(Path file, int line, String rest, boolean pattern) {
    if (rest.isEmpty()) {
      throw new AuthFileException(file, line, (pattern ? "pattern" : "topic") + " needs a topic");
    }
    Access access = Access.READWRITE;
    String topic = rest;
    String[] parts = rest.split("\\s+", 2);
    Access named = access(parts[0]);
    if (named != null && parts.length == 2) {
      access = named;
      topic = parts[1].strip();
    } else if (named == null && parts.length == 2) {
      throw new AuthFileException(file, line, "unknown access '" + parts[0]
          + "' (expected read, write, readwrite or deny)");
    }
    String problem = checkFilter(topic);
    if (problem != null) {
      throw new AuthFileException(file, line, "topic '" + topic + "': " + problem);
    }
    return new Rule(access, topic.split("/", -1), pattern, line);
  }

  private static Access access(String word) {
    try {
      return Access.valueOf(word.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** MQTT-4.7.1: {@code #} alone in the last level, {@code +} alone in its level. */
  private static String checkFilter(String filter) {
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      if (l.contains("#") && (!l.equals("#") || i != levels.length - 1)) {
        return "# must be a whole level, the last one";
      }
      if (l.contains("+") && !l.equals("+")) {
        return "+ must be a whole level";
      }
    }
    return null;
  }

  List<Rule> everyone() {
    return everyone;
  }

  /** The rules of {@code user}'s section; empty when it has none or is {@code null}. */
  List<Rule> user(String user) {
    return user == null ? List.of() : byUser.getOrDefault(user, List.of());
  }

  List<Rule> patterns() {
    return patterns;
  }

  /** Rules in the file, for the logs. */
  public int size() {
    return everyone.size() + patterns.size() + byUser.values().stream().mapToInt(List::size).sum();
  }
}
