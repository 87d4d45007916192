package io.tern.broker.internal;

import io.tern.broker.event.DisconnectReason;
import io.tern.broker.hook.PublishDecision;
import io.tern.codec.MqttProperties;
import io.tern.codec.PacketType;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.ReasonCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PUBLISH and PUBREL packets one connected client sends: the checks of a PUBLISH (QoS and
 * Retain available, Subscription Identifier, Receive Maximum, topic limits), its inbound Topic
 * Alias, the authorizer and the publish hooks, the retained quota, routing to the subscribers, and
 * the publisher's side of the QoS 1 and 2 flows (PUBACK, PUBREC, PUBCOMP). Owns the topics of the
 * aliases the client set; the rest (session, client, version, the matcher and batcher of its
 * routes) is its {@link MqttConnection}'s, which closes the connection on a violation. Made by the
 * connection on the first PUBLISH or PUBREL (an idle or subscribe-only client never needs it), one
 * per connection; runs on the channel's event loop only, as the connection does.
 */
final class InboundPublishes {
  /** The connection's logger: what a connection logs is under one name. */
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);

  private final MqttConnection conn;
  private final BrokerCore core;
  private final PacketWriter writer;
  /** Topics of the aliases the client set (index: alias), created on first use. */
  private String[] inboundAliases;
  /** The characters of those topics together, against {@link #aliasTopicChars}. */
  private int inboundAliasChars;

  InboundPublishes(MqttConnection conn, BrokerCore core, PacketWriter writer) {
    this.conn = conn;
    this.core = core;
    this.writer = writer;
  }

  void onPublish(Publish p) {
    if (p.qos() > core.config().maxQos()) {
      conn.violation(ReasonCodes.QOS_NOT_SUPPORTED, "PUBLISH with QoS " + p.qos() + " above the maximum"); // MQTT-3.2.2-11
      return;
    }
    if (p.retain() && !core.config().retainAvailable()) {
      conn.violation(ReasonCodes.RETAIN_NOT_SUPPORTED, "PUBLISH with RETAIN 1 but Retain Available is 0"); // MQTT-3.2.2-14
      return;
    }
    if (conn.version.isV5()) {
      Integer alias = p.properties().topicAlias();
      if (alias != null) {
        p = resolveTopicAlias(p, alias);
        if (p == null) {
          return;
        }
      }
      if (!p.properties().subscriptionIdentifiers().isEmpty()) {
        conn.violation(ReasonCodes.PROTOCOL_ERROR, "PUBLISH from a client with a Subscription Identifier"); // MQTT-3.3.4-6
        return;
      }
    }
    if (p.qos() == 2 && conn.session.inboundQos2().awaitsRelease(p.packetId())) {
      // A resend before PUBREL of a message already taken (MQTT-4.3.3-2): acknowledged, and not
      // shown to the authorizer and the publish hooks again: a hook that took it (handled(), as
      // DelayedPublish does) is an onward recipient and got it twice (outside audit: a rule got a
      // delayed message twice). A first copy awaiting a hook's answer is not taken yet: a resend
      // on its connection waits behind it (nothing is read meanwhile); the answer for a connection
      // that closed is dropped, and the resend on the next one is the copy that counts.
      writer.ack(PacketType.PUBREC, p.packetId(), ReasonCodes.SUCCESS);
      return;
    }
    if (p.qos() == 2 && conn.version.isV5() && conn.session.inboundQos2().count() >= core.config().receiveMaximum()) {
      // MQTT-3.3.4-7/8: more unacknowledged QoS 2 PUBLISHes than the Receive Maximum we announced.
      // Not MQTT 3 clients: they have no Receive Maximum and may use any free packet id (2.3.1), and
      // MQTT.js sends 2,000 QoS 2 PUBLISHes at once (closed at the 1,025th when they were held to
      // it). What such a session keeps is bounded by the id space: a bit each in memory
      // (InboundQos2), a record each in the store.
      conn.violation(ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED,
          "more than " + core.config().receiveMaximum() + " QoS 2 PUBLISHes awaiting PUBREL");
      return;
    }
    if (!core.access().withinTopicLimits(p.topic())) {
      conn.violation(ReasonCodes.TOPIC_NAME_INVALID, "topic of " + p.topic().length() + " characters or too many levels"
          + " (max_topic_length, max_topic_levels)");
      return;
    }
    if (core.access().checksPublish(p.topic()) && !core.access().mayPublish(conn.client, p.topic(), p.qos())) {
      onDeniedPublish(p);
      return;
    }
    if (core.hooks().hasPublishHooks()) {
      io.tern.broker.MqttMessage view = io.tern.broker.MqttMessage.wrap(p.withDelivery(p.qos(), p.retain(), false, 0));
      PublishDecision d = core.hooks().publish(conn.client, view);
      if (d != PublishDecision.CONTINUE) {
        if (d.isAsync()) {
          Publish held = p;
          conn.awaitHook(d.stage(), r -> afterPublishHooks(held, r));
        } else {
          afterPublishHooks(p, d);
        }
        return;
      }
      routePublish(p, view); // the deliver hooks get the same view: one allocation per message
      return;
    }
    routePublish(p, p);
  }

  /** Acts on the publish hooks' final answer (never async). */
  private void afterPublishHooks(Publish p, PublishDecision d) {
    if (d.isContinue()) {
      routePublish(p, p);
    } else if (d.isRewrite()) {
      routePublish(p, d.message());
    } else if (d.isDisconnect()) {
      core.clientLine(log).log("Client {} from {}: PUBLISH to {} refused by a hook, disconnecting", conn.clientId, conn.remote(),
          p.topic());
      conn.clientError(d.reasonCode(), "PUBLISH to " + p.topic() + " refused by a hook");
      // The event's reason is the kind (a hook's policy, or an administrator's action when the
      // hook says 0x98); its detail names the hook's code.
      conn.disconnect(d.reasonCode(), "PUBLISH refused by a hook: " + ReasonCodes.describe(d.reasonCode()),
          d.reasonCode() == 0x98 ? DisconnectReason.ADMINISTRATIVE : DisconnectReason.NOT_AUTHORIZED);
    } else if (d.isHandled()) {
      if (p.qos() == 1) {
        writer.ack(PacketType.PUBACK, p.packetId(), ReasonCodes.SUCCESS);
      } else if (p.qos() == 2) {
        conn.session.inboundQos2().received(p.packetId());
        writer.ack(PacketType.PUBREC, p.packetId(), ReasonCodes.SUCCESS);
      }
    } else { // refused
      core.stats().publishesDenied.increment();
      conn.clientError(d.reasonCode(), "PUBLISH to " + p.topic() + " refused by a hook");
      int code = conn.version.isV5() ? d.reasonCode() : ReasonCodes.SUCCESS;
      if (p.qos() == 1) {
        writer.ack(new PubAck(p.packetId(), code, MqttProperties.EMPTY));
      } else if (p.qos() == 2) {
        writer.ack(new PubRec(p.packetId(), code, MqttProperties.EMPTY)); // MQTT 3: PUBREL gets PUBCOMP as usual
      }
    }
  }

  /**
   * Routes a PUBLISH and runs its QoS flow: {@code p} as the client sent it (the flow: packet id,
   * QoS of the ack), {@code routed} the message as the hooks left it (the same when none changed it).
   */
  private void routePublish(Publish p, io.tern.broker.MqttMessage routed) {
    Publish r = routed.toPublish(); // packet id 0, DUP off: already a message
    routePublish(p, r, routed);
  }

  private void routePublish(Publish p, Publish routed) {
    routePublish(p, routed, null);
  }

  private void routePublish(Publish p, Publish routed, io.tern.broker.MqttMessage view) {
    if (routed.retain() && routed.payload().length > 0) {
      String over = core.retainedQuotaExceeded(routed);
      if (over != null) {
        onRetainedQuotaExceeded(p, over);
        return;
      }
    }
    Message m = new Message(routed, conn.clientId, System.nanoTime()); // packet id and DUP ignored: see Message
    if (view != null && view.toPublish() == m.publish()) {
      m.setView(view);
    }
    switch (p.qos()) {
      case 0:
        core.route(m, conn.matches(), conn.batcher());
        break;
      case 1: {
        int delivered = core.route(m, conn.matches(), conn.batcher());
        writer.ack(PacketType.PUBACK, p.packetId(),
            conn.version.isV5() && delivered == 0 ? ReasonCodes.NO_MATCHING_SUBSCRIBERS : ReasonCodes.SUCCESS);
        break;
      }
      default: {
        // Exactly once: the packet id now awaits PUBREL, and a resend of it is answered in
        // onPublish, before the hooks; a copy already taken is acknowledged, not routed again.
        int code = ReasonCodes.SUCCESS;
        if (conn.session.inboundQos2().received(p.packetId()) && core.route(m, conn.matches(), conn.batcher()) == 0
            && conn.version.isV5()) {
          code = ReasonCodes.NO_MATCHING_SUBSCRIBERS;
        }
        writer.ack(PacketType.PUBREC, p.packetId(), code);
      }
    }
  }

  /**
   * The characters of topics a connection's inbound aliases may hold together: one topic of the
   * longest (65,535), or 32 of 2,048; 256 an alias beyond that for a larger
   * {@code topic_alias_maximum}. A client over it is disconnected with 0x97 Quota exceeded.
   */
  static int aliasTopicChars(int topicAliasMaximum) {
    return Math.max(65_536, 256 * topicAliasMaximum);
  }

  /**
   * Inbound Topic Alias (v5 section 3.3.2.3.4): a PUBLISH with a topic name sets the alias, one with
   * an empty topic name uses it. Returns the PUBLISH with its topic name and without the alias (it
   * means nothing to other connections), or null after a violation.
   */
  private Publish resolveTopicAlias(Publish p, int alias) {
    int max = core.config().topicAliasMaximum();
    if (alias == 0 || alias > max) {
      conn.violation(ReasonCodes.TOPIC_ALIAS_INVALID, "Topic Alias " + alias + " outside 1.." + max); // MQTT-3.3.2-9/10
      return null;
    }
    if (inboundAliases == null) {
      inboundAliases = new String[max + 1];
    }
    String topic = p.topic();
    if (topic.isEmpty()) {
      topic = inboundAliases[alias];
      if (topic == null) {
        conn.violation(ReasonCodes.PROTOCOL_ERROR, "Topic Alias " + alias + " used before it was set");
        return null;
      }
    } else {
      String before = inboundAliases[alias];
      int chars = inboundAliasChars - (before == null ? 0 : before.length()) + topic.length();
      if (chars > aliasTopicChars(max)) {
        // 32 aliases of 65,535-character topics are 2 MB a connection, kept for as long as it
        // lasts, after CONNACK (where max_heap_usage looks): 200 connections filled a 256 MB heap.
        core.clientLine(log).log("Client {} from {}: Topic Alias {} refused: its connection's aliases would hold {} "
            + "characters of topics, over {}", conn.clientId, conn.remote(), alias, chars, aliasTopicChars(max));
        conn.disconnect(ReasonCodes.QUOTA_EXCEEDED, "topic aliases over " + aliasTopicChars(max) + " characters");
        return null;
      }
      inboundAliases[alias] = topic;
      inboundAliasChars = chars;
    }
    return p.withTopic(topic).withProperties(p.properties().toBuilder().remove(Property.TOPIC_ALIAS).build());
  }

  /**
   * MQTT 5: 0x87 in the ack. MQTT 3 has no refusal: acknowledged and dropped, or disconnected. A
   * QoS 0 PUBLISH has no ack to refuse it in: disconnected when so configured (v5: DISCONNECT 0x87).
   */
  private void onDeniedPublish(Publish p) {
    conn.clientError(ReasonCodes.NOT_AUTHORIZED, "PUBLISH to " + p.topic() + " denied");
    if (core.config().disconnectOnDeniedPublish() && (!conn.version.isV5() || p.qos() == 0)) {
      core.clientLine(log).log("Client {} (user {}) from {}: PUBLISH to {} denied, disconnecting", conn.clientId,
          conn.client.username(), conn.remote(), p.topic());
      conn.disconnect(ReasonCodes.NOT_AUTHORIZED, "PUBLISH denied");
      return;
    }
    int code = conn.version.isV5() ? ReasonCodes.NOT_AUTHORIZED : ReasonCodes.SUCCESS;
    if (p.qos() == 1) {
      writer.ack(new PubAck(p.packetId(), code, MqttProperties.EMPTY));
    } else if (p.qos() == 2) {
      writer.ack(new PubRec(p.packetId(), code, MqttProperties.EMPTY)); // MQTT 3: PUBREL gets PUBCOMP as usual
    }
  }

  /**
   * A retained PUBLISH over {@code max_retained_messages} or {@code max_retained_bytes} (see {@link
   * io.tern.broker.BrokerConfig#maxRetainedMessages()}): MQTT 5 is told 0x97 in the ack, or by
   * DISCONNECT 0x97 for QoS 0; MQTT 3 has no way to hear it and is closed.
   */
  private void onRetainedQuotaExceeded(Publish p, String why) {
    if (!conn.version.isV5() || p.qos() == 0) {
      core.clientLine(log).log("Client {} from {}: {}, disconnecting", conn.clientId, conn.remote(), why);
      conn.disconnect(ReasonCodes.QUOTA_EXCEEDED, why);
      return;
    }
    log.debug("Client {} from {}: PUBLISH to {} refused: {}", conn.clientId, conn.remote(), p.topic(), why);
    if (p.qos() == 1) {
      writer.ack(new PubAck(p.packetId(), ReasonCodes.QUOTA_EXCEEDED, conn.problem(why)));
    } else {
      writer.ack(new PubRec(p.packetId(), ReasonCodes.QUOTA_EXCEEDED, conn.problem(why)));
    }
  }

  void onPubRel(PubRel r) {
    boolean known = conn.session.inboundQos2().released(r.packetId());
    int code = known || !conn.version.isV5() ? ReasonCodes.SUCCESS : ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND;
    if (known) {
      writer.ack(PacketType.PUBCOMP, r.packetId(), code);
    } else {
      writer.ack(new PubComp(r.packetId(), code, conn.problem("no QoS 2 flow with this packet id")));
    }
  }
}
