package io.tern.server;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import io.tern.broker.store.Durability;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreException;
import io.tern.server.config.LimitsConfig;
import io.tern.server.config.ServerConfig;
import io.tern.server.config.StorageConfig;
import io.tern.store.rocksdb.RocksDbStore;
import io.tern.server.config.Units;
import io.tern.server.auth.ServerAuth;
import io.tern.server.admin.AdminServer;
import io.tern.server.admin.ServerMetrics;
import io.tern.server.admin.SysPublisher;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one server process: start the broker, serve until the JVM is asked to stop (SIGTERM,
 * SIGINT), stop the broker once, exit 0. SIGHUP reloads the password and ACL files.
 */
final class ServerProcess {
  private static final Logger log = LoggerFactory.getLogger(TernServer.class);

  private final ServerConfig config;
  private final String source;
  private final ServerAuth auth;

  /** @param auth the loaded password and ACL files; closed when the process stops */
  ServerProcess(ServerConfig config, String source, ServerAuth auth) {
    this.config = config;
    this.source = source;
    this.auth = auth;
  }

  /**
   * How long a stop asked for during the start (SIGTERM while the store recovers, say) waits for
   * the start to finish so that it can stop cleanly; past it the process halts as a crash would, and
   * the store recovers at the next start.
   */
  private static final long STOP_DURING_START_WAIT_S = 60;

  /** Held by the starting thread for the whole start: the shutdown hook waits on it. */
  private final java.util.concurrent.locks.ReentrantLock starting = new java.util.concurrent.locks.ReentrantLock();
  /** What the shutdown hook runs once the broker has started; null before, and after a failed start. */
  private volatile Runnable stopAction;

  /** Serves until the process is stopped; returns only when the broker could not start. */
  int run() {
    // The hook goes in before anything is started: a SIGTERM during the start (a store recovering
    // for seconds) would otherwise end the JVM with 143 and no line at all.
    starting.lock();
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "tern-shutdown"));
      int failed = start();
      if (failed != STARTED) {
        return failed;
      }
    } finally {
      starting.unlock();
    }
    while (true) {
      LockSupport.park(this); // the shutdown hook ends the process (see stop); spurious wake-ups loop
    }
  }

  /**
   * The shutdown hook: stops what the start started. During the start it waits for it (at most
   * {@link #STOP_DURING_START_WAIT_S}) rather than stop half-made things under the starting thread.
   * After a failed start it does nothing: the process is exiting with that start's status.
   */
  private void onShutdown() {
    if (!starting.tryLock()) {
      log.info("Stop requested while starting: stopping once the start is done");
      boolean started;
      try {
        started = starting.tryLock(STOP_DURING_START_WAIT_S, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        started = false;
      }
      if (!started) {
        log.warn("The start did not finish within {} s: exiting without a clean stop", STOP_DURING_START_WAIT_S);
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(TernServer.EXIT_FAILURE);
      }
    }
    Runnable stop = stopAction;
    if (stop != null) {
      stop.run(); // halts
    }
  }

  private static final int STARTED = -1;

  /** Starts everything; {@link #STARTED}, or the exit status of a start that failed. */
  private int start() {
    BrokerConfig brokerConfig = config.toBrokerConfig();
    log.info("Tern {} starting ({})", Version.get(), source);
    log.info("Limits: {}", describe(config.limits()));
    log.info("Auth: {}", auth.describe());
    if (config.auth().passwordFile() == null
        && config.auth().allowAnonymous() == io.tern.server.auth.AnonymousAccess.FALSE) {
      log.warn("Auth: allow_anonymous is false and there is no password file: only clients with a certificate identity"
          + " (identity_as_username on a TLS listener) can connect");
    }
    if (config.auth().allowAnonymous() == io.tern.server.auth.AnonymousAccess.TRUE && config.auth().passwordFile() == null) {
      log.warn("Auth: allow_anonymous is true and there is no password file: every client that can reach a "
          + "listener may connect");
    }
    MessageStore store;
    try {
      store = openStore(config.storage());
    } catch (StoreException e) {
      // A corrupt or locked data directory: one line naming it and the way out.
      log.error("Cannot start: {}", e.getMessage());
      log.debug("Store failure", e);
      auth.close();
      return TernServer.EXIT_FAILURE;
    }
    ServerMetrics metrics = new ServerMetrics();
    MessageStore timedStore = metrics.timed(store);
    Broker broker = Broker.builder().config(brokerConfig).store(timedStore)
        .authenticator(auth.authenticator())
        .authorizer(auth.authorizer())
        .configure(b -> auth.enhancedAuthenticators().forEach(b::enhancedAuthenticator))
        // Anonymous clients let in because they come from this machine: a browser here must not
        // connect over WebSocket for the pages of other sites it shows (their Origin is refused).
        .configure(b -> b.webSocketLoopbackOriginsOnly(
            config.auth().allowAnonymous() == io.tern.server.auth.AnonymousAccess.LOCALHOST))
        .plugins(config.plugins().plugins())
        .build();
    if (!config.plugins().plugins().isEmpty()) {
      log.info("Plugins: {}", config.plugins().plugins().stream().map(Object::toString).toList());
    }
    broker.onFatal(ServerProcess::fatal);
    Thread.setDefaultUncaughtExceptionHandler(ServerProcess::uncaught);
    try {
      broker.start();
    } catch (Exception e) { // a bind failure arrives as a checked exception thrown without declaration
      // A port in use is an operator's matter, not a bug: one line, the stack trace only at DEBUG.
      log.error("Cannot start: {} (listeners: {})", message(e), describe(brokerConfig));
      log.debug("Start failure", e);
      auth.close();
      if (store != null) {
        store.close();
      }
      // An IllegalArgumentException is the configuration's (TLS files that do not load, a
      // plugin's settings); a port in use or an address that cannot be bound is not.
      return e instanceof IllegalArgumentException ? TernServer.EXIT_USAGE : TernServer.EXIT_FAILURE;
    }
    metrics.bind(broker);
    AdminServer admin = null;
    if (config.admin().active()) {
      try {
        admin = AdminServer.start(broker, config.admin(), metrics, broker::isRunning);
      } catch (RuntimeException e) {
        log.error("Cannot start: {}", e.getMessage());
        log.debug("Admin start failure", e);
        broker.stop();
        auth.close();
        if (store != null) {
          store.close();
        }
        return e instanceof IllegalArgumentException ? TernServer.EXIT_USAGE : TernServer.EXIT_FAILURE;
      }
    } else if (Boolean.FALSE.equals(config.admin().enabled())) {
      log.info("Admin: off (admin.enabled: false)");
    } else {
      log.info("Admin: off (no admin users, password_file or api_keys configured); to turn on the REST API, "
          + "metrics and dashboard on {}:{}, add an admin: section (see docs/operations.md)",
          config.admin().bind(), config.admin().port());
    }
    SysPublisher sys = SysPublisher.start(broker, config.sys().interval());
    AdminServer adminServer = admin;
    stopAction = () -> {
      if (sys != null) {
        sys.close();
      }
      if (adminServer != null) {
        adminServer.close();
      }
      stop(broker, store);
    };
    reloadOnSighup(adminServer);
    io.tern.codec.MqttDecoder.prepareSharedAcks(); // long-lived: made before the collection below
    StartupCollection.run();
    log.info("Tern started");
    return STARTED;
  }

  /**
   * Runs in the shutdown hook, so once: the JVM runs its hooks a single time. A signal (SIGTERM from a
   * service manager, Ctrl-C) is the normal way to stop a server, yet the JVM would then exit with
   * 128 + the signal number; halting here makes a clean stop exit 0 and a failed one 1. Nothing else
   * in this process registers a shutdown hook that halting could cut short.
   */
  private static void stop(Broker broker, MessageStore store) {
    int status = TernServer.EXIT_FAILURE;
    try {
      log.info("Stopping");
      broker.stop();
      if (store != null) {
        // After the broker: its last writes (sessions going offline) are in; before the halt below.
        long size = store.sizeBytes();
        store.close();
        log.info("Store closed ({})", Units.formatSize(size));
      }
      log.info("Tern stopped");
      status = TernServer.EXIT_OK;
    } catch (Throwable t) { // whatever it is, report it: the process ends right after
      log.error("Stopping failed", t);
    } finally {
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(status);
    }
  }

  /**
   * SIGHUP reloads the password and ACL files, as it does for Mosquitto, instead of stopping the JVM.
   * When the process was started with {@code nohup} (SIGHUP ignored), the JVM leaves it ignored and
   * this handler never runs. The handler runs on a JVM signal thread: a reload reads two small
   * files, and the broker keeps serving with the previous rules meanwhile.
   */
  @SuppressWarnings("restriction")
  private void reloadOnSighup(AdminServer admin) {
    if (sighupIgnored()) {
      // The JVM accepts the handler below without a word and leaves the signal ignored: say so once,
      // where there is something SIGHUP would reload (an operator's `kill -HUP` would do nothing).
      if (auth.hasFiles() || admin != null) {
        log.warn("SIGHUP is ignored by this process (started with nohup, or by a parent that ignores it): "
            + "`kill -HUP` will not reload the password and ACL files; they are still checked every "
            + "auth.reload_check_interval. Start the broker without nohup (setsid, a service manager) for SIGHUP");
      }
      return;
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
        log.info("SIGHUP: reloading the password and ACL files (and admin.password_file)");
        auth.reload();
        if (admin != null) {
          admin.reload();
        }
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) { // no SIGHUP here (Windows)
      log.debug("SIGHUP reload not available: {}", e.toString());
    }
  }

  /**
   * Whether this process started with SIGHUP ignored, from the {@code SigIgn} mask of
   * {@code /proc/self/status} (bit 0: signal 1). Elsewhere than on Linux: false.
   */
  static boolean sighupIgnored() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) {
          return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 1) != 0;
        }
      }
    } catch (java.io.IOException | RuntimeException e) { // no /proc: not Linux
      log.debug("Cannot tell whether SIGHUP is ignored: {}", e.toString());
    }
    return false;
  }

  /** Written as it is when the heap is out: no allocation on the way to the exit. */
  private static final byte[] OUT_OF_MEMORY_LINE = ("Tern: out of memory killed a thread of the broker; exiting with code "
      + TernServer.EXIT_FATAL + " (java -XX:+ExitOnOutOfMemoryError exits at the first OutOfMemoryError)\n")
      .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * A thread ended by an exception nothing caught. An OutOfMemoryError that ends a thread leaves
   * the broker without it, a loop's connections unanswered: the process exits at once (halt: no shutdown hook would find the memory to run),
   * code 3, for the supervisor to restart it, with the store, as -XX:+ExitOnOutOfMemoryError
   * would have done earlier. Others are logged, as the JVM would print them.
   */
  private static void uncaught(Thread t, Throwable e) {
    if (e instanceof OutOfMemoryError) {
      try {
        System.err.write(OUT_OF_MEMORY_LINE);
        System.err.flush();
      } catch (Throwable ignored) { // exiting anyway
      }
      Runtime.getRuntime().halt(TernServer.EXIT_FATAL);
    }
    log.error("Uncaught exception in thread {}", t.getName(), e);
  }

  /** The broker cannot serve part of its clients any more ({@link Broker#onFatal}): exit, code 3. */
  private static void fatal(String why) {
    try {
      log.error("Exiting with code {}: {}; restart the broker (with a store, acknowledged messages are kept)",
          TernServer.EXIT_FATAL, why);
    } catch (Throwable ignored) { // exiting anyway
    }
    Runtime.getRuntime().halt(TernServer.EXIT_FATAL);
  }

  /** The RocksDB store of the configuration, or null for durability none. */
  private static MessageStore openStore(StorageConfig s) {
    if (s.durability() == Durability.NONE) {
      log.warn("Storage: durability none: sessions and messages are kept in memory only and are lost when the "
          + "process stops or crashes");
      String unused = unusedStore(s);
      if (unused != null) {
        log.warn(unused);
      }
      return null;
    }
    log.info("Storage: RocksDB in {}, durability {}, on_corrupt_store {}", s.dataDir().toAbsolutePath().normalize(),
        s.durability().name().toLowerCase(java.util.Locale.ROOT),
        s.onCorruptStore().name().toLowerCase(java.util.Locale.ROOT));
    return RocksDbStore.open(s.dataDir(), s.durability(), s.onCorruptStore());
  }

  /**
   * With durability none, what to say of a store an earlier run left in {@code data_dir}: it is
   * neither read nor changed, so a later start with a store serves its sessions, queued and retained
   * messages again as they were, older than what this run did (stale retained values come back).
   * Null when there is none.
   */
  static String unusedStore(StorageConfig s) {
    java.nio.file.Path dir = s.dataDir();
    if (!java.nio.file.Files.isRegularFile(dir.resolve(RocksDbStore.FORMAT_FILE))
        && !java.nio.file.Files.isRegularFile(dir.resolve("CURRENT"))) {
      return null;
    }
    return "Storage: durability none: the store of an earlier run in " + dir.toAbsolutePath().normalize()
        + " is not used and is left as it is; a later start with durability process or fsync serves its sessions, "
        + "queued and retained messages again as they were then. Delete the directory to drop them";
  }

  private static String message(Throwable e) {
    if (e instanceof java.nio.channels.UnresolvedAddressException) {
      return "cannot resolve the address to bind";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static String describe(BrokerConfig c) {
    return c.listeners().stream().map(ServerProcess::describe).collect(Collectors.joining(", "));
  }

  private static String describe(Listener l) {
    return l.name() + " (" + l.type().name().toLowerCase(java.util.Locale.ROOT) + ") on " + l.host() + ":" + l.port();
  }

  private static String describe(LimitsConfig l) {
    return "max_packet_size=" + Units.formatSize(l.maxPacketSize())
        + ", max_inflight=" + l.maxInflight()
        + ", max_queued_messages=" + l.maxQueuedMessages()
        + ", drop_policy=" + l.dropPolicy().name().toLowerCase(java.util.Locale.ROOT)
        + ", slow_subscriber=" + l.slowSubscriber().name().toLowerCase(java.util.Locale.ROOT)
        + ", queue_qos0_when_offline=" + l.queueQos0WhenOffline()
        + ", connect_timeout=" + Units.formatDuration(l.connectTimeout())
        + ", max_client_id_length=" + l.maxClientIdLength()
        + ", max_qos=" + l.maxQos()
        + ", max_connections=" + l.maxConnections()
        + ", max_connection_rate_per_address=" + l.maxConnectionRatePerAddress()
        + ", max_topic_length=" + l.maxTopicLength()
        + ", max_topic_levels=" + l.maxTopicLevels()
        + ", max_subscriptions_per_client=" + l.maxSubscriptionsPerClient()
        + ", receive_maximum=" + l.receiveMaximum()
        + ", topic_alias_maximum=" + l.topicAliasMaximum()
        + ", max_session_expiry=" + (l.maxSessionExpiry() == 0xFFFF_FFFFL ? "never" : l.maxSessionExpiry() + "s")
        + ", server_keep_alive=" + l.serverKeepAlive() + "s"
        + ", max_keep_alive=" + l.maxKeepAlive() + "s"
        + ", max_heap_usage=" + l.maxHeapUsage() + "% of " + Units.formatSize(Runtime.getRuntime().maxMemory());
  }
}
