package io.tern.server.admin;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.tern.broker.Broker;
import io.tern.broker.TlsConfig;
import io.tern.broker.management.BrokerManagement;
import io.tern.server.config.AdminConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server: the REST API ({@code /api/v1}), Prometheus metrics ({@code /metrics}), the
 * dashboard ({@code /dashboard/}) and {@code /health}. Javalin on Jetty, on its own small thread
 * pool ({@code tern-admin-*}), never on the MQTT event loops.
 *
 * <p>Every endpoint but {@code /health} (and the dashboard's static files, which hold no data)
 * requires credentials: HTTP Basic of an admin user, or a bearer token (an API key, or the session
 * token {@code POST /api/v1/login} returns).
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.start(broker, config.admin(), metrics, () -> broker.isRunning());
 * ...
 * admin.close();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final String PRINCIPAL = "tern.principal";
  /** Methods that change state: a Content-Type other than JSON gets 415. */
  private static final Set<HandlerType> CHANGES =
      Set.of(HandlerType.POST, HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE);
  /** The largest request body read (Javalin's default); a larger one gets 413. */
  static final long MAX_REQUEST_BYTES = 1_000_000;
  /** Dashboard files served from the classpath, with their content types. */
  private static final Map<String, String> DASHBOARD = Map.of(
      "index.html", "text/html; charset=utf-8",
      "app.js", "text/javascript; charset=utf-8",
      "chart.js", "text/javascript; charset=utf-8",
      "style.css", "text/css; charset=utf-8");

  private final Javalin app;
  private final ScheduledExecutorService sampling;
  private final AdminAuth auth;

  private AdminServer(Javalin app, ScheduledExecutorService sampling, AdminAuth auth) {
    this.app = app;
    this.sampling = sampling;
    this.auth = auth;
  }

  /** Reads {@code admin.password_file} again (the server does it on SIGHUP). */
  public void reload() {
    auth.reload();
  }

  /**
   * Starts serving.
   *
   * @param metrics the metrics to serve at {@code /metrics}
   * @param ready whether the broker is ready ({@code /api/v1/ready}: listeners bound, store open);
   *     not either while the metrics' store cannot be written
   * @throws IllegalStateException when the port cannot be bound (the cause says why)
   * @throws IllegalArgumentException when the TLS files do not load
   */
  public static AdminServer start(Broker broker, AdminConfig config, ServerMetrics metrics, BooleanSupplier ready) {
    AdminAuth auth = new AdminAuth(config);
    StatsSampler sampler = new StatsSampler(broker);
    ScheduledExecutorService sampling = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tern-admin-sampler");
      t.setDaemon(true);
      return t;
    });
    sampling.scheduleAtFixedRate(() -> {
      try {
        sampler.sample();
      } catch (RuntimeException e) {
        log.debug("Admin: stats sample failed: {}", e.toString());
      }
    }, 0, 1, TimeUnit.SECONDS);
    RestApi api = new RestApi(broker, sampler, ready, metrics::storeWritable);
    Javalin app = Javalin.create(c -> configure(c, config, auth, api, metrics));
    try {
      app.start();
    } catch (RuntimeException e) {
      sampling.shutdownNow();
      app.stop();
      throw new IllegalStateException("admin server: cannot listen on " + config.bind() + ":" + config.port() + ": "
          + rootMessage(e), e);
    }
    AdminConnections.HeadDeadline heads =
        new AdminConnections.HeadDeadline(app.jettyServer().server(), AdminConnections.HEAD_DEADLINE_MILLIS);
    sampling.scheduleAtFixedRate(() -> {
      try {
        heads.run();
      } catch (RuntimeException e) {
        log.debug("Admin: checking request heads failed: {}", e.toString());
      }
    }, 1, 1, TimeUnit.SECONDS);
    log.info("Admin: listening on {}://{}:{} ({}); dashboard at /dashboard/, metrics at /metrics",
        config.tls() == null ? "http" : "https", config.bind(), app.port(), auth.describe());
    if (config.tls() == null && !isLoopback(config.bind())) {
      log.warn("Admin: listening on {} without TLS: credentials cross the network in clear (admin.tls)",
          config.bind());
    }
    return new AdminServer(app, sampling, auth);
  }

  /** The admin server's threads: few requests at a time are expected, but slow ones must not take them all. */
  static final int MAX_THREADS = 32;
  /**
   * How long a request's body may take to arrive (an API body is a few hundred bytes, at most
   * {@link #MAX_REQUEST_BYTES}), and how long it may send nothing at all (Jetty's default is 30 s).
   */
  static final long BODY_DEADLINE_MILLIS = 10_000;

  /**
   * Fails the reading of a request body still incomplete {@link #BODY_DEADLINE_MILLIS} after the
   * request began to arrive. Checked each time the reader has to wait for more, which a body
   * trickling in does at every byte. (Jetty's MinimumDataRateHandler measures a rate, which a
   * small body split in two TCP segments a few milliseconds apart already fails.)
   */
  static final class BodyDeadline extends org.eclipse.jetty.server.Handler.Wrapper {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      return super.handle(new TimedRequest(request), response, callback);
    }

    private static final class TimedRequest extends Request.Wrapper {
      private final long deadline;
      private volatile org.eclipse.jetty.io.Content.Chunk failed;

      TimedRequest(Request request) {
        super(request);
        // From when the request began to arrive: one that waited for a thread has had its time.
        deadline = request.getBeginNanoTime() + TimeUnit.MILLISECONDS.toNanos(BODY_DEADLINE_MILLIS);
      }

      @Override
      public org.eclipse.jetty.io.Content.Chunk read() {
        org.eclipse.jetty.io.Content.Chunk f = failed;
        return f != null ? f : super.read();
      }

      @Override
      public void demand(Runnable more) {
        if (System.nanoTime() - deadline > 0) {
          failed = org.eclipse.jetty.io.Content.Chunk.from(new SlowBodyException(
              "the request body did not arrive whole within " + BODY_DEADLINE_MILLIS + " ms"));
          more.run();
          return;
        }
        super.demand(more);
      }
    }
  }

  /**
   * A body not whole within {@link #BODY_DEADLINE_MILLIS}. Not a {@code TimeoutException}: Javalin
   * answers those itself, before the application's exception handlers, with the status and no body
   * (a {@code text/plain} 408 where the API answers errors in JSON).
   */
  static final class SlowBodyException extends java.io.IOException {
    SlowBodyException(String message) {
      super(message);
    }
  }

  private static void configure(JavalinConfig c, AdminConfig config, AdminAuth auth, RestApi api,
      ServerMetrics metrics) {
    QueuedThreadPool pool = new QueuedThreadPool(MAX_THREADS, 2, 60_000);
    pool.setName("tern-admin");
    pool.setDaemon(true);
    c.jetty.threadPool = pool;
    c.jetty.host = config.bind();
    c.jetty.port = config.port();
    c.startup.showJavalinBanner = false;
    c.http.maxRequestSize = MAX_REQUEST_BYTES;
    c.http.prefer405over404 = true; // a known path asked with another method: 405 with Allow
    // Client ids and topics go in paths as they are: "room/" is another topic than "room", and
    // Javalin's default (a trailing slash ignored) made DELETE /retained/room/ clear "room".
    c.router.ignoreTrailingSlashes = false;
    // Jetty answers some requests itself (a bad request line or percent-encoding, headers too large):
    // with the API's JSON error too.
    c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
    // A request body is read by a handler on one of the pool's threads, which waits while the body
    // trickles in: 16 bodies sent a byte a second held every thread, and /health went unanswered.
    // A body not whole BODY_DEADLINE_MILLIS after its request began fails the request (408) and
    // frees its thread; one that stops arriving altogether, at the idle timeout of I/O during a request.
    c.jetty.modifyServletContextHandler(context -> context.insertHandler(new BodyDeadline()));
    c.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(BODY_DEADLINE_MILLIS));
    // Connections are bounded whoever opens them: in number (past it, new ones wait in the kernel's
    // accept queue), and in the time a request's head may take (HeadDeadline, swept by start()).
    c.jetty.modifyServer(server -> AdminConnections.limit(server, config.maxConnections()));
    SSLContext ssl = config.tls() == null ? null : sslContext(config.tls());
    c.jetty.addConnector((server, http) -> {
      SslContextFactory.Server factory = null;
      if (ssl != null) {
        http.addCustomizer(new SecureRequestCustomizer(false)); // no SNI host check: 127.0.0.1 is fine
        factory = new SslContextFactory.Server();
        factory.setSslContext(ssl);
      }
      ServerConnector connector = new AdminConnections.AdminConnector(server, factory, new HttpConnectionFactory(http));
      connector.setHost(config.bind());
      connector.setPort(config.port());
      return connector;
    });
    var r = c.routes;
    r.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.field, e.getMessage()));
    r.exception(HttpResponseException.class, AdminServer::httpError);
    r.exception(BrokerManagement.ManagementTimeoutException.class,
        (e, ctx) -> error(ctx, 503, null, "the broker is too busy to answer: " + e.getMessage()));
    r.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, null, e.getMessage()));
    r.exception(Exception.class, (e, ctx) -> {
      String gone = requestCutShort(e);
      if (gone != null) {
        // The client left in the middle of its request, or sent its body too slowly: its fault, one DEBUG line.
        log.debug("Admin: {} {} from {}: {}", ctx.method(), ctx.path(), ctx.ip(), gone);
        error(ctx, 408, null, "the request body did not arrive: " + gone);
        return;
      }
      failed(ctx.method() + " " + ctx.path(), e instanceof HandlerError ? e.getCause() : e);
      error(ctx, 500, null, "internal error");
    });
    // Javalin's exception handlers take Exceptions only, and it answered an Error (an OutOfMemoryError
    // in a handler) with an empty 500 and a line at a level logback.xml turns off: a handler's Error
    // goes to the handler above as a HandlerError, and any other (Javalin's own) comes here.
    c.router.handlerWrapper(endpoint -> ctx -> {
      try {
        endpoint.handler.handle(ctx);
      } catch (Error e) {
        throw new HandlerError(e);
      }
    });
    c.router.javaLangErrorHandler((response, e) -> {
      failed("a request", e);
      if (!response.isCommitted()) {
        response.reset();
        response.setStatus(500);
        response.setContentType("application/json");
        try {
          response.getOutputStream().write(RestApi.JSON.writeValueAsBytes(errorBody(500, null, "internal error")));
        } catch (IOException | RuntimeException ignored) {
          // the client gets the status alone
        }
      }
    });

    r.get("/health", AdminServer::health);
    r.get("/api/v1/health", AdminServer::health);
    r.before("/api/*", ctx -> {
      // A browser says which page sent a request (Origin): a state-changing one from a page of
      // another site is refused before anything else, whatever credentials the browser attached
      // (a cross-site form POST to /login, with no body, would otherwise mint sessions with the
      // remembered Basic credentials, and fill the session table). Tools such as curl send no Origin.
      if (CHANGES.contains(ctx.method()) && !sameOrigin(ctx.header("Origin"), ctx.header("Host"))) {
        throw new ApiError(403, "Origin", "a request from another site (Origin " + ctx.header("Origin") + ")");
      }
      if (!ctx.path().equals("/api/v1/health")) {
        authenticate(ctx, auth);
      }
      // What a cross-site page could send with a browser's remembered credentials (a form,
      // text/plain) never changes anything, with a body or without (see RestApi.body).
      if (CHANGES.contains(ctx.method()) && ctx.contentType() != null && !RestApi.isJson(ctx.contentType())) {
        throw new ApiError(415, "Content-Type", "Content-Type must be application/json (or absent on a request "
            + "without a body), got '" + ctx.contentType() + "'");
      }
    });
    r.before("/metrics", ctx -> authenticate(ctx, auth));
    r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    r.post("/api/v1/login", ctx -> {
      AdminAuth.Principal p = ctx.attribute(PRINCIPAL);
      if (!"basic".equals(p.method())) {
        // A session token must not renew itself (it would outlive the removal of its user), nor
        // an API key mint sessions: logging in takes a user's password.
        throw new ApiError(401, null, "logging in takes HTTP Basic credentials of an admin user");
      }
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("token", auth.newSession(p.name()));
      o.put("user", p.name());
      o.put("expires_in", AdminAuth.SESSION.toSeconds());
      log.info("Admin: {} logged in from {}", p.name(), ctx.ip());
      RestApi.json(ctx, 200, o);
    });
    r.post("/api/v1/logout", ctx -> {
      auth.endSession(ctx.header("Authorization"));
      ctx.status(204);
    });
    r.get("/api/v1/openapi.json", ctx -> resource(ctx, "openapi.json", "application/json"));
    api.register(r);
    r.get("/", ctx -> ctx.redirect("/dashboard/"));
    r.get("/dashboard", ctx -> ctx.redirect("/dashboard/"));
    r.get("/dashboard/", ctx -> resource(ctx, "dashboard/index.html", DASHBOARD.get("index.html")));
    r.get("/dashboard/{file}", ctx -> {
      String file = ctx.pathParam("file");
      String type = DASHBOARD.get(file);
      if (type == null) {
        throw ApiError.notFound("no such file: " + ctx.path());
      }
      resource(ctx, "dashboard/" + file, type);
    });
  }

  /** Lines about failed requests at WARN or ERROR: at most 5 a second, the rest at DEBUG. */
  private static final io.tern.broker.internal.LogLimit failureLines =
      new io.tern.broker.internal.LogLimit(5, "failed admin requests", null);

  /** An Error thrown by a handler, carried to the exception handlers (which take Exceptions only). */
  static final class HandlerError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HandlerError(Error cause) {
      super(cause.toString(), cause, false, false);
    }
  }

  /**
   * Logs a request the server failed: one line, at ERROR for an Error, else WARN, naming the failure
   * and where it was thrown; its stack at DEBUG. Rate-limited: a failure on every request of a
   * dashboard polling each second must not flood the log.
   */
  static void failed(String request, Throwable e) {
    if (failureLines.level(log) == org.slf4j.event.Level.INFO) {
      StackTraceElement[] stack = e.getStackTrace();
      log.atLevel(e instanceof Error ? org.slf4j.event.Level.ERROR : org.slf4j.event.Level.WARN)
          .log("Admin: {} failed: {}{}", request, e, stack.length == 0 ? "" : " (at " + stack[0] + ")");
    }
    if (log.isDebugEnabled()) {
      log.debug("Admin: {} failed", request, e);
    }
  }

  /**
   * Why reading the request failed, if that is what {@code e} is (the connection ended before the
   * body did, or the body took longer than {@link #BODY_DEADLINE_MILLIS}); null for a failure
   * of the server's own.
   */
  static String requestCutShort(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      // Jetty's EofException (the connection ended) is an EOFException; SlowBodyException is BodyDeadline's.
      if (t instanceof java.io.EOFException || t instanceof SlowBodyException) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      }
    }
    return null;
  }

  private static void health(Context ctx) {
    RestApi.json(ctx, 200, Map.of("status", "up"));
  }

  private static void authenticate(Context ctx, AdminAuth auth) {
    AdminAuth.Result result = auth.check(ctx.header("Authorization"), ctx.ip());
    if (result instanceof AdminAuth.Ok ok) {
      ctx.attribute(PRINCIPAL, ok.principal());
      return;
    }
    if (result instanceof AdminAuth.Busy) {
      ctx.header("Retry-After", "1");
      throw new ApiError(503, null, "too many password checks under way; try again in a second (or use an API key "
          + "or a session token from /api/v1/login, which need none)");
    }
    if (ctx.header("X-Tern-Dashboard") == null) {
      // Not for the dashboard: a browser would pop up its own login dialog over the page's.
      ctx.header("WWW-Authenticate", "Basic realm=\"tern\", charset=\"UTF-8\"");
    }
    if (result instanceof AdminAuth.Locked locked) {
      ctx.header("Retry-After", Long.toString(locked.retryAfterSeconds()));
      throw new ApiError(429, null, "too many failed attempts from this address; try again in "
          + locked.retryAfterSeconds() + " s");
    }
    throw new ApiError(401, null, ctx.header("Authorization") == null
        ? "authentication required (HTTP Basic of an admin user, or a bearer token)"
        : "invalid credentials (HTTP Basic of an admin user, or a bearer token)");
  }

  /** Who made the request, for log lines. */
  static String who(Context ctx) {
    AdminAuth.Principal p = ctx.attribute(PRINCIPAL);
    return p == null ? "?" : p.name() + " (" + p.method() + ", " + ctx.ip() + ")";
  }

  private static void resource(Context ctx, String name, String type) throws IOException {
    try (InputStream in = AdminServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw ApiError.notFound("no such file: " + ctx.path());
      }
      ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
    }
  }

  private static void error(Context ctx, int status, String field, String message) {
    if (ctx.res().isCommitted()) {
      return; // the answer was under way when it failed: its status can no longer change
    }
    ctx.res().resetBuffer(); // what a failed answer had written of its body
    RestApi.json(ctx, status, errorBody(status, field, message));
  }

  /** Javalin's own answers (no such endpoint, another method, a body over its limit) as JSON errors. */
  private static void httpError(HttpResponseException e, Context ctx) {
    int status = e.getStatus();
    String message = switch (status) {
      case 404 -> "no such endpoint: " + ctx.method() + " " + ctx.path();
      case 405 -> {
        // Javalin's details list the methods the path has, comma-separated (key per Accept).
        String allowed = String.join(", ", e.getDetails().values().stream().findFirst().orElse("").split(",\\s*"));
        ctx.header("Allow", allowed);
        yield ctx.method() + " is not allowed on " + ctx.path() + " (allowed: " + allowed + ")";
      }
      case 413 -> "the request body is larger than " + MAX_REQUEST_BYTES + " bytes";
      default -> e.getMessage();
    };
    error(ctx, status, null, message);
  }

  static Map<String, Object> errorBody(int status, String field, String message) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("error", switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 408 -> "request_timeout";
      case 405 -> "method_not_allowed";
      case 413 -> "content_too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "too_many_requests";
      case 431 -> "request_header_fields_too_large";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal_error"
          : HttpStatus.getMessage(status).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    });
    o.put("message", message);
    if (field != null) {
      o.put("field", field);
    }
    return o;
  }

  /**
   * Jetty's error pages as the API's JSON errors, for what Jetty answers before the request reaches
   * Javalin: a malformed request line, target or percent-encoding (400), headers too large (431).
   */
  private static final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean errorPageForMethod(String method) {
      return true; // a body for DELETE and PUT too, not only GET, POST and HEAD
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
        Callback callback) throws IOException {
      String text = "the HTTP server refused the request: " + (message == null
          || (cause != null && message.equals(cause.toString())) ? HttpStatus.getMessage(code) : message);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(true, ByteBuffer.wrap(RestApi.JSON.writeValueAsBytes(errorBody(code, null, text))), callback);
    }
  }

  /** The MQTT listeners' reading of the PEM files, checks and cipher suites (TlsServerContexts). */
  private static SSLContext sslContext(TlsConfig tls) {
    try {
      return io.tern.broker.internal.TlsServerContexts.jdk(tls);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("admin.tls: " + e.getMessage(), e);
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** The admin server's open connections (tests). */
  int connections() {
    int n = 0;
    for (org.eclipse.jetty.server.Connector c : app.jettyServer().server().getConnectors()) {
      n += c.getConnectedEndPoints().size();
    }
    return n;
  }

  /** The bound port (the real one when configured as 0). */
  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    sampling.shutdownNow();
    app.stop();
  }

  /**
   * Whether a request's {@code Origin} (absent: not sent by a page) is the admin server itself, as
   * the browser reached it ({@code Host}). {@code null} and {@code "null"} (a sandboxed or opaque
   * origin) are told apart: only an absent header passes without a match.
   */
  static boolean sameOrigin(String origin, String host) {
    if (origin == null) {
      return true;
    }
    int scheme = origin.indexOf("://");
    if (scheme < 0 || host == null) {
      return false;
    }
    String authority = origin.substring(scheme + 3);
    int slash = authority.indexOf('/');
    if (slash >= 0) {
      authority = authority.substring(0, slash);
    }
    return authority.equalsIgnoreCase(host.strip());
  }
}
