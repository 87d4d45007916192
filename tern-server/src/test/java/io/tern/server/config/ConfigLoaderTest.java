package io.tern.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
import io.tern.broker.Listener;
import io.tern.broker.SlowSubscriberPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
  private static ServerConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "test.yaml");
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String yaml, String key) {
    return assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("test.yaml: " + key + ": ")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }

  @Test
  void defaultsAreTheBrokersDefaultsOnPort1883() {
    ServerConfig d = ServerConfig.defaults();
    assertThat(d.listeners()).containsExactly(new ListenerConfig("mqtt", ListenerType.MQTT, "0.0.0.0", 1883));
    assertThat(d.log().level()).isEqualTo(LogLevel.INFO);
    BrokerConfig broker = d.toBrokerConfig();
    BrokerConfig expected = BrokerConfig.defaults();
    assertThat(broker.listeners()).containsExactly(Listener.tcp(1883));
    assertThat(broker.maxPacketSize()).isEqualTo(expected.maxPacketSize());
    assertThat(broker.maxInflight()).isEqualTo(expected.maxInflight());
    assertThat(broker.maxQueuedMessages()).isEqualTo(expected.maxQueuedMessages());
    assertThat(broker.queueQos0WhenOffline()).isEqualTo(expected.queueQos0WhenOffline());
    assertThat(broker.dropPolicy()).isEqualTo(expected.dropPolicy());
    assertThat(broker.connectTimeout()).isEqualTo(expected.connectTimeout());
    assertThat(broker.maxClientIdLength()).isEqualTo(expected.maxClientIdLength());
    assertThat(broker.maxQos()).isEqualTo(expected.maxQos());
    assertThat(broker.ioThreads()).isEqualTo(expected.ioThreads());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "# nothing but a comment\n", "---\n", "limits:\nlog:\n", "listeners: ~\nio_threads: ~\n"})
  void anEmptyFileOrEmptySectionsGiveTheDefaults(String yaml) {
    assertThat(parse(yaml)).isEqualTo(ServerConfig.defaults());
  }

  /**
   * Anchors and aliases are YAML: an alias was read as the anchor's name ("nm" sent to clients as
   * Response Information), and a tls block shared by two listeners was refused.
   */
  @Test
  void anchorsAndAliasesAreReadAsTheValuesTheyName() {
    ServerConfig c = parse("""
        listeners:
          - {name: &nm main, type: mqtts, port: 8883, tls: &tls {cert: /etc/tern/server.crt, key: /etc/tern/server.key}}
          - {name: web, type: wss, port: 8884, tls: *tls}
        limits: {max_inflight: &n 16, max_queued_messages: *n}
        mqtt: {response_information: *nm}
        """);
    assertThat(c.listeners().get(1).tls()).isEqualTo(c.listeners().get(0).tls());
    assertThat(c.toBrokerConfig().maxInflight()).isEqualTo(16);
    assertThat(c.toBrokerConfig().maxQueuedMessages()).isEqualTo(16);
    assertThat(c.toBrokerConfig().responseInformation()).isEqualTo("main");
  }

  @Test
  void aSecondYamlDocumentIsRefusedNotIgnored() {
    assertThatThrownBy(() -> parse("limits: {max_inflight: 3}\n---\nlimits: {max_inflight: 5}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("more than one YAML document");
  }

  @Test
  void theExampleFileAtTheRepositoryRootIsValidAndStatesTheDefaults() {
    // Surefire runs in tern-server/; tern.yaml documents every key with its default value.
    assertThat(ConfigLoader.load(Path.of("..", "tern.yaml"))).isEqualTo(ServerConfig.defaults());
  }

  @Test
  void theExampleFileNamesEveryLimitAndMqttKey() throws Exception {
    // The README says tern.yaml shows every key with its default: a key added to the loader and not
    // to the file would be a setting nobody finds.
    var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(Path.of("..", "tern.yaml").toFile());
    List<String> limits = new java.util.ArrayList<>();
    yaml.get("limits").fieldNames().forEachRemaining(limits::add);
    List<String> mqtt = new java.util.ArrayList<>();
    yaml.get("mqtt").fieldNames().forEachRemaining(mqtt::add);
    assertThat(limits).containsExactlyInAnyOrder(ConfigLoader.LIMIT_KEYS);
    assertThat(mqtt).containsExactlyInAnyOrder(ConfigLoader.MQTT_KEYS);
  }

  @Test
  void everyKeyIsReadAndMappedOntoTheBrokerConfig() {
    ServerConfig c = parse("""
        listeners:
          - name: local
            type: mqtt
            bind: 127.0.0.1
            port: 1884
          - port: 0
        limits:
          max_packet_size: 256KiB
          max_inflight: 10
          max_queued_messages: 5000
          queue_qos0_when_offline: true
          drop_policy: drop_oldest
          connect_timeout: 2500ms
          max_client_id_length: 100
          max_qos: 1
        io_threads: 3
        log:
          level: debug
        """);
    assertThat(c.listeners()).containsExactly(
        new ListenerConfig("local", ListenerType.MQTT, "127.0.0.1", 1884),
        new ListenerConfig("mqtt-2", ListenerType.MQTT, "0.0.0.0", 0));
    assertThat(c.limits()).isEqualTo(new LimitsConfig(
        262144, 10, 5000, true, DropPolicy.DROP_OLDEST, Duration.ofMillis(2500), 100, 1,
        0, 0, 65535, 0, 100_000, false));
    assertThat(c.ioThreads()).isEqualTo(3);
    assertThat(c.log().level()).isEqualTo(LogLevel.DEBUG);

    BrokerConfig b = c.toBrokerConfig();
    assertThat(b.listeners()).containsExactly(
        new Listener("local", "127.0.0.1", 1884), new Listener("mqtt-2", "0.0.0.0", 0));
    assertThat(b.maxPacketSize()).isEqualTo(262144);
    assertThat(b.maxInflight()).isEqualTo(10);
    assertThat(b.maxQueuedMessages()).isEqualTo(5000);
    assertThat(b.queueQos0WhenOffline()).isTrue();
    assertThat(b.dropPolicy()).isEqualTo(DropPolicy.DROP_OLDEST);
    assertThat(b.connectTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(b.maxClientIdLength()).isEqualTo(100);
    assertThat(b.maxQos()).isEqualTo(1);
    assertThat(b.ioThreads()).isEqualTo(3);
  }

  @Test
  void mqtt5LimitsAndFeaturesAreReadAndMapped() {
    ServerConfig c = parse("""
        limits:
          receive_maximum: 10
          topic_alias_maximum: 0
          max_session_expiry: 2h
          server_keep_alive: 30s
          max_keep_alive: 10m
        mqtt:
          retain_available: false
          wildcard_subscriptions: false
          subscription_identifiers: false
          shared_subscriptions: false
          shared_subscription_policy: least_loaded
          outbound_topic_aliases: none
          response_information: responses/
          max_retained_messages: 5000
          max_retained_bytes: 64MiB
        """);
    BrokerConfig b = c.toBrokerConfig();
    assertThat(b.maxRetainedMessages()).isEqualTo(5000);
    assertThat(b.maxRetainedBytes()).isEqualTo(64L << 20);
    assertThat(parse("mqtt:\n  max_retained_bytes: auto\n").toBrokerConfig().maxRetainedBytes())
        .isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    assertThat(b.receiveMaximum()).isEqualTo(10);
    assertThat(b.topicAliasMaximum()).isZero();
    assertThat(b.maxSessionExpiryInterval()).isEqualTo(7200);
    assertThat(b.serverKeepAlive()).isEqualTo(30);
    assertThat(b.maxKeepAlive()).isEqualTo(600);
    assertThat(parse("limits: {}\n").toBrokerConfig().maxKeepAlive()).as("any keep alive").isEqualTo(65535);
    assertThat(b.retainAvailable()).isFalse();
    assertThat(b.wildcardSubscriptionsAvailable()).isFalse();
    assertThat(b.subscriptionIdentifiersAvailable()).isFalse();
    assertThat(b.sharedSubscriptionsAvailable()).isFalse();
    assertThat(b.sharedSubscriptionPolicy()).isEqualTo(io.tern.broker.SharedSubscriptionPolicy.LEAST_LOADED);
    assertThat(b.outboundTopicAliases()).isEqualTo(io.tern.broker.TopicAliasPolicy.NONE);
    assertThat(b.responseInformation()).isEqualTo("responses/");
    assertThat(parse("limits:\n  max_session_expiry: never\n").toBrokerConfig().maxSessionExpiryInterval())
        .isEqualTo(0xFFFF_FFFFL);
  }

  @Test
  void memoryBoundsAreReadAndMapped() {
    BrokerConfig b = parse("""
        limits:
          max_queued_bytes: 16MiB
          outbound_high_water_mark: 4GiB
          outbound_low_water_mark: 1073741824
        """).toBrokerConfig();
    assertThat(b.maxQueuedBytes()).isEqualTo(16L << 20);
    assertThat(b.outboundHighWaterMark()).isEqualTo(4L << 30);
    assertThat(b.outboundLowWaterMark()).isEqualTo(1L << 30);

    assertThat(parse("limits:\n  inbound_buffer_limit: 256MiB\n").toBrokerConfig().inboundBufferLimit())
        .isEqualTo(256L << 20);
    assertThat(parse("limits:\n  inbound_buffer_limit: auto\n").toBrokerConfig().inboundBufferLimit())
        .isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    assertThatThrownBy(() -> parse("limits:\n  inbound_buffer_limit: 0\n"))
        .hasMessageContaining("limits.inbound_buffer_limit");

    BrokerConfig auto = parse("limits:\n  outbound_high_water_mark: auto\n  outbound_low_water_mark: auto\n")
        .toBrokerConfig();
    assertThat(auto.outboundHighWaterMark()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    assertThat(auto.outboundLowWaterMark()).isEqualTo(auto.outboundHighWaterMark() / 2);
    assertThat(auto.maxQueuedBytes()).isZero();
    BrokerConfig highOnly = parse("limits:\n  outbound_high_water_mark: 64MiB\n").toBrokerConfig();
    assertThat(highOnly.outboundLowWaterMark()).isEqualTo(32L << 20);
    assertThat(highOnly.outboundStallTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(parse("limits:\n  outbound_stall_timeout: 30s\n").toBrokerConfig().outboundStallTimeout())
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(highOnly.maxSubscriptionBytesPerClient()).isEqualTo(96L << 20);
    assertThat(parse("limits:\n  max_subscription_bytes_per_client: 1MiB\n").toBrokerConfig()
        .maxSubscriptionBytesPerClient()).isEqualTo(1L << 20);
    assertThat(highOnly.maxHeapUsage()).isEqualTo(95);
    assertThat(parse("limits:\n  max_heap_usage: 80%\n").toBrokerConfig().maxHeapUsage()).isEqualTo(80);
    assertThat(parse("limits:\n  max_heap_usage: 70\n").toBrokerConfig().maxHeapUsage()).isEqualTo(70);
    assertThat(parse("limits:\n  max_heap_usage: 0%\n").toBrokerConfig().maxHeapUsage()).isZero();
  }

  @Test
  void badMemoryBoundsAreNamed() {
    assertRejected("limits:\n  max_queued_bytes: -1\n", "limits.max_queued_bytes");
    assertRejected("limits:\n  max_queued_bytes: lots\n", "limits.max_queued_bytes");
    assertRejected("limits:\n  outbound_high_water_mark: 0\n", "limits.outbound_high_water_mark");
    assertRejected("limits:\n  outbound_stall_timeout: 0s\n", "limits.outbound_stall_timeout");
    assertRejected("limits:\n  max_subscription_bytes_per_client: 0\n", "limits.max_subscription_bytes_per_client");
    assertRejected("limits:\n  max_heap_usage: 101%\n", "limits.max_heap_usage").hasMessageContaining("0..100");
    assertRejected("limits:\n  max_heap_usage: 0.9\n", "limits.max_heap_usage").hasMessageContaining("95%");
    assertRejected("limits:\n  max_heap_usage: most\n", "limits.max_heap_usage");
    assertRejected("limits:\n  outbound_high_water_mark: 1MiB\n  outbound_low_water_mark: 2MiB\n",
        "limits.outbound_low_water_mark").hasMessageContaining("must be below outbound_high_water_mark");
    assertRejected("limits:\n  outbound_stall_timeout: 3000000h\n", "limits.outbound_stall_timeout");
    assertRejected("io_threads: 100000\n", "io_threads");
  }

  @Test
  void badMqtt5ValuesAreNamed() {
    assertThatThrownBy(() -> parse("limits:\n  receive_maximum: 0\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limits.receive_maximum");
    assertThatThrownBy(() -> parse("limits:\n  server_keep_alive: 1500ms\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("whole seconds");
    assertThatThrownBy(() -> parse("limits:\n  max_keep_alive: 0s\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limits.max_keep_alive")
        .hasMessageContaining("at least 1 s");
    assertThatThrownBy(() -> parse("limits:\n  max_keep_alive: 65536s\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limits.max_keep_alive");
    assertRejected("limits:\n  server_keep_alive: 90s\n  max_keep_alive: 60s\n", "limits.server_keep_alive")
        .hasMessageContaining("must not be above max_keep_alive (60 s), got 90 s");
    assertThatThrownBy(() -> parse("limits:\n  max_session_expiry: soon\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limits.max_session_expiry");
    assertThatThrownBy(() -> parse("mqtt:\n  max_retained_messages: -1\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mqtt.max_retained_messages");
    assertThatThrownBy(() -> parse("mqtt:\n  max_retained_bytes: 0\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mqtt.max_retained_bytes");
    assertThatThrownBy(() -> parse("mqtt:\n  shared_subscription_policy: random\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("round_robin, least_loaded");
    assertThatThrownBy(() -> parse("mqtt:\n  retain: true\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mqtt.retain");
    assertThatThrownBy(() -> parse("mqtt:\n  response_information: 'replies/#'\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mqtt.response_information")
        .hasMessageContaining("topic name");
    assertThatThrownBy(() -> parse("mqtt:\n  response_information: \"a\\0b\"\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mqtt.response_information");
  }

  @Test
  void aKeyLeftOutKeepsItsDefault() {
    ServerConfig c = parse("limits:\n  max_inflight: 7\n");
    assertThat(c.limits().maxInflight()).isEqualTo(7);
    assertThat(c.limits().maxQueuedMessages()).isEqualTo(LimitsConfig.defaults().maxQueuedMessages());
    assertThat(c.listeners()).isEqualTo(ServerConfig.defaults().listeners());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "262144     | 262144",
    "'262144'   | 262144",
    "256KiB     | 262144",
    "1MiB       | 1048576",
    "'64 KiB'   | 65536",
    "16B        | 16",
  })
  void maxPacketSizeTakesBytesOrABinaryUnit(String value, int bytes) {
    assertThat(parse("limits: {max_packet_size: " + value + "}").limits().maxPacketSize()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"500ms | 500", "10s | 10000", "1m | 60000", "1h | 3600000"})
  void connectTimeoutTakesADurationWithAUnit(String value, long millis) {
    assertThat(parse("limits: {connect_timeout: " + value + "}").limits().connectTimeout())
        .isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"DROP_NEW", "drop_new", "Drop_New"})
  void dropPolicyIgnoresCase(String value) {
    assertThat(parse("limits: {drop_policy: " + value + "}").limits().dropPolicy()).isEqualTo(DropPolicy.DROP_NEW);
  }

  @Test
  void slowSubscriberIsWaitUnlessSetToDrop() {
    assertThat(ServerConfig.defaults().limits().slowSubscriber()).isEqualTo(SlowSubscriberPolicy.WAIT);
    assertThat(ServerConfig.defaults().toBrokerConfig().slowSubscriber()).isEqualTo(SlowSubscriberPolicy.WAIT);
    ServerConfig drop = parse("limits: {slow_subscriber: drop}");
    assertThat(drop.limits().slowSubscriber()).isEqualTo(SlowSubscriberPolicy.DROP);
    assertThat(drop.toBrokerConfig().slowSubscriber()).isEqualTo(SlowSubscriberPolicy.DROP);
    assertRejected("limits:\n  slow_subscriber: block\n", "limits.slow_subscriber");
  }

  @Test
  void connectionLinesAreOffUnlessAskedFor() {
    assertThat(ServerConfig.defaults().log().connections()).isFalse();
    assertThat(parse("log: {level: warn}").log().connections()).isFalse();
    assertThat(parse("log: {connections: true}").log().connections()).isTrue();
    assertThat(parse("log: {connections: true, level: debug}").log().level()).isEqualTo(LogLevel.DEBUG);
    assertRejected("log:\n  connections: sometimes\n", "log.connections");
  }

  @Test
  void logLevelIgnoresCaseAndABareOffMeansOff() {
    assertThat(parse("log: {level: WARN}").log().level()).isEqualTo(LogLevel.WARN);
    assertThat(parse("log: {level: off}").log().level()).isEqualTo(LogLevel.OFF); // YAML 1.1: off is false
    assertThat(parse("log: {level: 'off'}").log().level()).isEqualTo(LogLevel.OFF);
  }

  @Test
  void listenerTypeMqttIsAccepted() {
    assertThat(parse("listeners: [{type: mqtt}]").listeners().get(0).type()).isEqualTo(ListenerType.MQTT);
    assertThat(parse("listeners: [{type: MQTT}]").listeners().get(0).type()).isEqualTo(ListenerType.MQTT);
  }

  // ---------------------------------------------------------------- unknown keys

  @Test
  void anUnknownTopLevelKeyIsNamed() {
    assertRejected("listners: []", "listners")
        .hasMessageContaining("unknown key")
        .hasMessageContaining("listeners, limits, mqtt, io_threads, log, storage, auth");
  }

  @Test
  void anUnknownKeyInASectionIsNamedWithItsPath() {
    assertRejected("limits:\n  max_inflght: 3\n", "limits.max_inflght")
        .hasMessageContaining("unknown key")
        .hasMessageContaining("max_inflight");
    assertRejected("log: {level: info, file: x.log}", "log.file").hasMessageContaining("unknown key");
  }

  @Test
  void anUnknownKeyInAListenerIsNamedWithItsIndex() {
    assertRejected("listeners:\n  - port: 1\n  - host: x\n", "listeners[1].host").hasMessageContaining("unknown key");
  }

  @Test
  void camelCaseKeysAreUnknown() {
    assertRejected("limits: {maxInflight: 3}", "limits.maxInflight").hasMessageContaining("unknown key");
  }

  // ---------------------------------------------------------------- bad values

  @Test
  void aValueOutOfTheBrokersRangeIsNamedWithTheRule() {
    assertRejected("limits: {max_inflight: 0}", "limits.max_inflight").hasMessageContaining("1..65535, got 0");
    assertRejected("limits: {max_qos: 3}", "limits.max_qos").hasMessageContaining("0, 1 or 2, got 3");
    assertRejected("limits: {max_queued_messages: -1}", "limits.max_queued_messages").hasMessageContaining("got -1");
    assertRejected("limits: {max_client_id_length: 22}", "limits.max_client_id_length")
        .hasMessageContaining("got 22");
    assertRejected("limits: {max_packet_size: 512MiB}", "limits.max_packet_size")
        .hasMessageContaining("512MiB")
        .hasMessageContaining("536870912 bytes");
    assertRejected("limits: {connect_timeout: 0s}", "limits.connect_timeout").hasMessageContaining("positive");
    assertRejected("io_threads: -1", "io_threads").hasMessageContaining("got -1");
  }

  @Test
  void aValueOfTheWrongTypeIsNamed() {
    assertRejected("limits: {max_inflight: many}", "limits.max_inflight")
        .hasMessageContaining("expected a whole number, got the string 'many'");
    assertRejected("limits: {max_inflight: '32'}", "limits.max_inflight").hasMessageContaining("whole number");
    assertRejected("limits: {max_inflight: 1.5}", "limits.max_inflight").hasMessageContaining("whole number");
    assertRejected("limits: {max_inflight: 99999999999}", "limits.max_inflight").hasMessageContaining("too large");
    assertRejected("limits: {queue_qos0_when_offline: maybe}", "limits.queue_qos0_when_offline")
        .hasMessageContaining("true or false");
    assertRejected("limits: {max_packet_size: [1]}", "limits.max_packet_size").hasMessageContaining("a list");
    assertRejected("listeners: [{bind: 5}]", "listeners[0].bind").hasMessageContaining("expected a string");
    assertRejected("limits: 5", "limits").hasMessageContaining("expected a mapping");
  }

  @Test
  void badSizesAndDurationsSayWhatIsExpected() {
    assertRejected("limits: {max_packet_size: 1MB}", "limits.max_packet_size")
        .hasMessageContaining("unknown size unit 'MB'");
    assertRejected("limits: {max_packet_size: 9999999GiB}", "limits.max_packet_size").hasMessageContaining("too large");
    assertRejected("limits: {connect_timeout: 10}", "limits.connect_timeout").hasMessageContaining("needs a unit");
    assertRejected("limits: {connect_timeout: 10 days}", "limits.connect_timeout").hasMessageContaining("10 days");
  }

  @Test
  void aBadDropPolicyOrLogLevelListsTheChoices() {
    assertRejected("limits: {drop_policy: drop_all}", "limits.drop_policy")
        .hasMessageContaining("drop_new or drop_oldest, got 'drop_all'");
    assertRejected("log: {level: loud}", "log.level").hasMessageContaining("trace, debug, info, warn, error, off");
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "tls", "http"})
  void otherListenerTypesAreRefused(String type) {
    assertRejected("listeners: [{port: 1883}, {type: " + type + ", port: 8883}]", "listeners[1].type")
        .hasMessageContaining("'" + type + "' is not one of mqtt, mqtts, ws, wss");
  }

  @Test
  void tlsWebSocketAndProxyListenersAndLimitsAreRead() {
    ServerConfig c = parse("""
        listeners:
          - {name: tls, type: mqtts, port: 8883, proxy_protocol: true, max_connections: 100,
             tls: {cert: /etc/tern/server.crt, key: /etc/tern/server.key, client_auth: required,
                   ca: /etc/tern/ca.crt, identity_as_username: cn, protocols: [TLSv1.3], reload_check_interval: 1m}}
          - {name: web, type: ws, port: 8080, path: /ws}
        limits: {max_connections: 1000, max_connection_rate_per_address: 20, max_topic_length: 256,
                 max_topic_levels: 8, max_subscriptions_per_client: 50, disconnect_on_denied_publish: true}
        """);
    Listener tls = c.toBrokerConfig().listeners().get(0);
    assertThat(tls.type()).isEqualTo(Listener.Type.MQTTS);
    assertThat(tls.proxyProtocol()).isTrue();
    assertThat(tls.maxConnections()).isEqualTo(100);
    assertThat(tls.tls().clientAuth()).isEqualTo(io.tern.broker.TlsConfig.ClientAuth.REQUIRED);
    assertThat(tls.tls().identityAsUsername()).isEqualTo(io.tern.broker.TlsConfig.Identity.CN);
    assertThat(tls.tls().protocols()).containsExactly("TLSv1.3");
    assertThat(tls.tls().reloadCheckInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.toBrokerConfig().listeners().get(1).path()).isEqualTo("/ws");
    BrokerConfig b = c.toBrokerConfig();
    assertThat(b.maxConnections()).isEqualTo(1000);
    assertThat(b.maxConnectionRatePerAddress()).isEqualTo(20);
    assertThat(b.maxTopicLevels()).isEqualTo(8);
    assertThat(b.disconnectOnDeniedPublish()).isTrue();
  }

  @Test
  void aPathOnlyOnWebSocketListenersAndBeginningWithASlash() {
    assertRejected("listeners: [{type: mqtt, path: /mqtt}]", "listeners[0].path").hasMessageContaining("ws or wss");
    assertRejected("listeners: [{type: ws, path: \"\"}]", "listeners[0].path").hasMessageContaining("begin with /");
    assertRejected("listeners: [{type: ws, path: mqtt}]", "listeners[0].path").hasMessageContaining("begin with /");
    assertThat(parse("listeners: [{type: ws, path: /ws}]").listeners().get(0).path()).isEqualTo("/ws");
  }

  @Test
  void aKeyPasswordThatYamlReadsAsANumberIsRefusedWithoutShowingIt() {
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, key_password: 987654321}}]",
        "listeners[0].tls.key_password").hasMessageContaining("in quotes").hasMessageNotContaining("987654321");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, key_password: 1234.5}}]",
        "listeners[0].tls.key_password").hasMessageNotContaining("1234");
    assertRejected("admin: {api_keys: [{name: k, sha256: '" + "0".repeat(64) + "'}], tls: {cert: a, key: b, "
        + "key_password: yes}}", "admin.tls.key_password").hasMessageContaining("in quotes");
    assertThat(parse("listeners: [{type: mqtts, tls: {cert: a, key: b, key_password: \"0123\"}}]").listeners().get(0)
        .tls().keyPassword()).isEqualTo("0123");
  }

  @Test
  void tlsMistakesAreNamed() {
    assertRejected("listeners: [{type: mqtts}]", "listeners[0].tls").hasMessageContaining("needs tls");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a.crt}}]", "listeners[0].tls")
        .hasMessageContaining("cert and key");
    assertRejected("listeners: [{type: mqtt, tls: {cert: a, key: b}}]", "listeners[0].tls")
        .hasMessageContaining("only listeners of type mqtts or wss");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, client_auth: maybe}}]",
        "listeners[0].tls.client_auth").hasMessageContaining("none, optional, required");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, protocols: [TLSv1.1]}}]", "listeners[0].tls")
        .hasMessageContaining("TLSv1.2 or TLSv1.3");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, ciphers: [TLS_AES_128_GCM_SHA256, NO_SUCH]}}]",
        "listeners[0].tls.ciphers[1]").hasMessageContaining("unknown cipher suite 'NO_SUCH'");
    assertThat(parse("listeners: [{type: mqtts, tls: {cert: a, key: b, ciphers: [TLS_AES_128_GCM_SHA256, "
        + "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]}}]").listeners().get(0).tls().ciphers()).hasSize(2);
    // Suites only of a version the protocols leave out would change nothing, silently.
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, protocols: [TLSv1.2], "
        + "ciphers: [TLS_AES_256_GCM_SHA384]}}]", "listeners[0].tls")
        .hasMessageContaining("all for TLSv1.3, which protocols leaves out ([TLSv1.2])");
    assertRejected("listeners: [{type: mqtts, tls: {cert: a, key: b, protocols: [TLSv1.3], "
        + "ciphers: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]}}]", "listeners[0].tls")
        .hasMessageContaining("all for TLSv1.2, which protocols leaves out ([TLSv1.3])");
    assertThat(parse("listeners: [{type: mqtts, tls: {cert: a, key: b, protocols: [TLSv1.2], ciphers: "
        + "[TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]}}]").listeners().get(0).tls().ciphers())
        .hasSize(2);
  }

  @Test
  void listenerMistakesAreNamed() {
    assertRejected("listeners: []", "listeners").hasMessageContaining("at least one listener");
    assertRejected("listeners: {port: 1883}", "listeners").hasMessageContaining("expected a list");
    assertRejected("listeners: [1883]", "listeners[0]").hasMessageContaining("expected a listener");
    assertRejected("listeners: [{port: 70000}]", "listeners[0].port").hasMessageContaining("0..65535, got 70000");
    assertRejected("listeners: [{bind: ''}]", "listeners[0]").hasMessageContaining("must not be empty");
    assertRejected("listeners: [{name: a, port: 1}, {name: a, port: 2}]", "listeners[1].name")
        .hasMessageContaining("duplicate listener name 'a' (also used by listeners[0])");
  }

  @Test
  void brokenYamlAndDuplicateKeysAreRefusedWithTheLine() {
    assertThatThrownBy(() -> parse("limits:\n  max_inflight: [1, 2\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("test.yaml: not valid YAML");
    assertThatThrownBy(() -> parse("io_threads: 1\nio_threads: 2\n"))
        .hasMessageStartingWith("test.yaml: not valid YAML")
        .hasMessageContaining("Duplicate field 'io_threads'")
        .hasMessageContaining("line 2");
    // A tab that starts line 3: its line, not the line of the token before it.
    assertThatThrownBy(() -> parse("limits:\n  max_inflight: 10\n\tmax_qos: 1\n"))
        .hasMessageContaining("TAB").hasMessageEndingWith("(line 3)");
    assertThatThrownBy(() -> parse("a: 1\nb: : :\n")).hasMessageEndingWith("(line 2)");
  }

  @Test
  void aTopLevelThatIsNoMappingIsRefused() {
    assertThatThrownBy(() -> parse("- 1\n- 2\n")).hasMessageStartingWith("test.yaml: expected a mapping");
  }

  // ---------------------------------------------------------------- files

  @Test
  void loadNamesTheFileInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "limits:\n  max_qos: 5\n");
    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": limits.max_qos: max QoS must be 0, 1 or 2, got 5");
  }

  @Test
  void aMissingFileIsAConfigError(@TempDir Path dir) {
    Path file = dir.resolve("absent.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessage(file + ": no such file");
  }

  @Test
  void aFileThatIsNotUtf8IsSaidToBeSo(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("latin1.yaml");
    java.nio.file.Files.write(file, "mqtt: {response_information: caf\u00e9}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessage(file + ": not UTF-8 text (save the file as UTF-8)");
  }

  // ---------------------------------------------------------------- overrides

  @Test
  void overridesChangeTheFirstListenerAndTheLogLevel() {
    ServerConfig c = parse("listeners: [{name: a, port: 1}, {name: b, bind: 127.0.0.1, port: 2}]");
    ServerConfig o = c.withOverrides(1999, "127.0.0.2", LogLevel.ERROR);
    assertThat(o.listeners()).containsExactly(
        new ListenerConfig("a", ListenerType.MQTT, "127.0.0.2", 1999),
        new ListenerConfig("b", ListenerType.MQTT, "127.0.0.1", 2));
    assertThat(o.log().level()).isEqualTo(LogLevel.ERROR);
    assertThat(o.limits()).isEqualTo(c.limits());
    assertThat(c.withOverrides(null, null, null)).isEqualTo(c);
  }

  @Test
  void theTreeIsImmutable() {
    ServerConfig c = ServerConfig.defaults();
    assertThatThrownBy(() -> c.listeners().add(ListenerConfig.defaults(1)))
        .isInstanceOf(UnsupportedOperationException.class);
    List<ListenerConfig> mine = new java.util.ArrayList<>(List.of(ListenerConfig.defaults(0)));
    ServerConfig built = new ServerConfig(mine, LimitsConfig.defaults(), 0, LogConfig.defaults(), StorageConfig.defaults());
    mine.clear();
    assertThat(built.listeners()).hasSize(1);
  }

  @Test
  void aConfigBuiltInCodeIsCheckedByTheBrokersRulesToo() {
    LimitsConfig bad = new LimitsConfig(1, 32, 1000, false, DropPolicy.DROP_NEW, Duration.ofSeconds(10), 65535, 2,
        0, 0, 65535, 0, 1000, false);
    assertThatThrownBy(() -> new ServerConfig(List.of(ListenerConfig.defaults(0)), bad, 0, LogConfig.defaults(),
        StorageConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max packet size");
  }

  // ---------------------------------------------------------------- auth

  @Test
  void withoutAuthAnonymousClientsAreAllowedFromLoopbackOnly() {
    AuthConfig a = ServerConfig.defaults().auth();
    assertThat(a.passwordFile()).isNull();
    assertThat(a.aclFile()).isNull();
    assertThat(a.allowAnonymous()).isEqualTo(io.tern.server.auth.AnonymousAccess.LOCALHOST);
    assertThat(parse("auth: {}").auth()).isEqualTo(a);
  }

  @Test
  void aPasswordFileTurnsAnonymousOffUnlessExplicitlyAllowed() {
    AuthConfig a = parse("auth: {password_file: /etc/tern/passwd, acl_file: /etc/tern/acl}").auth();
    assertThat(a.passwordFile()).isEqualTo(Path.of("/etc/tern/passwd"));
    assertThat(a.aclFile()).isEqualTo(Path.of("/etc/tern/acl"));
    assertThat(a.allowAnonymous()).isEqualTo(io.tern.server.auth.AnonymousAccess.FALSE);
    assertThat(parse("auth: {password_file: p, allow_anonymous: true}").auth().allowAnonymous())
        .isEqualTo(io.tern.server.auth.AnonymousAccess.TRUE);
    assertThat(parse("auth: {password_file: p, allow_anonymous: localhost}").auth().allowAnonymous())
        .isEqualTo(io.tern.server.auth.AnonymousAccess.LOCALHOST);
    assertThat(parse("auth: {allow_anonymous: false}").auth().allowAnonymous())
        .isEqualTo(io.tern.server.auth.AnonymousAccess.FALSE);
    assertThat(parse("auth: {reload_check_interval: 0s}").auth().reloadCheckInterval()).isZero();
  }

  @Test
  void badAuthValuesAreNamed() {
    assertRejected("auth: {allow_anonymous: sometimes}", "auth.allow_anonymous")
        .hasMessageContaining("true, false or localhost");
    assertRejected("auth: {password_file: ''}", "auth.password_file").hasMessageContaining("must not be empty");
    assertRejected("auth: {pasword_file: x}", "auth.pasword_file").hasMessageContaining("password_file");
    assertRejected("auth: {reload_check_interval: 5}", "auth.reload_check_interval");
  }

  @Test
  void storageKeysAreReadWithTheirDefaults() {
    ServerConfig c = ConfigLoader.parse("storage:\n  durability: FSYNC\n  data_dir: /var/lib/tern\n"
        + "  on_corrupt_store: quarantine\n", "t.yaml");
    assertThat(c.storage()).isEqualTo(new StorageConfig(io.tern.broker.store.Durability.FSYNC,
        Path.of("/var/lib/tern"), io.tern.store.rocksdb.RocksDbStore.OnCorrupt.QUARANTINE));
    assertThat(ConfigLoader.parse("storage: {durability: none}", "t.yaml").storage())
        .isEqualTo(new StorageConfig(io.tern.broker.store.Durability.NONE, Path.of("data"),
            io.tern.store.rocksdb.RocksDbStore.OnCorrupt.FAIL));
    assertThat(ServerConfig.defaults().storage()).isEqualTo(StorageConfig.defaults());
  }

  @Test
  void badStorageValuesListTheChoices() {
    assertThatThrownBy(() -> ConfigLoader.parse("storage: {durability: always}", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.durability")
        .hasMessageContaining("none, process, fsync");
    assertThatThrownBy(() -> ConfigLoader.parse("storage: {on_corrupt_store: ignore}", "t.yaml"))
        .hasMessageContaining("storage.on_corrupt_store")
        .hasMessageContaining("fail, quarantine");
    assertThatThrownBy(() -> ConfigLoader.parse("storage: {data_dir: ''}", "t.yaml"))
        .hasMessageContaining("storage.data_dir");
    assertThatThrownBy(() -> ConfigLoader.parse("storage: {sync: true}", "t.yaml"))
        .hasMessageContaining("storage.sync");
  }

  @Test
  void theAdminServerIsOffWithoutCredentialsAndOnWithThem() {
    assertThat(ServerConfig.defaults().admin().active()).isFalse();
    assertThat(ServerConfig.defaults().admin().bind()).isEqualTo("127.0.0.1");
    assertThat(ServerConfig.defaults().admin().port()).isEqualTo(8080);
    String hash = io.tern.server.auth.PasswordHash.create("pw".toCharArray(), 1000).encode();
    ServerConfig c = parse("admin:\n  port: 9090\n  users:\n    - name: ops\n      password_hash: \"" + hash + "\"\n"
        + "  api_keys:\n    - {name: prom, sha256: " + "ab".repeat(32) + "}\n");
    assertThat(c.admin().active()).isTrue();
    assertThat(c.admin().port()).isEqualTo(9090);
    assertThat(c.admin().users()).extracting(AdminConfig.User::name).containsExactly("ops");
    assertThat(c.admin().apiKeys()).extracting(AdminConfig.ApiKey::name).containsExactly("prom");
    assertThat(c.admin().toString()).doesNotContain(hash).doesNotContain("ab".repeat(32));
    assertThat(parse("admin:\n  enabled: false\n  api_keys: [{name: k, sha256: '" + "0".repeat(64) + "'}]\n")
        .admin().active()).isFalse();
  }

  @Test
  void adminFailuresFromLoopbackCountOnlyWhenAskedFor() {
    assertThat(ServerConfig.defaults().admin().lockoutLoopback()).isFalse();
    String keys = "  api_keys: [{name: k, sha256: '" + "0".repeat(64) + "'}]\n";
    assertThat(parse("admin:\n" + keys).admin().lockoutLoopback()).isFalse();
    assertThat(parse("admin:\n  lockout_loopback: true\n" + keys).admin().lockoutLoopback()).isTrue();
    assertThat(parse("admin:\n  lockout_loopback: true\n" + keys).admin().withAddress("127.0.0.1", 0).lockoutLoopback())
        .isTrue();
    assertRejected("admin:\n  lockout_loopback: sometimes\n" + keys, "admin.lockout_loopback");
  }

  @Test
  void adminConnectionsAreBounded() {
    assertThat(ServerConfig.defaults().admin().maxConnections()).isEqualTo(256);
    String keys = "  api_keys: [{name: k, sha256: '" + "0".repeat(64) + "'}]\n";
    assertThat(parse("admin:\n  max_connections: 16\n" + keys).admin().maxConnections()).isEqualTo(16);
    assertThat(parse("admin:\n  max_connections: 16\n" + keys).admin().withAddress("127.0.0.1", 0).maxConnections())
        .isEqualTo(16);
    assertRejected("admin:\n  max_connections: 0\n" + keys, "admin.max_connections").hasMessageContaining("1 or more");
    assertRejected("admin:\n  max_connections: many\n" + keys, "admin.max_connections");
  }

  @Test
  void badAdminValuesAreNamed() {
    assertRejected("admin:\n  enabled: true\n", "admin").hasMessageContaining("no users");
    assertRejected("admin:\n  port: 70000\n", "admin.port");
    assertRejected("admin:\n  users: [{name: a, password_hash: secret}]\n", "admin.users[0].password_hash")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    assertRejected("admin:\n  users: [{name: a}]\n", "admin.users[0]");
    assertRejected("admin:\n  api_keys: [{name: a, sha256: abc}]\n", "admin.api_keys[0].sha256");
    assertRejected("admin:\n  colour: red\n", "admin.colour");
  }

  @Test
  void sysIntervalAndLogFormatAreRead() {
    ServerConfig c = parse("sys:\n  interval: 30s\nlog:\n  format: json\n");
    assertThat(c.sys().interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.log().format()).isEqualTo(LogConfig.Format.JSON);
    assertThat(parse("sys:\n  interval: 0s\n").sys().interval()).isZero();
    assertThat(ServerConfig.defaults().sys().interval()).isEqualTo(Duration.ofSeconds(10));
    assertRejected("sys:\n  interval: 10ms\n", "sys.interval");
    assertRejected("log:\n  format: xml\n", "log.format");
  }
}
