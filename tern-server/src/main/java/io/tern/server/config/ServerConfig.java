package io.tern.server.config;

import io.tern.broker.BrokerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything the standalone server is configured with: one immutable tree, checked when it is
 * built, whether it comes from a YAML file ({@link ConfigLoader}), the command line
 * ({@link #withOverrides}) or code.
 *
 * <pre>{@code
 * ServerConfig config = ConfigLoader.load(Path.of("tern.yaml")).withOverrides(1884, null, null);
 * Broker broker = Broker.builder().config(config.toBrokerConfig()).build();
 * }</pre>
 *
 * @param listeners where clients connect; at least one
 * @param limits what one client can make the broker hold
 * @param ioThreads event loop threads serving connections; 0 lets the broker choose
 * @param log logging settings
 * @param mqtt the MQTT features offered (MQTT 5 capabilities)
 * @param storage where and how durably sessions and messages are kept
 * @param auth who may connect and what they may do (password and ACL files, anonymous access)
 * @param admin the admin HTTP server (REST API, metrics, dashboard)
 * @param sys the {@code $SYS} topics
 * @param plugins the first-party plugins to run (delayed publish, topic rewrite, auto-subscribe,
 *     exclusive subscriptions)
 */
public record ServerConfig(
    List<ListenerConfig> listeners,
    LimitsConfig limits,
    int ioThreads,
    LogConfig log,
    MqttConfig mqtt,
    StorageConfig storage,
    AuthConfig auth,
    AdminConfig admin,
    SysConfig sys,
    PluginsConfig plugins) {

  /** @throws IllegalArgumentException when the broker would refuse the configuration */
  public ServerConfig {
    listeners = List.copyOf(listeners);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(mqtt, "mqtt");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(sys, "sys");
    Objects.requireNonNull(plugins, "plugins");
    if (listeners.isEmpty()) {
      throw new IllegalArgumentException("at least one listener is required");
    }
    // The broker's own rules are the ones that count: build once to check them all together.
    brokerConfig(listeners, limits, ioThreads, mqtt);
  }

  /** With the default admin and $SYS settings, without plugins. */
  public ServerConfig(List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log,
      MqttConfig mqtt, StorageConfig storage, AuthConfig auth) {
    this(listeners, limits, ioThreads, log, mqtt, storage, auth, AdminConfig.defaults(), SysConfig.defaults(),
        PluginsConfig.defaults());
  }

  /** Without plugins. */
  public ServerConfig(List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log,
      MqttConfig mqtt, StorageConfig storage, AuthConfig auth, AdminConfig admin, SysConfig sys) {
    this(listeners, limits, ioThreads, log, mqtt, storage, auth, admin, sys, PluginsConfig.defaults());
  }

  /** With the default MQTT features, storage and auth settings. */
  public ServerConfig(List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log) {
    this(listeners, limits, ioThreads, log, MqttConfig.defaults(), StorageConfig.defaults(), AuthConfig.defaults());
  }

  /** With the default storage and auth settings. */
  public ServerConfig(
      List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log, MqttConfig mqtt) {
    this(listeners, limits, ioThreads, log, mqtt, StorageConfig.defaults(), AuthConfig.defaults());
  }

  /** With the default MQTT features and auth settings. */
  public ServerConfig(
      List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log, StorageConfig storage) {
    this(listeners, limits, ioThreads, log, MqttConfig.defaults(), storage, AuthConfig.defaults());
  }

  /** With the default auth settings. */
  public ServerConfig(List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log,
      MqttConfig mqtt, StorageConfig storage) {
    this(listeners, limits, ioThreads, log, mqtt, storage, AuthConfig.defaults());
  }

  /** With the default storage. */
  public ServerConfig(List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, LogConfig log,
      MqttConfig mqtt, AuthConfig auth) {
    this(listeners, limits, ioThreads, log, mqtt, StorageConfig.defaults(), auth);
  }

  /**
   * The built-in defaults: one MQTT listener on 0.0.0.0:1883, the broker's default limits, the
   * RocksDB store in ./data with durability {@code process}, anonymous clients from loopback
   * addresses only.
   */
  public static ServerConfig defaults() {
    return new ServerConfig(List.of(ListenerConfig.defaults(0)), LimitsConfig.defaults(), defaultIoThreads(),
        LogConfig.defaults(), MqttConfig.defaults(), StorageConfig.defaults(), AuthConfig.defaults(),
        AdminConfig.defaults(), SysConfig.defaults());
  }

  static int defaultIoThreads() {
    return BrokerConfig.defaults().ioThreads();
  }

  /**
   * This configuration with command-line options applied; each {@code null} leaves its setting as
   * it is. {@code port} and {@code bind} change the first listener only.
   */
  public ServerConfig withOverrides(Integer port, String bind, LogLevel logLevel) {
    List<ListenerConfig> changed = new ArrayList<>(listeners);
    ListenerConfig first = changed.get(0);
    changed.set(0, first.withAddress(bind != null ? bind : first.bind(), port != null ? port : first.port()));
    return new ServerConfig(changed, limits, ioThreads, logLevel != null ? new LogConfig(logLevel, log.format(), log.connections()) : log,
        mqtt, storage, auth, admin, sys, plugins);
  }

  /** This configuration with another admin section. */
  public ServerConfig withAdmin(AdminConfig newAdmin) {
    return new ServerConfig(listeners, limits, ioThreads, log, mqtt, storage, auth, newAdmin, sys, plugins);
  }

  /** The broker's configuration: listeners, limits and threads. */
  public BrokerConfig toBrokerConfig() {
    return brokerConfig(listeners, limits, ioThreads, mqtt);
  }

  private static BrokerConfig brokerConfig(
      List<ListenerConfig> listeners, LimitsConfig limits, int ioThreads, MqttConfig mqtt) {
    BrokerConfig.Builder b = BrokerConfig.builder().ioThreads(ioThreads);
    listeners.forEach(l -> b.listener(l.toListener()));
    limits.applyTo(b);
    mqtt.applyTo(b);
    return b.build();
  }
}
