package io.tern.broker.router;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.ClientInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the pipes and the controller of a route see: who (client id, user name, auth info), what
 * ({@link Action#PUBLISH} with its message, or {@link Action#SUBSCRIBE} with its filter and QoS),
 * and the parameters the route pattern bound. Immutable: a pipe that transforms returns a changed
 * copy in {@link RouteDecision#next(RouteContext)}.
 */
public final class RouteContext {
  private final ClientInfo client;
  private final Action action;
  private final String topic;
  private final int qos;
  private final MqttMessage message;
  private final RoutePattern pattern;
  private final String matchedTopic;
  private final String shareName;
  /** Offsets of the bound values in {@link #matchedTopic}, computed on the first {@link #param} call. */
  private int[] bounds;

  RouteContext(ClientInfo client, Action action, String topic, int qos, MqttMessage message, RoutePattern pattern,
      String matchedTopic, int[] bounds, String shareName) {
    this.client = client;
    this.action = action;
    this.topic = topic;
    this.qos = qos;
    this.message = message;
    this.pattern = pattern;
    this.matchedTopic = matchedTopic;
    this.bounds = bounds;
    this.shareName = shareName;
  }

  public ClientInfo client() {
    return client;
  }

  public String clientId() {
    return client.clientId();
  }

  /** The user name the client was authenticated as, or {@code null}. */
  public String username() {
    return client.username();
  }

  /** The auth info the connect hook or authenticator attached, or {@code null}. */
  public Object authInfo() {
    return client.attachment();
  }

  public Action action() {
    return action;
  }

  public boolean isPublish() {
    return action == Action.PUBLISH;
  }

  /**
   * The share name of a shared subscription ({@code group} of {@code $share/group/sensors/#}; the
   * route sees {@code sensors/#} as its {@link #topic()}), or {@code null}.
   */
  public String shareName() {
    return shareName;
  }

  /** The topic name (PUBLISH) or topic filter (SUBSCRIBE, without a {@code $share/{group}/} prefix), as the pipes left it. */
  public String topic() {
    return topic;
  }

  /** The QoS of the message, or the QoS the subscription asks for. */
  public int qos() {
    return qos;
  }

  /** The message of a PUBLISH (as the pipes left it); {@code null} for a SUBSCRIBE. */
  public MqttMessage message() {
    return message;
  }

  /** The payload of a PUBLISH as UTF-8 text; {@code null} for a SUBSCRIBE. */
  public String payloadAsString() {
    return message == null ? null : message.payloadAsString();
  }

  /** The pattern of the route that matched. */
  public RoutePattern route() {
    return pattern;
  }

  /** The value the route bound to parameter {@code name} ({@code :name} or {@code *name}), or {@code null}. */
  public String param(String name) {
    for (int i = 0; i < pattern.parameterCount(); i++) {
      if (pattern.parameterName(i).equals(name)) {
        int[] b = bounds();
        return matchedTopic.substring(b[2 * i], b[2 * i + 1]);
      }
    }
    return null;
  }

  private int[] bounds() {
    int[] b = bounds;
    if (b == null) {
      b = new int[2 * pattern.parameterCount()];
      pattern.match(matchedTopic, b);
      bounds = b;
    }
    return b;
  }

  /** Every bound parameter, in pattern order. */
  public Map<String, String> params() {
    Map<String, String> m = new LinkedHashMap<>();
    int[] b = bounds();
    for (int i = 0; i < pattern.parameterCount(); i++) {
      m.put(pattern.parameterName(i), matchedTopic.substring(b[2 * i], b[2 * i + 1]));
    }
    return m;
  }

  /** A copy with another message (PUBLISH only): what is routed if the route allows it. */
  public RouteContext withMessage(MqttMessage m) {
    if (action != Action.PUBLISH) {
      throw new IllegalStateException("a SUBSCRIBE has no message");
    }
    return new RouteContext(client, action, m.topic(), m.qos(), m, pattern, matchedTopic, bounds(), null);
  }

  /** A copy with another topic: for a PUBLISH the message goes there, for a SUBSCRIBE the session subscribes to it. */
  public RouteContext withTopic(String newTopic) {
    if (action == Action.PUBLISH) {
      return withMessage(message.withTopic(newTopic));
    }
    return new RouteContext(client, action, newTopic, qos, null, pattern, matchedTopic, bounds(), shareName);
  }

  @Override
  public String toString() {
    return action + " " + topic + " by " + client.clientId() + " " + params();
  }
}
