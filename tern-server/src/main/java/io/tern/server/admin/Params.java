package io.tern.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.util.Iterator;
import java.util.List;

/** Reading query parameters and JSON fields, with 400 answers that name the field. */
final class Params {
  private Params() {}

  static int intParam(Context ctx, String name, int fallback, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name, name + " must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw ApiError.badRequest(name, name + " must be " + min + ".." + max + ", got " + n);
    }
    return n;
  }

  /** true, false, or null when absent. */
  static Boolean boolParam(Context ctx, String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      return null;
    }
    if (v.equals("true")) {
      return true;
    }
    if (v.equals("false")) {
      return false;
    }
    throw ApiError.badRequest(name, name + " must be true or false, got '" + v + "'");
  }

  static String text(JsonNode obj, String path, String name, boolean required) {
    JsonNode n = obj.get(name);
    if (n == null || n.isNull()) {
      if (required) {
        throw ApiError.badRequest(path + name, path + name + " is required");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest(path + name, path + name + " must be a string");
    }
    return n.textValue();
  }

  static int integer(JsonNode obj, String path, String name, int fallback, int min, long max) {
    JsonNode n = obj.get(name);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isIntegralNumber() || n.longValue() < min || n.longValue() > max) {
      throw ApiError.badRequest(path + name, path + name + " must be a whole number " + min + ".." + max);
    }
    return n.intValue();
  }

  static long longValue(JsonNode obj, String path, String name, long min, long max) {
    JsonNode n = obj.get(name);
    if (!n.isIntegralNumber() || n.longValue() < min || n.longValue() > max) {
      throw ApiError.badRequest(path + name, path + name + " must be a whole number " + min + ".." + max);
    }
    return n.longValue();
  }

  /** A required true or false. */
  static boolean bool(JsonNode obj, String path, String name) {
    JsonNode n = obj.get(name);
    if (n == null || n.isNull()) {
      throw ApiError.badRequest(path + name, path + name + " is required (true or false)");
    }
    return bool(obj, path, name, false);
  }

  /**
   * Refuses a field of {@code obj} that is not one of {@code known}: a misspelt one ({@code
   * "retian"}) would otherwise be ignored and its default used.
   */
  static void onlyFields(JsonNode obj, String path, String... known) {
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!List.of(known).contains(name)) {
        throw ApiError.badRequest(path + name, "unknown field '" + path + name + "' (known: "
            + String.join(", ", known) + ")");
      }
    }
  }

  static boolean bool(JsonNode obj, String path, String name, boolean fallback) {
    JsonNode n = obj.get(name);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      throw ApiError.badRequest(path + name, path + name + " must be true or false");
    }
    return n.booleanValue();
  }
}
