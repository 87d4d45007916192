package io.tern.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The flat JSON objects of the results files: string, number, boolean and null values only. Small
 * enough to keep the generator free of a JSON library.
 */
final class Json {
  private Json() {}

  static String write(Map<String, ?> fields) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      quote(sb, e.getKey());
      sb.append(':');
      Object v = e.getValue();
      if (v == null) {
        sb.append("null");
      } else if (v instanceof Double d) {
        sb.append(Double.isFinite(d) ? formatDouble(d) : "null");
      } else if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else {
        quote(sb, v.toString());
      }
    }
    return sb.append('}').toString();
  }

  private static String formatDouble(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Double.toString(Math.round(d * 1000) / 1000.0);
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  /**
   * Parses one flat object. Numbers come back as {@code Long} when whole and {@code Double}
   * otherwise.
   *
   * @throws IllegalArgumentException when the text is not such an object
   */
  static Map<String, Object> parse(String text) {
    Parser p = new Parser(text);
    Map<String, Object> out = new LinkedHashMap<>();
    p.skip();
    p.expect('{');
    p.skip();
    if (p.peek() == '}') {
      p.pos++;
      return out;
    }
    while (true) {
      p.skip();
      String key = p.string();
      p.skip();
      p.expect(':');
      p.skip();
      out.put(key, p.value());
      p.skip();
      char c = p.next();
      if (c == '}') {
        return out;
      }
      if (c != ',') {
        throw new IllegalArgumentException("expected , or } at " + (p.pos - 1));
      }
    }
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    char peek() {
      if (pos >= s.length()) {
        throw new IllegalArgumentException("unexpected end of JSON");
      }
      return s.charAt(pos);
    }

    char next() {
      char c = peek();
      pos++;
      return c;
    }

    void skip() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    void expect(char c) {
      if (next() != c) {
        throw new IllegalArgumentException("expected " + c + " at " + (pos - 1));
      }
    }

    Object value() {
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (s.startsWith("null", pos)) {
        pos += 4;
        return null;
      }
      if (s.startsWith("true", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      int start = pos;
      while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
        pos++;
      }
      String num = s.substring(start, pos);
      if (num.isEmpty()) {
        throw new IllegalArgumentException("unexpected " + c + " at " + start + " (nested values are not supported)");
      }
      try {
        return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad number " + num);
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return sb.toString();
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case 'n': sb.append('\n'); break;
          case 'r': sb.append('\r'); break;
          case 't': sb.append('\t'); break;
          case 'b': sb.append('\b'); break;
          case 'f': sb.append('\f'); break;
          case 'u':
            if (pos + 4 > s.length()) {
              throw new IllegalArgumentException("bad \\u escape");
            }
            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            pos += 4;
            break;
          default: sb.append(e);
        }
      }
    }
  }
}
