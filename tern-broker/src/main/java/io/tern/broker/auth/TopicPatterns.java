package io.tern.broker.auth;

/**
 * The {@code %u} (user name) and {@code %c} (client id) placeholders of access rules, as {@link
 * StaticAuth} and the broker's ACL file use them: {@code devices/%c/#}.
 *
 * <p>A client picks its own client id, and often its user name: a value that could widen the rule
 * it is put into ({@code #} as client id turning {@code devices/%c/#} into {@code devices/#/#}) must
 * make the rule match nothing, not everything.
 */
public final class TopicPatterns {
  private TopicPatterns() {}

  /**
   * {@code pattern} with every {@code %u} replaced by {@code user} and every {@code %c} by {@code
   * clientId}, in one pass (a value is never substituted again). {@code null}, so that the rule
   * applies to nothing, when a value the pattern uses is missing or unsafe: empty, holding {@code
   * /}, {@code +} or {@code #}, or starting with {@code $}.
   */
  public static String substitute(String pattern, String user, String clientId) {
    if (pattern.indexOf('%') < 0) {
      return pattern;
    }
    StringBuilder out = new StringBuilder(pattern.length() + 16);
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      char next = i + 1 < pattern.length() ? pattern.charAt(i + 1) : 0;
      if (c == '%' && (next == 'u' || next == 'c')) {
        String value = next == 'u' ? user : clientId;
        if (!safe(value)) {
          return null;
        }
        out.append(value);
        i++;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean safe(String value) {
    return value != null && !value.isEmpty() && value.indexOf('/') < 0 && value.indexOf('+') < 0
        && value.indexOf('#') < 0 && value.charAt(0) != '$';
  }
}
