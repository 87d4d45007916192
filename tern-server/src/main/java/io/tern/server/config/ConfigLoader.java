package io.tern.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLAnchorReplayingFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
import io.tern.broker.SharedSubscriptionPolicy;
import io.tern.broker.SlowSubscriberPolicy;
import io.tern.broker.TopicAliasPolicy;
import io.tern.server.auth.AnonymousAccess;
import io.tern.broker.store.Durability;
import io.tern.store.rocksdb.RocksDbStore.OnCorrupt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a {@link ServerConfig} from YAML and checks every key as it goes: an unknown key, a value of
 * the wrong type or out of range is a {@link ConfigException} that names the file and the key. A
 * key that is absent (or {@code null}) keeps its default; an empty file gives
 * {@link ServerConfig#defaults()}.
 *
 * <pre>{@code
 * ServerConfig config = ConfigLoader.load(Path.of("tern.yaml"));
 * }</pre>
 */
public final class ConfigLoader {
  /**
   * Anchors and aliases ({@code &tls} ... {@code *tls}) are replayed: Jackson's plain YAML parser
   * handed an alias over as the anchor's name, so {@code response_information: *nm} became "nm"
   * and a {@code tls:} block shared by two listeners was refused.
   */
  private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLAnchorReplayingFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private final String source;

  private ConfigLoader(String source) {
    this.source = source;
  }

  /** Reads and checks the YAML file at {@code file}. */
  public static ServerConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), null, "no such file");
    } catch (java.nio.charset.CharacterCodingException e) { // its message was "Input length = 1"
      throw new ConfigException(file.toString(), null, "not UTF-8 text (save the file as UTF-8)");
    } catch (IOException e) {
      throw new ConfigException(file.toString(), null, "cannot read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /**
   * Reads and checks YAML text.
   *
   * @param source where the text came from, for error messages
   */
  public static ServerConfig parse(String yaml, String source) {
    return new ConfigLoader(source).read(yaml);
  }

  /**
   * The 1-based line of a YAML error: SnakeYAML's problem mark when there is one (Jackson's own
   * location is that of the last token read, the line before for a tab that starts a line), else
   * Jackson's; 0 when unknown.
   */
  private static int lineOf(JacksonException e) {
    if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
      return m.getProblemMark().getLine() + 1;
    }
    return e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getLineNr());
  }

  private ServerConfig read(String yaml) {
    JsonNode root;
    try (JsonParser parser = YAML.createParser(yaml)) {
      root = YAML.readTree(parser);
      if (root != null && parser.nextToken() != null) { // the rest was ignored without a word
        throw new ConfigException(source, null,
            "holds more than one YAML document (a line '---' after the first): put the whole configuration in one");
      }
    } catch (JacksonException e) {
      int line = lineOf(e);
      throw new ConfigException(source, null, "not valid YAML: " + firstLines(e.getOriginalMessage())
          + (line > 0 ? " (line " + line + ")" : ""));
    } catch (IOException e) { // reading a String: not expected, but declared
      throw new ConfigException(source, null, "not valid YAML: " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return ServerConfig.defaults();
    }
    Section top = section(root, "", "listeners", "limits", "mqtt", "io_threads", "log", "storage", "auth", "admin",
        "sys", "plugins");
    List<ListenerConfig> listeners = listeners(top.get("listeners"));
    LimitsConfig limits = limits(top.section("limits", LIMIT_KEYS));
    MqttConfig mqtt = mqtt(top.section("mqtt", MQTT_KEYS));
    int ioThreads = top.integer("io_threads", ServerConfig.defaultIoThreads(), b -> b::ioThreads);
    LogConfig log = log(top.section("log", "level", "format", "connections"));
    StorageConfig storage = storage(top.section("storage", "durability", "data_dir", "on_corrupt_store"));
    AuthConfig auth = auth(top.section("auth", "password_file", "acl_file", "allow_anonymous",
        "reload_check_interval", "lockout_loopback"));
    AdminConfig admin = admin(top.section("admin", "enabled", "bind", "port", "tls", "users", "password_file",
        "api_keys", "lockout_loopback", "max_connections"));
    SysConfig sys = sys(top.section("sys", "interval"));
    PluginsConfig plugins = plugins(top.section("plugins", "delayed_publish", "exclusive_subscriptions",
        "auto_subscribe", "topic_rewrite", "topic_rewrite_subscriptions"));
    try {
      return new ServerConfig(listeners, limits, ioThreads, log, mqtt, storage, auth, admin, sys, plugins);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(source, null, e.getMessage());
    }
  }

  static final String[] LIMIT_KEYS = {
    "max_packet_size", "max_inflight", "max_queued_messages", "queue_qos0_when_offline", "drop_policy",
    "connect_timeout", "max_client_id_length", "max_qos", "max_connections", "max_connection_rate_per_address",
    "max_topic_length", "max_topic_levels", "max_subscriptions_per_client", "disconnect_on_denied_publish",
    "receive_maximum", "topic_alias_maximum", "max_session_expiry", "server_keep_alive", "max_keep_alive",
    "max_queued_bytes", "outbound_high_water_mark", "outbound_low_water_mark", "inbound_buffer_limit",
    "outbound_stall_timeout", "max_subscription_bytes_per_client", "max_heap_usage", "slow_subscriber"
  };

  static final String[] MQTT_KEYS = {
    "retain_available", "wildcard_subscriptions", "subscription_identifiers", "shared_subscriptions",
    "shared_subscription_policy", "outbound_topic_aliases", "response_information", "max_retained_messages",
    "max_retained_bytes"
  };

  private List<ListenerConfig> listeners(Value value) {
    if (value.node == null) {
      return List.of(ListenerConfig.defaults(0));
    }
    if (!value.node.isArray()) {
      throw error(value.path, "expected a list of listeners, such as [{port: 1883}]");
    }
    if (value.node.isEmpty()) {
      throw error(value.path, "at least one listener is required");
    }
    List<ListenerConfig> result = new ArrayList<>();
    Map<String, String> pathByName = new HashMap<>();
    for (int i = 0; i < value.node.size(); i++) {
      String path = value.path + "[" + i + "]";
      if (value.node.get(i) == null || !value.node.get(i).isObject()) {
        throw error(path, "expected a listener, such as {name: mqtt, bind: 0.0.0.0, port: 1883}");
      }
      Section s = section(value.node.get(i), path, "name", "type", "bind", "port", "path", "proxy_protocol", "tls",
          "max_connections");
      String name = s.text("name", ListenerConfig.defaultName(i));
      ListenerType type = listenerType(s.get("type"));
      String bind = s.text("bind", ListenerConfig.DEFAULT_BIND);
      int port = s.integer("port", ListenerConfig.DEFAULT_PORT, null);
      if (port < 0 || port > 65535) {
        throw error(path + ".port", "must be 0..65535, got " + port);
      }
      String previous = pathByName.putIfAbsent(name, path);
      if (previous != null) {
        throw error(path + ".name", "duplicate listener name '" + name + "' (also used by " + previous + ")");
      }
      String wsPath = s.text("path", io.tern.broker.Listener.DEFAULT_PATH);
      boolean proxy = s.bool("proxy_protocol", false);
      int maxConnections = s.integer("max_connections", 0, null);
      if (maxConnections < 0) {
        throw error(path + ".max_connections", "must be >= 0 (0: no limit), got " + maxConnections);
      }
      Value tlsValue = s.get("tls");
      io.tern.broker.TlsConfig tls = tlsValue.node == null ? null
          : tls(s.section("tls", "cert", "key", "key_password", "protocols", "ciphers", "client_auth", "ca",
              "identity_as_username", "reload_check_interval"));
      if ((type == ListenerType.MQTTS || type == ListenerType.WSS) && tls == null) {
        throw error(path + ".tls", "type " + type.key() + " needs tls: {cert: FILE, key: FILE}");
      }
      if (!(type == ListenerType.MQTTS || type == ListenerType.WSS) && tls != null) {
        throw error(path + ".tls", "only listeners of type mqtts or wss take tls settings");
      }
      if (s.get("path").node != null) {
        if (!(type == ListenerType.WS || type == ListenerType.WSS)) {
          throw error(path + ".path", "only listeners of type ws or wss take a path");
        }
        if (!wsPath.startsWith("/")) {
          throw error(path + ".path", "must begin with /, such as /mqtt, got '" + wsPath + "'");
        }
      }
      try {
        result.add(new ListenerConfig(name, type, bind, port, wsPath, proxy, tls, maxConnections));
      } catch (IllegalArgumentException e) {
        throw error(path, e.getMessage());
      }
    }
    return result;
  }

  private ListenerType listenerType(Value value) {
    if (value.node == null) {
      return ListenerType.MQTT;
    }
    String type = value.text();
    for (ListenerType t : ListenerType.values()) {
      if (t.key().equalsIgnoreCase(type)) {
        return t;
      }
    }
    throw error(value.path, "listener type '" + type + "' is not one of mqtt, mqtts, ws, wss");
  }

  /** Whether the TLS provider the broker uses (OpenSSL when available, else the JDK's) knows this suite. */
  private static boolean knownCipher(String name) {
    if (io.netty.handler.ssl.OpenSsl.isAvailable()) {
      return io.netty.handler.ssl.OpenSsl.isCipherSuiteAvailable(name);
    }
    try {
      return List.of(javax.net.ssl.SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites()).contains(name);
    } catch (java.security.NoSuchAlgorithmException e) {
      return true; // no default context to ask: the broker's start will say
    }
  }

  private io.tern.broker.TlsConfig tls(Section s) {
    String cert = s.text("cert", null);
    String key = s.text("key", null);
    if (cert == null || key == null) {
      throw error(s.path, "cert and key (PEM files) are required");
    }
    io.tern.broker.TlsConfig.Builder b = io.tern.broker.TlsConfig.builder(java.nio.file.Path.of(cert), java.nio.file.Path.of(key))
        .keyPassword(s.secret("key_password"));
    b.protocols(s.strings("protocols", List.of("TLSv1.3", "TLSv1.2")));
    List<String> ciphers = s.strings("ciphers", List.of());
    for (int i = 0; i < ciphers.size(); i++) {
      if (!knownCipher(ciphers.get(i))) {
        throw error(join(s.path, "ciphers") + "[" + i + "]", "unknown cipher suite '" + ciphers.get(i)
            + "' (give the IANA name, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
      }
    }
    b.ciphers(ciphers);
    String ca = s.text("ca", null);
    if (ca != null) {
      b.trustedCertificates(java.nio.file.Path.of(ca));
    }
    b.clientAuth(choice(s.get("client_auth"), io.tern.broker.TlsConfig.ClientAuth.class,
        io.tern.broker.TlsConfig.ClientAuth.NONE));
    b.identityAsUsername(choice(s.get("identity_as_username"), io.tern.broker.TlsConfig.Identity.class,
        io.tern.broker.TlsConfig.Identity.NONE));
    b.reloadCheckInterval(s.duration("reload_check_interval", Duration.ofSeconds(10), null));
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw error(s.path, e.getMessage());
    }
  }

  private <E extends Enum<E>> E choice(Value value, Class<E> type, E fallback) {
    if (value.node == null) {
      return fallback;
    }
    if (value.node.isBoolean() && !value.node.booleanValue()) {
      return fallback; // YAML 1.1 reads a bare `none`-like `off`/`no` as false
    }
    String text = value.text();
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(text)) {
        return e;
      }
    }
    throw error(value.path, "expected one of " + java.util.Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(", "))
        + ", got '" + text + "'");
  }

  private LimitsConfig limits(Section s) {
    LimitsConfig limits = limitsAsWritten(s);
    // The rules between two keys: named here, as the broker's own checks could not say which key.
    if (limits.serverKeepAlive() > limits.maxKeepAlive()) {
      throw error(join(s.path, "server_keep_alive"), "must not be above max_keep_alive (" + limits.maxKeepAlive()
          + " s), got " + limits.serverKeepAlive() + " s");
    }
    long high = limits.outboundHighWaterMark() > 0 ? limits.outboundHighWaterMark()
        : BrokerConfig.defaults().outboundHighWaterMark();
    if (limits.outboundLowWaterMark() >= high) {
      throw error(join(s.path, "outbound_low_water_mark"), "must be below outbound_high_water_mark (" + high
          + " bytes), got " + limits.outboundLowWaterMark());
    }
    return limits;
  }

  private LimitsConfig limitsAsWritten(Section s) {
    LimitsConfig d = LimitsConfig.defaults();
    return new LimitsConfig(
        s.size("max_packet_size", d.maxPacketSize(), b -> b::maxPacketSize),
        s.integer("max_inflight", d.maxInflight(), b -> b::maxInflight),
        s.integer("max_queued_messages", d.maxQueuedMessages(), b -> b::maxQueuedMessages),
        s.bool("queue_qos0_when_offline", d.queueQos0WhenOffline()),
        dropPolicy(s.get("drop_policy"), d.dropPolicy()),
        s.duration("connect_timeout", d.connectTimeout(), b -> b::connectTimeout),
        s.integer("max_client_id_length", d.maxClientIdLength(), b -> b::maxClientIdLength),
        s.integer("max_qos", d.maxQos(), b -> b::maxQos),
        s.integer("max_connections", d.maxConnections(), b -> b::maxConnections),
        s.integer("max_connection_rate_per_address", d.maxConnectionRatePerAddress(), b -> b::maxConnectionRatePerAddress),
        s.integer("max_topic_length", d.maxTopicLength(), b -> b::maxTopicLength),
        s.integer("max_topic_levels", d.maxTopicLevels(), b -> b::maxTopicLevels),
        s.integer("max_subscriptions_per_client", d.maxSubscriptionsPerClient(), b -> b::maxSubscriptionsPerClient),
        s.bool("disconnect_on_denied_publish", d.disconnectOnDeniedPublish()),
        s.integer("receive_maximum", d.receiveMaximum(), b -> b::receiveMaximum),
        s.integer("topic_alias_maximum", d.topicAliasMaximum(), b -> b::topicAliasMaximum),
        sessionExpiry(s.get("max_session_expiry"), d.maxSessionExpiry()),
        seconds(s, "server_keep_alive", d.serverKeepAlive(), 65535),
        keepAliveBound(s, d.maxKeepAlive()),
        s.bytes("max_queued_bytes", d.maxQueuedBytes(), false, b -> b::maxQueuedBytes),
        s.bytes("outbound_high_water_mark", d.outboundHighWaterMark(), true, b -> b::outboundHighWaterMark),
        s.bytes("outbound_low_water_mark", d.outboundLowWaterMark(), true, null),
        s.bytes("inbound_buffer_limit", d.inboundBufferLimit(), true, b -> b::inboundBufferLimit),
        s.duration("outbound_stall_timeout", d.outboundStallTimeout(), b -> b::outboundStallTimeout),
        s.bytes("max_subscription_bytes_per_client", d.maxSubscriptionBytesPerClient(), false,
            b -> b::maxSubscriptionBytesPerClient),
        s.percent("max_heap_usage", d.maxHeapUsage(), b -> b::maxHeapUsage),
        choice(s.get("slow_subscriber"), SlowSubscriberPolicy.values(), d.slowSubscriber()));
  }

  /** A duration in whole seconds, or {@code never} (0xFFFFFFFF, MQTT 5's "does not expire"). */
  private long sessionExpiry(Value value, long fallback) {
    if (value.node == null) {
      return fallback;
    }
    if (value.node.isTextual() && value.node.textValue().equals("never")) {
      return 0xFFFF_FFFFL;
    }
    long seconds = wholeSeconds(value);
    if (seconds >= 0xFFFF_FFFFL) {
      throw error(value.path, "must be below 4294967295 s (136 years), or never");
    }
    return seconds;
  }

  /** {@code max_keep_alive}: whole seconds, 1 s .. 65535 s. */
  private int keepAliveBound(Section s, int fallback) {
    int seconds = seconds(s, "max_keep_alive", fallback, 65535);
    if (seconds < 1) {
      throw error(s.get("max_keep_alive").path, "must be at least 1 s (65535s: any keep alive)");
    }
    return seconds;
  }

  private int seconds(Section s, String key, int fallback, int max) {
    Value value = s.get(key);
    if (value.node == null) {
      return fallback;
    }
    long seconds = wholeSeconds(value);
    if (seconds > max) {
      throw error(value.path, "must be at most " + max + " s, got " + value.node.asText());
    }
    return (int) seconds;
  }

  private long wholeSeconds(Value value) {
    if (!value.node.isTextual() && !value.node.isIntegralNumber()) {
      throw error(value.path, "expected a duration such as 30s or 2h, got " + describe(value.node));
    }
    String text = value.node.asText();
    Duration d;
    try {
      d = Units.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw error(value.path, e.getMessage() + ", got '" + text + "'");
    }
    if (d.toMillis() % 1000 != 0) {
      throw error(value.path, "must be whole seconds, got '" + text + "'");
    }
    return d.toSeconds();
  }

  private MqttConfig mqtt(Section s) {
    MqttConfig d = MqttConfig.defaults();
    return new MqttConfig(
        s.bool("retain_available", d.retainAvailable()),
        s.bool("wildcard_subscriptions", d.wildcardSubscriptions()),
        s.bool("subscription_identifiers", d.subscriptionIdentifiers()),
        s.bool("shared_subscriptions", d.sharedSubscriptions()),
        choice(s.get("shared_subscription_policy"), SharedSubscriptionPolicy.class, d.sharedSubscriptionPolicy()),
        choice(s.get("outbound_topic_aliases"), TopicAliasPolicy.class, d.outboundTopicAliases()),
        responseInformation(s.get("response_information"), d.responseInformation()),
        s.integer("max_retained_messages", d.maxRetainedMessages(), b -> b::maxRetainedMessages),
        s.bytes("max_retained_bytes", d.maxRetainedBytes(), true, b -> b::maxRetainedBytes));
  }

  private String responseInformation(Value value, String fallback) {
    if (value.node == null) {
      return fallback;
    }
    String text = value.text();
    if (text.isEmpty()) {
      throw error(value.path, "must not be empty (leave it out for none)");
    }
    // Clients build their response topics on it: it must be a topic name they can publish to.
    if (!io.tern.codec.Topics.isSendableName(text)) {
      throw error(value.path, "must be a topic name (no + or #, no U+0000), the basis of clients' response"
          + " topics, such as responses/: '" + text + "'");
    }
    return text;
  }

  private DropPolicy dropPolicy(Value value, DropPolicy fallback) {
    if (value.node == null) {
      return fallback;
    }
    String text = value.text();
    for (DropPolicy p : DropPolicy.values()) {
      if (p.name().equalsIgnoreCase(text)) {
        return p;
      }
    }
    throw error(value.path, "expected drop_new or drop_oldest, got '" + text + "'");
  }

  private PluginsConfig plugins(Section s) {
    List<PluginsConfig.AutoSubscription> auto = new ArrayList<>();
    for (Section e : list(s.get("auto_subscribe"), "{filter: 'commands/%c', qos: 1}", "filter", "qos")) {
      String filter = e.text("filter", null);
      if (filter == null || !io.tern.codec.Topics.isValidFilter(filter.replace("%c", "c").replace("%u", "u"))) {
        throw error(e.path + ".filter", "expected a topic filter (%c: client id, %u: user name), got " + filter);
      }
      int qos = e.integer("qos", 0, null);
      if (qos < 0 || qos > 2) {
        throw error(e.path + ".qos", "must be 0, 1 or 2, got " + qos);
      }
      auto.add(new PluginsConfig.AutoSubscription(filter, qos));
    }
    List<PluginsConfig.Rewrite> rewrites = new ArrayList<>();
    for (Section e : list(s.get("topic_rewrite"), "{match: '^legacy/(.*)$', replace: 'v2/$1'}", "match", "replace")) {
      String match = e.text("match", null);
      String replace = e.text("replace", null);
      if (match == null || replace == null) {
        throw error(e.path, "expected both match (a regular expression) and replace");
      }
      try {
        java.util.regex.Pattern.compile(match);
      } catch (java.util.regex.PatternSyntaxException ex) {
        throw error(e.path + ".match", "not a regular expression: " + ex.getDescription());
      }
      try {
        io.tern.broker.plugins.TopicRewrite.builder().rule(match, replace);
      } catch (IllegalArgumentException ex) { // a group the expression lacks: it failed at every PUBLISH
        throw error(e.path + ".replace", ex.getMessage());
      }
      rewrites.add(new PluginsConfig.Rewrite(match, replace));
    }
    return new PluginsConfig(s.bool("delayed_publish", false), s.bool("exclusive_subscriptions", false), auto,
        rewrites, s.bool("topic_rewrite_subscriptions", false));
  }

  /** A list of mappings with the given keys; an absent key reads as an empty list. */
  private List<Section> list(Value value, String example, String... keys) {
    if (value.node == null) {
      return List.of();
    }
    if (!value.node.isArray()) {
      throw error(value.path, "expected a list, such as [" + example + "]");
    }
    List<Section> out = new ArrayList<>();
    for (int i = 0; i < value.node.size(); i++) {
      out.add(section(value.node.get(i), value.path + "[" + i + "]", keys));
    }
    return out;
  }

  private AuthConfig auth(Section s) {
    Path passwordFile = path(s, "password_file");
    Path aclFile = path(s, "acl_file");
    AnonymousAccess anonymous = AuthConfig.defaultAnonymous(passwordFile);
    Value value = s.get("allow_anonymous");
    if (value.node != null) {
      if (value.node.isBoolean()) {
        anonymous = value.node.booleanValue() ? AnonymousAccess.TRUE : AnonymousAccess.FALSE;
      } else if (value.node.isTextual() && value.node.textValue().equalsIgnoreCase("localhost")) {
        anonymous = AnonymousAccess.LOCALHOST;
      } else {
        throw error(value.path, "expected true, false or localhost, got " + describe(value.node));
      }
    }
    Duration interval = s.duration("reload_check_interval", AuthConfig.DEFAULT_RELOAD_CHECK_INTERVAL, null);
    if (interval.isNegative()) {
      throw error(s.get("reload_check_interval").path, "must not be negative");
    }
    return new AuthConfig(passwordFile, aclFile, anonymous, interval, s.bool("lockout_loopback", false));
  }

  private Path path(Section s, String key) {
    String text = s.text(key, null);
    if (text != null && text.isBlank()) {
      throw error(s.get(key).path, "must not be empty (leave it out for none)");
    }
    return text == null ? null : Path.of(text);
  }

  private StorageConfig storage(Section s) {
    StorageConfig d = StorageConfig.defaults();
    Durability durability = choice(s.get("durability"), Durability.values(), d.durability());
    String dir = s.text("data_dir", null);
    if (dir != null && dir.isBlank()) {
      throw error(s.get("data_dir").path, "must not be empty");
    }
    OnCorrupt onCorrupt = choice(s.get("on_corrupt_store"), OnCorrupt.values(), d.onCorruptStore());
    return new StorageConfig(durability, dir == null ? d.dataDir() : java.nio.file.Path.of(dir), onCorrupt);
  }

  /** One of an enum's constants, written in lower case in the file. */
  private <E extends Enum<E>> E choice(Value value, E[] options, E fallback) {
    if (value.node == null) {
      return fallback;
    }
    String text = value.text();
    for (E e : options) {
      if (e.name().equalsIgnoreCase(text)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : options) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    throw error(value.path, "expected one of " + String.join(", ", names) + "; got '" + text + "'");
  }

  private LogConfig log(Section s) {
    LogConfig.Format format = choice(s.get("format"), LogConfig.Format.values(), LogConfig.Format.TEXT);
    boolean connections = s.bool("connections", false);
    Value value = s.get("level");
    if (value.node == null) {
      return new LogConfig(LogLevel.INFO, format, connections);
    }
    if (value.node.isBoolean() && !value.node.booleanValue()) {
      return new LogConfig(LogLevel.OFF, format, connections); // YAML 1.1 reads a bare `off` as false
    }
    String text = value.text();
    try {
      return new LogConfig(LogLevel.valueOf(text.toUpperCase(Locale.ROOT)), format, connections);
    } catch (IllegalArgumentException e) {
      throw error(value.path, "expected one of trace, debug, info, warn, error, off; got '" + text + "'");
    }
  }

  private AdminConfig admin(Section s) {
    Value enabledValue = s.get("enabled");
    Boolean enabled = enabledValue.node == null ? null : s.bool("enabled", false);
    String bind = s.text("bind", AdminConfig.DEFAULT_BIND);
    int port = s.integer("port", AdminConfig.DEFAULT_PORT, null);
    if (port < 0 || port > 65535) {
      throw error(s.get("port").path, "must be 0..65535, got " + port);
    }
    io.tern.broker.TlsConfig tls = s.get("tls").node == null ? null
        // No reload_check_interval: the admin server reads its certificate at start only.
        : tls(s.section("tls", "cert", "key", "key_password", "protocols", "ciphers"));
    List<AdminConfig.User> users = new ArrayList<>();
    Value usersValue = s.get("users");
    if (usersValue.node != null) {
      if (!usersValue.node.isArray()) {
        throw error(usersValue.path, "expected a list such as [{name: admin, password_hash: \"$pbkdf2-sha512$...\"}]");
      }
      for (int i = 0; i < usersValue.node.size(); i++) {
        Section u = section(usersValue.node.get(i), usersValue.path + "[" + i + "]", "name", "password_hash");
        String name = u.text("name", null);
        String hash = u.text("password_hash", null);
        if (name == null || hash == null) {
          throw error(u.path, "name and password_hash are required (tern passwd writes such hashes)");
        }
        io.tern.server.auth.PasswordHash parsed;
        try {
          parsed = io.tern.server.auth.PasswordHash.parse(hash);
        } catch (IllegalArgumentException e) {
          throw error(u.path + ".password_hash", e.getMessage()); // the message never echoes the hash
        }
        try {
          users.add(new AdminConfig.User(name, parsed));
        } catch (IllegalArgumentException e) {
          throw error(u.path + ".name", e.getMessage());
        }
      }
    }
    List<AdminConfig.ApiKey> keys = new ArrayList<>();
    Value keysValue = s.get("api_keys");
    if (keysValue.node != null) {
      if (!keysValue.node.isArray()) {
        throw error(keysValue.path, "expected a list such as [{name: prometheus, sha256: <64 hex digits>}]");
      }
      for (int i = 0; i < keysValue.node.size(); i++) {
        Section k = section(keysValue.node.get(i), keysValue.path + "[" + i + "]", "name", "sha256");
        String name = k.text("name", null);
        String sha = k.text("sha256", null);
        if (name == null || sha == null) {
          throw error(k.path, "name and sha256 are required");
        }
        try {
          keys.add(new AdminConfig.ApiKey(name, sha));
        } catch (IllegalArgumentException e) {
          throw error(k.path + ".sha256", e.getMessage());
        }
      }
    }
    Path passwordFile = path(s, "password_file");
    int maxConnections = s.integer("max_connections", AdminConfig.DEFAULT_MAX_CONNECTIONS, null);
    if (maxConnections < 1) {
      throw error(s.get("max_connections").path, "must be 1 or more, got " + maxConnections);
    }
    try {
      return new AdminConfig(enabled, bind, port, tls, users, passwordFile, keys, s.bool("lockout_loopback", false),
          maxConnections);
    } catch (IllegalArgumentException e) {
      throw error(s.path, e.getMessage());
    }
  }

  private SysConfig sys(Section s) {
    Duration interval = s.duration("interval", SysConfig.DEFAULT_INTERVAL, null);
    try {
      return new SysConfig(interval);
    } catch (IllegalArgumentException e) {
      throw error(s.get("interval").path, e.getMessage());
    }
  }

  private Section section(JsonNode node, String path, String... keys) {
    if (!node.isObject()) {
      throw error(path.isEmpty() ? null : path, "expected a mapping with the keys " + String.join(", ", keys));
    }
    List<String> known = List.of(keys);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        throw error(join(path, key), "unknown key (known keys " + (path.isEmpty() ? "at the top level" : "in " + path)
            + ": " + String.join(", ", keys) + ")");
      }
    }
    return new Section(node, path);
  }

  private ConfigException error(String key, String problem) {
    return new ConfigException(source, key, problem);
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A setter of {@link BrokerConfig.Builder} for one key, to check a value by the broker's rules. */
  private interface BrokerSetting<T> {
    Consumer<T> of(BrokerConfig.Builder b);
  }

  /** A value (or its absence: {@code node == null}) and its dotted path. */
  private final class Value {
    final JsonNode node;
    final String path;

    Value(JsonNode node, String path) {
      this.node = node == null || node.isNull() ? null : node;
      this.path = path;
    }

    String text() {
      if (!node.isTextual()) {
        throw error(path, "expected a string, got " + describe(node));
      }
      return node.textValue();
    }

    int integer() {
      if (node.isIntegralNumber()) {
        if (!node.canConvertToInt()) {
          throw error(path, "number too large: " + node);
        }
        return node.intValue();
      }
      throw error(path, "expected a whole number, got " + describe(node));
    }

    /** Checks {@code v} by the broker's own rule for this key, by building a config with it. */
    <T> T checked(T v, String shown, BrokerSetting<T> setting) {
      if (setting != null) {
        BrokerConfig.Builder b = BrokerConfig.builder();
        setting.of(b).accept(v);
        try {
          b.build();
        } catch (IllegalArgumentException e) {
          throw error(path, e.getMessage() + ", got " + shown);
        }
      }
      return v;
    }
  }

  /** A mapping whose keys were checked against the known ones. */
  private final class Section {
    final JsonNode node;
    final String path;

    Section(JsonNode node, String path) {
      this.node = node;
      this.path = path;
    }

    Value get(String key) {
      return new Value(node.get(key), join(path, key));
    }

    /** The sub-section {@code key}; an absent one reads as empty. */
    Section section(String key, String... keys) {
      Value v = get(key);
      if (v.node == null) {
        return new Section(YAML.createObjectNode(), v.path);
      }
      return ConfigLoader.this.section(v.node, v.path, keys);
    }

    String text(String key, String fallback) {
      Value v = get(key);
      return v.node == null ? fallback : v.text();
    }

    /**
     * A password, or null when absent. It must be a string: YAML reads {@code 0123} as a number
     * and {@code yes} as true, which are not the characters written, so those are refused (asking
     * for quotes) rather than turned back into text; and the value is never shown in the message.
     */
    String secret(String key) {
      Value v = get(key);
      if (v.node == null) {
        return null;
      }
      if (!v.node.isTextual()) {
        throw error(v.path, "expected a string (the value is not shown: it is a secret); a password of digits "
            + "only, or such as yes, no, true or null, must be written in quotes to be read as written");
      }
      return v.node.textValue();
    }

    List<String> strings(String key, List<String> fallback) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      if (!v.node.isArray()) {
        throw error(v.path, "expected a list of strings, got " + describe(v.node));
      }
      List<String> out = new ArrayList<>();
      for (int i = 0; i < v.node.size(); i++) {
        out.add(new Value(v.node.get(i), v.path + "[" + i + "]").text());
      }
      return out;
    }

    boolean bool(String key, boolean fallback) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      if (!v.node.isBoolean()) {
        throw error(v.path, "expected true or false, got " + describe(v.node));
      }
      return v.node.booleanValue();
    }

    int integer(String key, int fallback, BrokerSetting<Integer> setting) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      int n = v.integer();
      return v.checked(n, Integer.toString(n), setting);
    }

    int size(String key, int fallback, BrokerSetting<Integer> setting) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      if (v.node.isTextual()) {
        long bytes;
        try {
          bytes = Units.parseSize(v.node.textValue());
        } catch (IllegalArgumentException e) {
          throw error(v.path, e.getMessage() + ", got '" + v.node.textValue() + "'");
        }
        if (bytes > Integer.MAX_VALUE) {
          throw error(v.path, "size too large: " + v.node.textValue());
        }
        return v.checked((int) bytes, "'" + v.node.textValue() + "' (" + bytes + " bytes)", setting);
      }
      if (!v.node.isIntegralNumber()) {
        throw error(v.path, "expected a size such as 262144, 256KiB or 1MiB, got " + describe(v.node));
      }
      int n = v.integer();
      return v.checked(n, Integer.toString(n), setting);
    }

    /** A size that may exceed 2 GiB; with {@code auto} allowed, {@code auto} reads as 0 (the default). */
    long bytes(String key, long fallback, boolean auto, BrokerSetting<Long> setting) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      if (auto && v.node.isTextual() && v.node.textValue().equals("auto")) {
        return 0;
      }
      long bytes;
      if (v.node.isTextual()) {
        try {
          bytes = Units.parseSize(v.node.textValue());
        } catch (IllegalArgumentException e) {
          throw error(v.path, e.getMessage() + (auto ? " (or auto)" : "") + ", got '" + v.node.textValue() + "'");
        }
      } else if (v.node.isIntegralNumber() && v.node.canConvertToLong()) {
        bytes = v.node.longValue();
      } else {
        throw error(v.path, "expected a size such as 262144, 256KiB or 1MiB" + (auto ? " (or auto)" : "") + ", got "
            + describe(v.node));
      }
      if (auto && bytes == 0) {
        throw error(v.path, "must be above 0 (auto for the default)");
      }
      return v.checked(bytes, v.node.asText(), setting);
    }

    /** A percentage: {@code 95%} or {@code 95}. */
    int percent(String key, int fallback, BrokerSetting<Integer> setting) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      String text = v.node.asText().strip();
      String digits = v.node.isTextual() && text.endsWith("%") ? text.substring(0, text.length() - 1).strip() : text;
      if (!(v.node.isTextual() || v.node.isIntegralNumber()) || !digits.matches("[0-9]{1,3}")) {
        throw error(v.path, "expected a percentage such as 95%, got " + describe(v.node));
      }
      return v.checked(Integer.parseInt(digits), "'" + text + "'", setting);
    }

    Duration duration(String key, Duration fallback, BrokerSetting<Duration> setting) {
      Value v = get(key);
      if (v.node == null) {
        return fallback;
      }
      if (!v.node.isTextual() && !v.node.isIntegralNumber()) {
        throw error(v.path, "expected a duration such as 10s, got " + describe(v.node));
      }
      String text = v.node.asText();
      Duration d;
      try {
        d = Units.parseDuration(text);
      } catch (IllegalArgumentException e) {
        throw error(v.path, e.getMessage() + ", got '" + text + "'");
      }
      return v.checked(d, "'" + text + "'", setting);
    }
  }

  /** SnakeYAML's messages quote the file with a caret under the error: keep only the sentences. */
  private static String firstLines(String message) {
    return message.lines()
        .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
        .map(String::strip)
        .collect(java.util.stream.Collectors.joining("; "));
  }

  private static String describe(JsonNode node) {
    if (node.isTextual()) {
      return "the string '" + node.textValue() + "'";
    }
    if (node.isObject()) {
      return "a mapping";
    }
    if (node.isArray()) {
      return "a list";
    }
    return node.toString();
  }
}
