package io.tern.codec;

/**
 * Topic name and topic filter rules (MQTT 3.1.1 section 4.7, MQTT 5.0 section 4.7 and 4.8.2).
 *
 * <p>The length and UTF-8 rules are enforced where strings are read; these checks cover the
 * structure: wildcards only in filters, each wildcard a whole level, {@code #} last, and the shape of
 * {@code $share/{ShareName}/{filter}}.
 */
public final class Topics {
  /** Prefix of a shared subscription filter (MQTT 5.0 section 4.8.2). */
  public static final String SHARE_PREFIX = "$share/";

  private Topics() {}

  /** True for a valid topic name: non-empty, no {@code +} or {@code #} (MQTT-4.7.3-1, MQTT-3.3.2-2). */
  public static boolean isValidName(String topic) {
    if (topic.isEmpty()) {
      return false;
    }
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (c == '+' || c == '#') {
        return false;
      }
    }
    return true;
  }

  /**
   * True for a topic name that may go on the wire: {@link #isValidName} and {@link
   * #isWellFormedString}. For topics that did not come through the decoder (the embedding API, hooks
   * that rewrite a topic), where nothing has checked the string rules yet.
   */
  public static boolean isSendableName(String topic) {
    return isValidName(topic) && isWellFormedString(topic);
  }

  /**
   * True for a string MQTT allows as a UTF-8 Encoded String (section 1.5.4): no U+0000
   * (MQTT-1.5.4-2), no surrogate that is not half of a pair (MQTT-1.5.4-1: Java would encode it as
   * '?'), and at most 65,535 bytes of UTF-8. The decoder checks these as it reads; a string made in
   * the process must be checked before it is sent, or a receiver drops its connection on it.
   */
  public static boolean isWellFormedString(String s) {
    int n = s.length();
    long bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c == 0) {
          return false;
        }
      } else if (c < 0x800) {
        bytes++;
      } else if (!Character.isSurrogate(c)) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 2; // 4 bytes for the pair, 2 chars already counted
        i++;
      } else {
        return false;
      }
    }
    return bytes <= 65_535;
  }

  /**
   * True for a valid topic filter: non-empty (MQTT-4.7.3-1), {@code +} occupying a whole level
   * (MQTT-4.7.1-3), {@code #} a whole level and the last one (MQTT-4.7.1-2); for a shared
   * subscription a ShareName without {@code / + #} and a non-empty filter after it.
   */
  public static boolean isValidFilter(String filter) {
    if (filter.isEmpty()) {
      return false;
    }
    if (filter.startsWith(SHARE_PREFIX)) {
      int slash = filter.indexOf('/', SHARE_PREFIX.length());
      if (slash <= SHARE_PREFIX.length()) {
        return false; // no ShareName, or no '/' after it
      }
      for (int i = SHARE_PREFIX.length(); i < slash; i++) {
        char c = filter.charAt(i);
        if (c == '+' || c == '#') {
          return false;
        }
      }
      return isValidPlainFilter(filter, slash + 1);
    }
    return isValidPlainFilter(filter, 0);
  }

  private static boolean isValidPlainFilter(String filter, int from) {
    int len = filter.length();
    if (from >= len) {
      return false;
    }
    for (int i = from; i < len; i++) {
      char c = filter.charAt(i);
      if (c == '+' || c == '#') {
        boolean levelStart = i == from || filter.charAt(i - 1) == '/';
        boolean levelEnd = i == len - 1 || filter.charAt(i + 1) == '/';
        if (!levelStart || !levelEnd) {
          return false;
        }
        if (c == '#' && i != len - 1) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * True for the broker's own {@code $SYS} tree: {@code $SYS} or a topic under it, not {@code
   * $SYSTEM} (MQTT-4.7.2: topics beginning with {@code $} are the server's).
   */
  public static boolean isSys(String topic) {
    return topic.startsWith("$SYS") && (topic.length() == 4 || topic.charAt(4) == '/');
  }

  /** True when the filter is a shared subscription ({@code $share/...}). */
  public static boolean isShared(String filter) {
    return filter.startsWith(SHARE_PREFIX);
  }

  /**
   * The filter topic names are matched against: {@code f} for {@code $share/{ShareName}/f}, the
   * filter itself when it is not shared (or has no {@code /} after its share name).
   */
  public static String topicFilterOf(String filter) {
    if (!filter.startsWith(SHARE_PREFIX)) {
      return filter;
    }
    int slash = filter.indexOf('/', SHARE_PREFIX.length());
    return slash < 0 ? filter : filter.substring(slash + 1);
  }

  /** The share name of a {@code $share/{ShareName}/{filter}} filter, or null for a non-shared one. */
  public static String shareNameOf(String filter) {
    if (!filter.startsWith(SHARE_PREFIX)) {
      return null;
    }
    int slash = filter.indexOf('/', SHARE_PREFIX.length());
    return slash < 0 ? null : filter.substring(SHARE_PREFIX.length(), slash);
  }

  /** The levels of a topic name or filter: its {@code /} separators and one ({@code ""} is one level). */
  public static int levels(String topic) {
    int n = 1;
    for (int i = topic.indexOf('/'); i >= 0; i = topic.indexOf('/', i + 1)) {
      n++;
    }
    return n;
  }

  /** True when the filter contains {@code +} or {@code #}. */
  public static boolean hasWildcard(String filter) {
    for (int i = 0; i < filter.length(); i++) {
      char c = filter.charAt(i);
      if (c == '+' || c == '#') {
        return true;
      }
    }
    return false;
  }

  /**
   * True when a topic name matches a (non-shared) filter, with the rule that a filter starting with
   * a wildcard does not match a topic starting with {@code $} (MQTT-4.7.2-1). A reference
   * implementation, for tests and single checks; the broker matches through its trie.
   */
  public static boolean matches(String filter, String topic) {
    if (!topic.isEmpty() && topic.charAt(0) == '$' && !filter.isEmpty()
        && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
      return false;
    }
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true; // also matches the parent level: "a/#" matches "a"
      }
      if (i >= t.length) {
        return false;
      }
      if (!f[i].equals("+") && !f[i].equals(t[i])) {
        return false;
      }
    }
    return f.length == t.length;
  }
}
