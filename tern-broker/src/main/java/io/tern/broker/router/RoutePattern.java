package io.tern.broker.router;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled route pattern: topic levels separated by {@code /}, each one of
 *
 * <ul>
 *   <li>a literal ({@code user}), matching exactly that level;
 *   <li>a named parameter ({@code :username}), matching any one level and binding it to the name;
 *   <li>as the last level only, a glob ({@code *rest}), matching the rest of the topic (zero or more
 *       levels, bound to the name without the level separators at its ends), or a prefix glob
 *       ({@code $*admin}), matching the rest of the topic when it starts with the literal before the
 *       {@code *} ({@code $*admin} on {@code $admin/users} binds {@code admin} to {@code admin/users}).
 * </ul>
 *
 * <p>Matching allocates nothing: bound values are recorded as offsets into the topic and cut out
 * only when asked for ({@link RouteContext#param}). Immutable and thread-safe.
 */
public final class RoutePattern {
  private static final int LITERAL = 0;
  private static final int PARAM = 1;
  private static final int GLOB = 2;

  private final String source;
  private final int[] kinds;
  /** The literal of a literal level, the literal prefix of a glob ("" for a plain glob), null for a parameter. */
  private final String[] texts;
  /** The parameter names, in order; a parameter's index in {@link #bounds} arrays is 2 * its position here. */
  private final String[] names;

  private RoutePattern(String source, int[] kinds, String[] texts, String[] names) {
    this.source = source;
    this.kinds = kinds;
    this.texts = texts;
    this.names = names;
  }

  /** Compiles a pattern. @throws IllegalArgumentException when malformed */
  public static RoutePattern compile(String pattern) {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("empty route pattern");
    }
    String[] levels = pattern.split("/", -1);
    int[] kinds = new int[levels.length];
    String[] texts = new String[levels.length];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      int star = l.indexOf('*');
      boolean braces = l.length() >= 2 && l.charAt(0) == '{' && l.charAt(l.length() - 1) == '}';
      if (l.startsWith(":") || braces) {
        // ":id" or "{id}" (the spelling of OpenAPI and of most web routers): one level, bound to id
        String name = braces ? l.substring(1, l.length() - 1) : l.substring(1);
        if (name.isEmpty()) {
          throw new IllegalArgumentException("parameter without a name in '" + pattern + "'");
        }
        kinds[i] = PARAM;
        names.add(name);
      } else if (star >= 0) {
        if (i != levels.length - 1) {
          throw new IllegalArgumentException("a glob must be the last level of '" + pattern + "'");
        }
        kinds[i] = GLOB;
        texts[i] = l.substring(0, star);
        String name = l.substring(star + 1);
        names.add(name.isEmpty() ? "*" : name);
      } else {
        if (l.contains("+") || l.contains("#")) {
          throw new IllegalArgumentException("MQTT wildcards are not route syntax (use :name or *name): '" + pattern + "'");
        }
        kinds[i] = LITERAL;
        texts[i] = l;
      }
    }
    if (new java.util.HashSet<>(names).size() < names.size()) {
      throw new IllegalArgumentException("a parameter name used twice in '" + pattern + "'");
    }
    return new RoutePattern(pattern, kinds, texts, names.toArray(new String[0]));
  }

  /** This pattern under a scope prefix ({@code "user/:username/"} + {@code "location"}). */
  static String join(String prefix, String pattern) {
    if (prefix.isEmpty()) {
      return pattern;
    }
    if (pattern.isEmpty()) {
      return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }
    return prefix.endsWith("/") ? prefix + pattern : prefix + "/" + pattern;
  }

  public String source() {
    return source;
  }

  /** The parameter names, in order of appearance. */
  public List<String> parameterNames() {
    return List.of(names);
  }

  int parameterCount() {
    return names.length;
  }

  String parameterName(int i) {
    return names[i];
  }

  /** The literal prefix of a glob in the first level ({@code $} for {@code $*admin}), else null (also for {@code *rest}). */
  String firstGlobPrefix() {
    return kinds[0] == GLOB && !texts[0].isEmpty() ? texts[0] : null;
  }

  /** The literal first level, or null when the pattern starts with a parameter or a glob. */
  String firstLiteral() {
    return kinds[0] == LITERAL ? texts[0] : null;
  }

  /** Whether the topic matches, without recording anything. */
  public boolean matches(String topic) {
    return match(topic, null);
  }

  /**
   * Matches {@code topic}; when {@code bounds} is given (length {@code 2 * parameterCount()}),
   * records the start and end offset of each bound value.
   */
  boolean match(String topic, int[] bounds) {
    int pos = 0; // start of the current level
    int len = topic.length();
    int param = 0;
    for (int i = 0; i < kinds.length; i++) {
      if (kinds[i] == GLOB) {
        String prefix = texts[i];
        if (pos > len) { // the topic ended on the previous level: the glob takes nothing
          if (!prefix.isEmpty()) {
            return false;
          }
          pos = len;
        } else if (!topic.startsWith(prefix, pos)) {
          return false;
        }
        if (bounds != null) {
          bounds[2 * param] = Math.min(pos + prefix.length(), len);
          bounds[2 * param + 1] = len;
        }
        return true;
      }
      if (pos > len) {
        return false; // fewer levels than the pattern
      }
      int end = topic.indexOf('/', pos);
      if (end < 0) {
        end = len;
      }
      if (kinds[i] == LITERAL) {
        String lit = texts[i];
        if (end - pos != lit.length() || !topic.startsWith(lit, pos)) {
          return false;
        }
      } else {
        if (bounds != null) {
          bounds[2 * param] = pos;
          bounds[2 * param + 1] = end;
        }
        param++;
      }
      pos = end + 1;
    }
    return pos > len; // every level of the topic consumed
  }

  @Override
  public String toString() {
    return source;
  }
}
