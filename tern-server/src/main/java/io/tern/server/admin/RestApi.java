package io.tern.server.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.netty.buffer.ByteBufUtil;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.management.BrokerManagement;
import io.tern.broker.management.ClientSnapshot;
import io.tern.broker.management.SessionSnapshot;
import io.tern.broker.management.SubscriptionSnapshot;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.Publish;
import io.tern.codec.Topics;
import io.tern.server.Version;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API under {@code /api/v1}: JSON in and out, snake_case names, lists paginated ({@link
 * Page}), errors as {@code {"error": "...", "message": "...", "field": "..."}}. docs/rest-api.md and
 * the OpenAPI file ({@code /api/v1/openapi.json}) describe every endpoint; keep the three in step.
 */
final class RestApi {
  private static final Logger log = LoggerFactory.getLogger(RestApi.class);
  /**
   * Bodies with a key twice ({"qos": 0, "qos": 2}) are refused, as the YAML config's are, not read as
   * the last; so are bodies with anything but white space after their object ({"filter": "x"}
   * {"filter": "y"} was read as its first object). Answers are written to the response as they are
   * made ({@link #json}): the stream is the response's, not the mapper's to close.
   */
  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
      .build();
  /** Messages in one {@code POST /publish/batch} at most. */
  static final int MAX_BATCH = 1000;

  private final Broker broker;
  private final BrokerManagement m;
  private final StatsSampler sampler;
  private final BooleanSupplier ready;
  private final BooleanSupplier storeWritable;
  private final long startedAtMillis = System.currentTimeMillis();
  /** Whole payloads being answered ({@code GET /retained/{topic}}): an eighth of the heap at most. */
  private final RetainedJson.PayloadBudget wholePayloads =
      new RetainedJson.PayloadBudget(Runtime.getRuntime().maxMemory() / 8);

  RestApi(Broker broker, StatsSampler sampler, BooleanSupplier ready, BooleanSupplier storeWritable) {
    this.broker = broker;
    this.m = broker.management();
    this.sampler = sampler;
    this.ready = ready;
    this.storeWritable = storeWritable;
  }

  void register(RoutesConfig r) {
    String p = "/api/v1";
    // Each action on a client id or topic also takes it in the query or the body, on the collection:
    // a browser resolves "." and ".." levels of a path (percent-encoded too), and the dashboard's
    // "disconnect a/../b" disconnected client "b".
    r.get(p + "/clients", this::clients);
    r.delete(p + "/clients", this::disconnect);
    r.get(p + "/clients/<id>", ctx -> json(ctx, 200, client(found(m.client(id(ctx)), "client", id(ctx)))));
    r.delete(p + "/clients/<id>", this::disconnect);
    r.post(p + "/clients/<id>/trace", this::trace);
    r.get(p + "/trace", this::traced);
    r.post(p + "/trace", this::trace);
    r.get(p + "/sessions", this::sessions);
    r.delete(p + "/sessions", this::deleteSession);
    r.get(p + "/sessions/<id>", ctx -> json(ctx, 200, session(found(m.session(id(ctx)), "session", id(ctx)))));
    r.delete(p + "/sessions/<id>", this::deleteSession);
    r.get(p + "/subscriptions", this::subscriptions);
    r.post(p + "/subscriptions", this::subscribe);
    r.delete(p + "/subscriptions", this::unsubscribe);
    r.get(p + "/subscriptions/<id>", this::subscriptionsOf);
    r.post(p + "/subscriptions/<id>", this::subscribe);
    r.delete(p + "/subscriptions/<id>", this::unsubscribe);
    r.post(p + "/publish", this::publish);
    r.post(p + "/publish/batch", this::publishBatch);
    r.get(p + "/retained", this::retained);
    r.delete(p + "/retained", this::deleteRetained);
    r.get(p + "/retained/<topic>", this::retainedMessage);
    r.delete(p + "/retained/<topic>", this::deleteRetained);
    r.get(p + "/stats", ctx -> json(ctx, 200, stats()));
    r.get(p + "/stats/history", this::history);
    r.get(p + "/ready", this::ready);
  }

  // ------------------------------------------------------------------ clients

  private void clients(Context ctx) {
    String username = ctx.queryParam("username");
    String clientId = emptyAsNull(ctx.queryParam("client_id"));
    String prefix = ctx.queryParam("client_id_prefix");
    Boolean connected = Params.boolParam(ctx, "connected");
    // One client id: its snapshot alone, not every session's.
    List<ClientSnapshot> source = clientId != null ? m.client(clientId).map(List::of).orElse(List.of()) : m.clients();
    List<ClientSnapshot> all = new ArrayList<>();
    for (ClientSnapshot c : source) {
      if ((username == null || username.equals(c.username()))
          && (prefix == null || c.clientId().startsWith(prefix))
          && (connected == null || connected == c.connected())) {
        all.add(c);
      }
    }
    all.sort(Comparator.comparing(ClientSnapshot::clientId));
    json(ctx, 200, Page.of(ctx, all, RestApi::client));
  }

  static Map<String, Object> client(ClientSnapshot c) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("client_id", c.clientId());
    o.put("connected", c.connected());
    o.put("username", c.username());
    o.put("remote_address", c.remoteAddress());
    o.put("listener", c.listener());
    o.put("protocol_version", c.protocolVersion());
    o.put("keep_alive", c.keepAlive());
    o.put("clean_start", c.cleanStart());
    o.put("session_expiry_interval", c.sessionExpiryInterval());
    o.put("connected_at", text(c.connectedAt()));
    o.put("disconnected_at", text(c.disconnectedAt()));
    o.put("inflight", c.inflight());
    o.put("queued", c.queued());
    o.put("dropped", c.dropped());
    o.put("bytes_in", c.bytesIn());
    o.put("bytes_out", c.bytesOut());
    o.put("subscriptions", c.subscriptions());
    o.put("traced", c.traced());
    return o;
  }

  private void disconnect(Context ctx) {
    String id = id(ctx);
    if (!m.disconnect(id)) {
      throw ApiError.notFound("client '" + id + "' is not connected");
    }
    log.info("Admin: client {} disconnected by {}", id, AdminServer.who(ctx));
    ctx.status(204);
  }

  private void trace(Context ctx) {
    JsonNode body = body(ctx);
    String id = idOf(ctx, body, "enabled");
    boolean on = Params.bool(body, "", "enabled");
    // Any id, with a session or not: a client traced before it connects has its CONNECT traced.
    if (!m.trace(id, on)) {
      throw new ApiError(409, "enabled", "at most " + BrokerManagement.MAX_TRACED + " client ids are traced at once: "
          + "turn one off first (GET /api/v1/trace lists them)");
    }
    log.info("Admin: tracing of client {} turned {} by {}", id, on ? "on" : "off", AdminServer.who(ctx));
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("client_id", id);
    o.put("traced", on);
    o.put("session", m.hasSession(id)); // false: tracing starts at its next CONNECT (or the id is mistyped)
    json(ctx, 200, o);
  }

  private void traced(Context ctx) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("traced", m.traced().stream().sorted().toList());
    o.put("max", BrokerManagement.MAX_TRACED);
    json(ctx, 200, o);
  }

  // ------------------------------------------------------------------ sessions

  private void sessions(Context ctx) {
    String clientId = emptyAsNull(ctx.queryParam("client_id"));
    String prefix = ctx.queryParam("client_id_prefix");
    Boolean online = Params.boolParam(ctx, "online");
    List<SessionSnapshot> source = clientId != null ? m.session(clientId).map(List::of).orElse(List.of()) : m.sessions();
    List<SessionSnapshot> all = new ArrayList<>();
    for (SessionSnapshot s : source) {
      if ((prefix == null || s.clientId().startsWith(prefix)) && (online == null || online == s.online())) {
        all.add(s);
      }
    }
    all.sort(Comparator.comparing(SessionSnapshot::clientId));
    json(ctx, 200, Page.of(ctx, all, RestApi::session));
  }

  static Map<String, Object> session(SessionSnapshot s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("client_id", s.clientId());
    o.put("online", s.online());
    o.put("subscriptions", s.subscriptions());
    o.put("expiry_interval", s.expiryInterval());
    o.put("expires_at", text(s.expiresAt()));
    o.put("queued", s.queued());
    o.put("queued_bytes", s.queuedBytes());
    o.put("inflight", s.inflight());
    o.put("dropped", s.dropped());
    return o;
  }

  private void deleteSession(Context ctx) {
    String id = id(ctx);
    if (!m.deleteSession(id)) {
      throw ApiError.notFound("no session of client '" + id + "'");
    }
    log.info("Admin: session of client {} deleted by {}", id, AdminServer.who(ctx));
    ctx.status(204);
  }

  // ------------------------------------------------------------------ subscriptions

  private void subscriptions(Context ctx) {
    String clientId = emptyAsNull(ctx.queryParam("client_id"));
    String filter = ctx.queryParam("filter");
    String group = ctx.queryParam("share_group");
    List<SubscriptionSnapshot> all = new ArrayList<>();
    List<SubscriptionSnapshot> source = clientId != null ? m.subscriptions(clientId).orElse(List.of()) : m.subscriptions();
    for (SubscriptionSnapshot s : source) {
      if ((filter == null || filter.equals(s.filter()) || filter.equals(s.topicFilter()))
          && (group == null || group.equals(s.shareGroup()))) {
        all.add(s);
      }
    }
    all.sort(Comparator.comparing(SubscriptionSnapshot::clientId).thenComparing(SubscriptionSnapshot::filter));
    json(ctx, 200, Page.of(ctx, all, RestApi::subscription));
  }

  private void subscriptionsOf(Context ctx) {
    String id = id(ctx);
    List<SubscriptionSnapshot> subs = new ArrayList<>(found(m.subscriptions(id), "session", id));
    subs.sort(Comparator.comparing(SubscriptionSnapshot::filter));
    json(ctx, 200, Page.of(ctx, subs, RestApi::subscription));
  }

  static Map<String, Object> subscription(SubscriptionSnapshot s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("client_id", s.clientId());
    o.put("filter", s.filter());
    o.put("topic_filter", s.topicFilter());
    o.put("share_group", s.shareGroup());
    o.put("qos", s.qos());
    o.put("no_local", s.noLocal());
    o.put("retain_as_published", s.retainAsPublished());
    o.put("retain_handling", s.retainHandling());
    o.put("subscription_id", s.subscriptionId());
    return o;
  }

  private void subscribe(Context ctx) {
    JsonNode body = body(ctx);
    String id = idOf(ctx, body, "filter", "qos", "no_local", "retain_as_published", "retain_handling");
    String filter = Params.text(body, "", "filter", true);
    checkString("filter", filter);
    if (!validFilter(filter)) {
      throw ApiError.badRequest("filter", "filter is not a valid topic filter: '" + filter + "'");
    }
    // What an MQTT client's SUBSCRIBE is held to (SubscriptionRequests.onSubscribe, Access.grant).
    BrokerConfig config = broker.config();
    if (Topics.isShared(filter) && !config.sharedSubscriptionsAvailable()) {
      throw ApiError.badRequest("filter", "shared subscriptions are turned off (mqtt.shared_subscriptions: false)");
    }
    if (Topics.hasWildcard(filter) && !config.wildcardSubscriptionsAvailable()) {
      throw ApiError.badRequest("filter", "wildcard subscriptions are turned off (mqtt.wildcard_subscriptions: false)");
    }
    if (filter.length() > config.maxTopicLength()
        || (config.maxTopicLevels() > 0 && levels(filter) > config.maxTopicLevels())) {
      throw ApiError.badRequest("filter", "the filter is over limits.max_topic_length (" + config.maxTopicLength()
          + ") or limits.max_topic_levels (" + config.maxTopicLevels() + ")");
    }
    int qos = Params.integer(body, "", "qos", 0, 0, 2);
    boolean noLocal = Params.bool(body, "", "no_local", false);
    if (noLocal && Topics.isShared(filter)) { // MQTT-3.8.3-4: a client doing so is disconnected (0x82)
      throw ApiError.badRequest("no_local", "no_local cannot be set on a shared subscription ($share/...)");
    }
    boolean rap = Params.bool(body, "", "retain_as_published", false);
    int rh = Params.integer(body, "", "retain_handling", 0, 0, 2);
    if (!m.subscribe(id, filter, qos, noLocal, rap, rh)) {
      throw ApiError.notFound("no session of client '" + id + "'");
    }
    log.info("Admin: client {} subscribed to {} (QoS {}) by {}", id, filter, qos, AdminServer.who(ctx));
    SubscriptionSnapshot created = m.subscriptions(id).orElse(List.of()).stream()
        .filter(s -> s.filter().equals(filter)).findFirst()
        .orElseThrow(() -> ApiError.notFound("the session of client '" + id + "' ended meanwhile"));
    json(ctx, 201, subscription(created));
  }

  private static boolean validFilter(String filter) {
    return Topics.isValidFilter(filter)
        && (!Topics.isShared(filter) || filter.indexOf('/', Topics.SHARE_PREFIX.length()) > Topics.SHARE_PREFIX.length());
  }

  private void unsubscribe(Context ctx) {
    String id = id(ctx);
    String filter = ctx.queryParam("filter");
    if (filter == null || filter.isEmpty()) {
      throw ApiError.badRequest("filter", "filter (query parameter) is required");
    }
    switch (m.unsubscribe(id, filter)) {
      case DONE -> {
        log.info("Admin: client {} unsubscribed from {} by {}", id, filter, AdminServer.who(ctx));
        ctx.status(204);
      }
      case NO_SUCH_SESSION -> throw ApiError.notFound("no session of client '" + id + "'");
      case NO_SUCH_SUBSCRIPTION -> throw ApiError.notFound("client '" + id + "' has no subscription to '" + filter + "'");
    }
  }

  // ------------------------------------------------------------------ publish

  /** A checked publish request. */
  private record Outgoing(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties) {}

  private void publish(Context ctx) {
    Outgoing o = outgoing(body(ctx), "");
    broker.publish(o.topic(), o.payload(), o.qos(), o.retain(), o.properties());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("published", 1);
    json(ctx, 200, out);
  }

  private void publishBatch(Context ctx) {
    JsonNode body = body(ctx);
    Params.onlyFields(body, "", "messages");
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray()) {
      throw ApiError.badRequest("messages", "messages must be a list of messages");
    }
    if (messages.size() > MAX_BATCH) {
      throw ApiError.badRequest("messages", "at most " + MAX_BATCH + " messages per batch, got " + messages.size());
    }
    List<Outgoing> checked = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) { // all checked before any is published
      checked.add(outgoing(messages.get(i), "messages[" + i + "]."));
    }
    for (Outgoing o : checked) {
      broker.publish(o.topic(), o.payload(), o.qos(), o.retain(), o.properties());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("published", checked.size());
    json(ctx, 200, out);
  }

  private Outgoing outgoing(JsonNode n, String path) {
    if (n == null || !n.isObject()) {
      throw ApiError.badRequest(path.isEmpty() ? "body" : path.substring(0, path.length() - 1),
          "expected a JSON object");
    }
    Params.onlyFields(n, path, "topic", "payload", "encoding", "qos", "retain", "properties");
    String topic = Params.text(n, path, "topic", true);
    checkTopicName(path + "topic", topic);
    if (Topics.isSys(topic)) {
      throw ApiError.badRequest(path + "topic", "$SYS topics are the broker's own: the API does not publish to them");
    }
    BrokerConfig config = broker.config();
    // The limits an MQTT client's PUBLISH is held to (Access.withinTopicLimits).
    if (topic.length() > config.maxTopicLength()) {
      throw ApiError.badRequest(path + "topic", "the topic has " + topic.length()
          + " characters, more than limits.max_topic_length (" + config.maxTopicLength() + ")");
    }
    if (config.maxTopicLevels() > 0 && levels(topic) > config.maxTopicLevels()) {
      throw ApiError.badRequest(path + "topic", "the topic has " + levels(topic)
          + " levels, more than limits.max_topic_levels (" + config.maxTopicLevels() + ")");
    }
    String encoding = Params.text(n, path, "encoding", false);
    String payloadText = Params.text(n, path, "payload", false);
    byte[] payload;
    if (encoding == null || encoding.equals("utf8") || encoding.equals("utf-8")) {
      if (payloadText != null && !StandardCharsets.UTF_8.newEncoder().canEncode(payloadText)) {
        throw ApiError.badRequest(path + "payload", "payload has a lone surrogate (U+D800..U+DFFF): not text; "
            + "send binary payloads as base64");
      }
      payload = payloadText == null ? new byte[0] : payloadText.getBytes(StandardCharsets.UTF_8);
    } else if (encoding.equals("base64")) {
      try {
        payload = payloadText == null ? new byte[0] : Base64.getDecoder().decode(payloadText);
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest(path + "payload", "payload is not valid base64");
      }
    } else {
      throw ApiError.badRequest(path + "encoding", "encoding must be utf8 or base64, got '" + encoding + "'");
    }
    int qos = Params.integer(n, path, "qos", 0, 0, 2);
    if (qos > config.maxQos()) { // MQTT-3.2.2-11
      throw ApiError.badRequest(path + "qos", "qos " + qos + " is above limits.max_qos (" + config.maxQos() + ")");
    }
    boolean retain = Params.bool(n, path, "retain", false);
    if (retain && !config.retainAvailable()) { // MQTT-3.2.2-14
      throw ApiError.badRequest(path + "retain", "retained messages are turned off (mqtt.retain_available: false)");
    }
    MqttProperties props = properties(n.get("properties"), path + "properties.");
    // As an MQTT 5 client would send it (properties included): the decoder refuses larger packets.
    int size = MqttEncoder.encodedSize(new Publish(topic, qos, retain, false, qos > 0 ? 1 : 0, payload, props),
        MqttVersion.V5);
    if (size > config.maxPacketSize()) {
      throw ApiError.badRequest(path + "payload", "the message would be a PUBLISH packet of " + size
          + " bytes, more than limits.max_packet_size (" + config.maxPacketSize() + ")");
    }
    return new Outgoing(topic, payload, qos, retain, props);
  }

  /**
   * Refuses what a client could not send as a topic name: not a UTF-8 Encoded String (see {@link
   * #checkString}), empty, or with a wildcard (MQTT-4.7.3-1, MQTT-3.3.2-2).
   */
  private static void checkTopicName(String field, String topic) {
    checkString(field, topic);
    if (!Topics.isValidName(topic)) {
      throw ApiError.badRequest(field, "not a valid topic name (no wildcards, not empty): '" + topic + "'");
    }
  }

  /**
   * Refuses a string that is not an MQTT UTF-8 Encoded String, as the codec refuses it from a
   * client: U+0000 (MQTT-1.5.4-2), a lone surrogate (MQTT-1.5.4-1; it would be sent as '?'), or
   * more than 65,535 bytes of UTF-8.
   */
  private static void checkString(String field, String s) {
    if (Topics.isWellFormedString(s)) {
      return; // below: which rule it breaks, for the answer
    }
    if (s.indexOf('\0') >= 0) {
      throw ApiError.badRequest(field, field + " contains U+0000, which MQTT forbids");
    }
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
      throw ApiError.badRequest(field, field + " contains a lone surrogate (U+D800..U+DFFF), which MQTT forbids");
    }
    if (ByteBufUtil.utf8Bytes(s) > 0xFFFF) {
      throw ApiError.badRequest(field, field + " is longer than 65,535 bytes of UTF-8");
    }
  }

  private static int levels(String topic) {
    int n = 1;
    for (int i = 0; i < topic.length(); i++) {
      if (topic.charAt(i) == '/') {
        n++;
      }
    }
    return n;
  }

  private static MqttProperties properties(JsonNode p, String path) {
    if (p == null || p.isNull()) {
      return MqttProperties.EMPTY;
    }
    if (!p.isObject()) {
      throw ApiError.badRequest(path.substring(0, path.length() - 1), "properties must be an object");
    }
    MqttProperties.Builder b = MqttProperties.builder();
    for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      switch (key) {
        case "message_expiry_interval" -> b.messageExpiryInterval(Params.longValue(p, path, key, 0, 0xFFFF_FFFFL));
        case "content_type" -> {
          String t = Params.text(p, path, key, true);
          checkString(path + key, t);
          b.set(Property.CONTENT_TYPE, t);
        }
        case "response_topic" -> {
          String t = Params.text(p, path, key, true);
          checkTopicName(path + key, t);
          b.set(Property.RESPONSE_TOPIC, t);
        }
        case "correlation_data" -> {
          byte[] data;
          try {
            data = Base64.getDecoder().decode(Params.text(p, path, key, true));
          } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(path + key, "correlation_data must be base64");
          }
          if (data.length > 0xFFFF) {
            throw ApiError.badRequest(path + key, "correlation_data is longer than 65,535 bytes");
          }
          b.set(Property.CORRELATION_DATA, data);
        }
        case "payload_format_indicator" -> b.set(Property.PAYLOAD_FORMAT_INDICATOR,
            Params.integer(p, path, key, 0, 0, 1));
        case "user_properties" -> {
          JsonNode u = p.get(key);
          if (!u.isObject()) {
            throw ApiError.badRequest(path + key, "user_properties must be an object of strings");
          }
          for (Iterator<Map.Entry<String, JsonNode>> f = u.fields(); f.hasNext(); ) {
            Map.Entry<String, JsonNode> e = f.next();
            if (!e.getValue().isTextual()) {
              throw ApiError.badRequest(path + key + "." + e.getKey(), "user property values must be strings");
            }
            checkString(path + key + "." + e.getKey(), e.getKey());
            checkString(path + key + "." + e.getKey(), e.getValue().textValue());
            b.userProperty(e.getKey(), e.getValue().textValue());
          }
        }
        default -> throw ApiError.badRequest(path + key, "unknown property '" + key + "' (known: "
            + "message_expiry_interval, content_type, response_topic, correlation_data, payload_format_indicator, "
            + "user_properties)");
      }
    }
    return b.build();
  }

  // ------------------------------------------------------------------ retained

  private void retained(Context ctx) {
    String filter = ctx.queryParam("filter");
    if (filter == null || filter.isEmpty()) {
      filter = "#";
    }
    if (!Topics.isValidFilter(filter) || Topics.isShared(filter)) {
      throw ApiError.badRequest("filter", "not a valid topic filter: '" + filter + "'");
    }
    List<String> topics = new ArrayList<>(m.retainedTopics(filter));
    topics.sort(Comparator.naturalOrder());
    // Only the page's messages are read, each with the first LIST_PAYLOAD_BYTES of its payload; one
    // cleared since the topics were listed is left out of the page.
    json(ctx, 200, Page.of(ctx, topics, topic -> m.retainedMessage(topic, RetainedJson.LIST_PAYLOAD_BYTES)
        .map(RetainedJson::of).orElse(null)));
  }

  /**
   * One message with its whole payload, written to the response as it is encoded (the payload is
   * held once, not as text, base64 and JSON besides). The payloads being answered at once are held
   * to {@link #wholePayloads}.
   */
  private void retainedMessage(Context ctx) {
    String topic = topic(ctx);
    long size = found(m.retainedMessage(topic, 0), "retained message", topic).payloadSize();
    if (!wholePayloads.take(size)) {
      ctx.header("Retry-After", "1");
      throw new ApiError(503, null, "other large retained messages are being read; try again in a second");
    }
    try {
      json(ctx, 200, RetainedJson.of(found(m.retainedMessage(topic), "retained message", topic)));
    } finally {
      wholePayloads.give(size);
    }
  }

  private void deleteRetained(Context ctx) {
    String topic = topic(ctx);
    if (Topics.isSys(topic)) { // it would stay gone: $SYS values are published again only when they change
      throw ApiError.badRequest("topic", "$SYS topics are the broker's own: the API does not delete them");
    }
    if (!m.deleteRetained(topic)) {
      throw ApiError.notFound("no retained message on '" + topic + "'");
    }
    log.info("Admin: retained message on {} deleted by {}", topic, AdminServer.who(ctx));
    ctx.status(204);
  }

  // ------------------------------------------------------------------ stats, readiness

  Map<String, Object> stats() {
    Broker.Stats s = broker.stats();
    Broker.SecurityStats sec = broker.securityStats();
    var t = m.traffic();
    double[] rates = sampler.rates(10);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("version", Version.get());
    o.put("uptime_seconds", (System.currentTimeMillis() - startedAtMillis) / 1000);
    o.put("connections", Map.of("current", s.connections(), "total", s.connectionsTotal(),
        "refused_limit", sec.connectionsRefusedLimit(), "refused_rate", sec.connectionsRefusedRate(),
        "refused_memory", broker.memoryStats().connectionsRefusedMemory(), "auth_failures", sec.authFailures()));
    o.put("sessions", s.sessions());
    o.put("subscriptions", s.subscriptions());
    o.put("retained_messages", s.retainedMessages());
    Map<String, Object> msgs = new LinkedHashMap<>();
    msgs.put("received", s.messagesReceived());
    msgs.put("sent", s.messagesSent());
    msgs.put("dropped", s.messagesDropped());
    msgs.put("expired", s.messagesExpired());
    msgs.put("inflight", t.inflight());
    msgs.put("queued", t.queued());
    o.put("messages", msgs);
    o.put("bytes", Map.of("received", t.bytesReceived(), "sent", t.bytesSent()));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("messages_received_per_second", round(rates[0]));
    r.put("messages_sent_per_second", round(rates[1]));
    r.put("bytes_received_per_second", round(rates[2]));
    r.put("bytes_sent_per_second", round(rates[3]));
    o.put("rates", r);
    o.put("store_size_bytes", broker.storeSizeBytes());
    return o;
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }

  private void history(Context ctx) {
    List<Object> out = new ArrayList<>();
    for (StatsSampler.Sample x : sampler.history()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("at", x.atMillis());
      o.put("connections", x.connections());
      o.put("received", x.received());
      o.put("sent", x.sent());
      o.put("bytes_in", x.bytesIn());
      o.put("bytes_out", x.bytesOut());
      o.put("dropped", x.dropped());
      out.add(o);
    }
    json(ctx, 200, Map.of("samples", out));
  }

  private void ready(Context ctx) {
    // Not ready either while a store cannot be written (a full disk: RocksDB needs a restart after
    // it), so that an orchestrator or a monitor sees what only the log said.
    boolean writable = storeWritable.getAsBoolean();
    boolean ok = ready.getAsBoolean() && writable;
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("ready", ok);
    o.put("listeners", broker.isRunning() ? broker.ports() : Map.of());
    if (!writable) {
      o.put("reason", "the store cannot be written");
    }
    json(ctx, ok ? 200 : 503, o);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The client id: the path's ({@code /clients/{id}}), or the {@code client_id} query parameter of
   * the same action on the collection ({@code DELETE /clients?client_id=...}).
   */
  private static String id(Context ctx) {
    return ctx.pathParamMap().containsKey("id") ? ctx.pathParam("id") : requiredQuery(ctx, "client_id");
  }

  /**
   * The client id of a request with a body: the path's, or the body's {@code client_id} field (on
   * the collection), the body holding nothing else but {@code fields}.
   */
  private static String idOf(Context ctx, JsonNode body, String... fields) {
    if (ctx.pathParamMap().containsKey("id")) {
      Params.onlyFields(body, "", fields);
      return ctx.pathParam("id");
    }
    String[] known = java.util.Arrays.copyOf(fields, fields.length + 1);
    known[fields.length] = "client_id";
    Params.onlyFields(body, "", known);
    String id = Params.text(body, "", "client_id", true);
    if (id.isEmpty()) {
      throw ApiError.badRequest("client_id", "client_id must not be empty");
    }
    return id;
  }

  /** The topic name in the path, or the {@code topic} query parameter; checked as a PUBLISH's. */
  private static String topic(Context ctx) {
    String topic = ctx.pathParamMap().containsKey("topic") ? ctx.pathParam("topic") : requiredQuery(ctx, "topic");
    checkTopicName("topic", topic);
    return topic;
  }

  private static String requiredQuery(Context ctx, String name) {
    String value = ctx.queryParam(name);
    if (value == null || value.isEmpty()) {
      throw ApiError.badRequest(name, name + " (query parameter) is required");
    }
    return value;
  }

  private static String emptyAsNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static <T> T found(java.util.Optional<T> o, String what, String id) {
    return o.orElseThrow(() -> ApiError.notFound("no " + what + " '" + id + "'"));
  }

  /**
   * The JSON object of a request that takes one. A cross-site page can POST a form, text/plain or no
   * Content-Type at all with a browser's remembered Basic credentials, but not application/json
   * (that needs a CORS preflight, which this server never allows): so that type is required, with
   * a body or without.
   */
  private static JsonNode body(Context ctx) {
    if (!isJson(ctx.contentType())) {
      throw new ApiError(415, "Content-Type", "this request takes a JSON body: send Content-Type: application/json");
    }
    String text = utf8(ctx.bodyAsBytes());
    if (text == null) {
      throw ApiError.badRequest("body", "the body is not valid UTF-8");
    }
    if (text.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(text);
      if (n == null || !n.isObject()) {
        throw ApiError.badRequest("body", "the body must be a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("body", "the body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * Whether a Content-Type header is {@code application/json}, with parameters if any (RFC 9110
   * section 8.3.1); a charset, if given, must be UTF-8 (JSON's, RFC 8259).
   */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";", -1);
    if (!parts[0].strip().equalsIgnoreCase("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].strip();
      int eq = parameter.indexOf('=');
      if (eq <= 0) {
        return false;
      }
      String value = parameter.substring(eq + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (parameter.substring(0, eq).strip().equalsIgnoreCase("charset") && !value.equalsIgnoreCase("utf-8")) {
        return false;
      }
    }
    return true;
  }

  /**
   * Answers {@code value} as JSON, written to the response as it is encoded: a list page is never
   * held whole as one string (an answer of up to 32 KiB is still sent with its Content-Length).
   */
  static void json(Context ctx, int status, Object value) {
    ctx.status(status).contentType("application/json");
    try {
      JSON.writeValue(ctx.outputStream(), value);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String text(Instant i) {
    return i == null ? null : i.toString();
  }

  /** The bytes as text when they are valid UTF-8, else null. */
  private static String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
