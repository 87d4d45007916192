package io.tern.server.admin;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Pagination of a list answer: {@code ?page=1&per_page=100} in, {@code items}, {@code page},
 * {@code per_page}, {@code total}, {@code total_pages} out. Pages count from 1; a page past the end
 * is empty (not an error). Only the page's items are rendered; one that renders as {@code null} (gone
 * since the list was made) is left out of its page.
 */
final class Page {
  static final int DEFAULT_PER_PAGE = 100;
  static final int MAX_PER_PAGE = 1000;

  private Page() {}

  static <T> Map<String, Object> of(Context ctx, List<T> all, Function<T, Object> render) {
    int page = Params.intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
    int perPage = Params.intParam(ctx, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
    int total = all.size();
    int totalPages = (total + perPage - 1) / perPage;
    long from = (long) (page - 1) * perPage;
    List<Object> items = new java.util.ArrayList<>();
    for (long i = from; i < Math.min(total, from + perPage); i++) {
      Object item = render.apply(all.get((int) i));
      if (item != null) {
        items.add(item);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", items);
    out.put("page", page);
    out.put("per_page", perPage);
    out.put("total", total);
    out.put("total_pages", totalPages);
    return out;
  }
}
