package io.tern.broker.internal;

import io.tern.broker.TopicAliasPolicy;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.AuthStep;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DisconnectReason;
import io.tern.broker.internal.MqttConnection.State;
import io.tern.codec.Auth;
import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecodeException;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.ReasonCodes;
import io.tern.codec.Will;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CONNECT handshake of one connection, and its MQTT 5 enhanced authentication: the CONNECT
 * rules (client identifier, Will QoS and Retain, Authentication Method), what the CONNECT sets on
 * the {@link MqttConnection} (version, client id, will, session expiry, the client's limits, keep
 * alive), the authenticator and the enhanced authentication exchange, a refusing CONNACK, and,
 * once the session is ready, the CONNACK, the session's attachment and the packets that waited
 * meanwhile (in the connection's pending list). Owns the {@link EnhancedAuth} of a CONNECT that
 * named an Authentication Method, which also serves re-authentications (AUTH after the CONNACK).
 * Made by the connection at its CONNECT, one per connection; runs on the channel's event loop
 * only, as the connection does (the authenticator, the connect hooks and the session registry
 * answer on it).
 */
final class ConnectHandshake {
  /** The connection's logger: what a connection logs is under one name. */
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
  /** Per-client tracing ({@link io.tern.broker.management.BrokerManagement#trace}). */
  private static final Logger trace = LoggerFactory.getLogger("io.tern.broker.trace");
  /** One line per connect, as {@link ConnectionCloser} logs one per disconnect (see there). */
  private static final Logger connections = LoggerFactory.getLogger("io.tern.broker.connections");

  /** MQTT 3.1 limits client identifiers to 23 characters (3.1 spec, CONNECT payload). */
  private static final int V3_1_MAX_CLIENT_ID = 23;

  private final MqttConnection conn;
  private final BrokerCore core;
  /** The enhanced authentication (v5 AUTH) of a CONNECT that named an Authentication Method, else null. */
  private EnhancedAuth enhancedAuth;
  /** The Server Keep Alive for CONNACK (MQTT 5): the keep alive imposed instead of the client's, or -1. */
  private int serverKeepAlive = -1;

  ConnectHandshake(MqttConnection conn, BrokerCore core) {
    this.conn = conn;
    this.core = core;
  }

  /** Whether the CONNECT's enhanced authentication is still exchanging AUTH packets (before CONNACK). */
  boolean authenticatingConnect() {
    return enhancedAuth != null && enhancedAuth.atConnect();
  }

  /** The connection has closed: an enhanced authentication in progress ends. */
  void close() {
    if (enhancedAuth != null) {
      enhancedAuth.close();
    }
  }

  void onConnect(Connect c) {
    conn.connectTimeout.cancel(false);
    conn.connectTimeout = null; // a cancelled task kept in a field would stay for the connection's life
    conn.version = c.version();
    conn.writer.encodeVersion = conn.version;
    conn.cleanStart = c.cleanStart();
    boolean v5 = conn.version.isV5();
    if (v5) { // before any refusal: a refusing CONNACK must fit it too (MQTT-3.2.2-19)
      conn.clientMaxPacketSize =
          c.properties().getLong(Property.MAXIMUM_PACKET_SIZE, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
    }
    if (core.heapGuard().over()) { // the heap is nearly full: no new client, the others go on (HeapGuard)
      core.stats().connectionsRefusedMemory.increment();
      refuse(ReasonCodes.SERVER_BUSY, "the heap is over max_heap_usage", false);
      return;
    }
    String id = c.clientId();
    boolean assigned = false;
    if (id.isEmpty()) {
      if (conn.version == MqttVersion.V3_1 || (!v5 && !conn.cleanStart) || !core.config().allowEmptyClientId()) {
        refuse(ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID,
            "empty client id" + (conn.cleanStart ? "" : " without clean session"));
        return; // MQTT-3.1.3-8
      }
      id = assignedClientId();
      assigned = true;
    } else if ((conn.version == MqttVersion.V3_1 && id.length() > V3_1_MAX_CLIENT_ID)
        || id.length() > core.config().maxClientIdLength()) {
      refuse(ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID, "client id of " + id.length() + " characters");
      return;
    }
    MqttProperties cp = c.properties();
    Will w = c.will();
    if (w != null && w.qos() > core.config().maxQos()) {
      refuse(ReasonCodes.QOS_NOT_SUPPORTED, "Will QoS " + w.qos() + " above the maximum QoS " + core.config().maxQos());
      return; // MQTT-3.2.2-12
    }
    if (w != null && w.retain() && !core.config().retainAvailable()) {
      refuse(ReasonCodes.RETAIN_NOT_SUPPORTED, "Will Retain 1 but retained messages are not available");
      return; // MQTT-3.2.2-13
    }
    if (w != null && !core.access().withinTopicLimits(w.topic())) { // as the topic of a PUBLISH
      refuse(ReasonCodes.TOPIC_NAME_INVALID, "Will Topic of " + w.topic().length() + " characters over max_topic_length "
          + core.config().maxTopicLength() + " or max_topic_levels " + core.config().maxTopicLevels());
      return;
    }
    if (v5 && cp.has(Property.AUTHENTICATION_METHOD)) { // enhanced authentication, v5 section 4.12
      String method = cp.getString(Property.AUTHENTICATION_METHOD);
      EnhancedAuthenticator ea = core.access().enhancedAuthenticator(method);
      if (ea == null) {
        refuse(ReasonCodes.BAD_AUTHENTICATION_METHOD, "unsupported authentication method " + method); // MQTT-4.12.0-1
        return;
      }
      enhancedAuth = new EnhancedAuth(method, ea, conn.channel.eventLoop(), this::sendAuth);
    }
    conn.clientId = id;
    conn.will = c.will();
    conn.requestedExpiry =
        v5 ? cp.getLong(Property.SESSION_EXPIRY_INTERVAL, 0) : (conn.cleanStart ? 0 : Session.NEVER_EXPIRES);
    conn.sessionExpiry = Math.min(conn.requestedExpiry, core.config().maxSessionExpiryInterval());
    conn.persistent = conn.sessionExpiry > 0;
    if (v5) {
      conn.problemInformation = cp.getInt(Property.REQUEST_PROBLEM_INFORMATION, 1) == 1;
      conn.clientReceiveMaximum = cp.getInt(Property.RECEIVE_MAXIMUM, 65535);
      int aliases = cp.getInt(Property.TOPIC_ALIAS_MAXIMUM, 0);
      conn.outgoing = new OutgoingPublishes(conn.version, core.stats(), conn.clientMaxPacketSize,
          aliases > 0 && core.config().outboundTopicAliases() == TopicAliasPolicy.LRU
              ? new OutboundTopicAliases(aliases) : null);
    } else {
      conn.outgoing = core.outgoingV3(conn.version);
    }
    int keepAlive = core.config().keepAliveFor(c.keepAlive(), v5);
    serverKeepAlive = v5 && (keepAlive != c.keepAlive() || core.config().serverKeepAlive() > 0) ? keepAlive : -1;
    if (keepAlive > 0) {
      // MQTT-3.1.2-24: one and a half times the keep alive without a packet ends the connection.
      conn.startKeepAlive(keepAlive);
    }
    conn.state = State.CONNECTING;
    conn.pending = new ArrayList<>(4);
    boolean assignedId = assigned;
    boolean responseInfo = v5 && cp.getInt(Property.REQUEST_RESPONSE_INFORMATION, 0) == 1;
    BiConsumer<AuthResult, ClientInfo> then = (result, info) -> authenticated(result, info, assignedId, responseInfo);
    if (enhancedAuth != null) {
      startEnhancedAuth(c, id, then);
      return;
    }
    core.access().authenticate(c, id, conn.channel, conn.listener, then);
  }

  /**
   * The exchange of an enhanced authentication, before the session is prepared, after the connect
   * hooks had their say: reads the client's AUTH packets ({@link #onAuthenticating}) and must end
   * within the connect timeout.
   */
  private void startEnhancedAuth(Connect c, String id, BiConsumer<AuthResult, ClientInfo> then) {
    long timeoutMs = core.config().connectTimeout().toMillis();
    conn.connectTimeout = conn.ctx.executor().schedule(() -> {
      if (enhancedAuth.atConnect() && !conn.closing) {
        core.clientLine(log).log("Client {} from {} closed: enhanced authentication not done within {} ms", id, conn.remote(),
            timeoutMs);
        conn.beginClose("enhanced authentication timeout");
        conn.ctx.close();
      }
    }, timeoutMs, TimeUnit.MILLISECONDS);
    core.access().beforeEnhanced(c, id, conn.channel, conn.listener, refused -> {
      if (conn.state != State.CONNECTING || conn.closing) {
        return;
      }
      if (refused != null) {
        conn.connectTimeout.cancel(false);
        then.accept(refused, null);
        return;
      }
      enhancedAuth.begin(core.access().enhancedRequest(enhancedAuth.method(), id, c.username(), conn.channel,
          conn.listener, null), c.properties().getBinary(Property.AUTHENTICATION_DATA), step -> {
            conn.connectTimeout.cancel(false);
            // as with the plain authenticator: hold what follows until CONNACK
            conn.channel.config().setAutoRead(false);
            core.access().enhancedDecided(c, id, conn.channel, conn.listener, step.result(), then);
          });
    });
  }

  /** A packet during the enhanced authentication of the CONNECT: only AUTH or DISCONNECT (MQTT-3.1.2-30). */
  void onAuthenticating(Object msg) {
    if (msg instanceof Auth a) {
      String problem = enhancedAuth.onAuth(a, null);
      if (problem != null) {
        refuse(ReasonCodes.PROTOCOL_ERROR, problem);
      }
    } else if (msg instanceof Disconnect) {
      conn.beginClose("client DISCONNECT during authentication");
      conn.ctx.close();
    } else if (msg instanceof MqttDecodeException e) {
      conn.violation(e.reasonCode(), e.getMessage());
    } else {
      refuse(ReasonCodes.PROTOCOL_ERROR,
          ((MqttPacket) msg).type() + " before the CONNACK of an enhanced authentication");
    }
  }

  /** AUTH after CONNACK: the answer to a re-authentication challenge, or a new re-authentication (0x19). */
  void onAuth(Auth a) {
    if (enhancedAuth == null) {
      conn.violation(ReasonCodes.PROTOCOL_ERROR, "AUTH without an authentication method in CONNECT"); // MQTT-4.12.0-7
      return;
    }
    String problem = enhancedAuth.onAuth(a, () -> enhancedAuth.begin(
        core.access().enhancedRequest(enhancedAuth.method(), conn.clientId, conn.client.username(), conn.channel,
            conn.listener, conn.client),
        a.properties().getBinary(Property.AUTHENTICATION_DATA), this::reauthenticated));
    if (problem != null) {
      conn.violation(ReasonCodes.PROTOCOL_ERROR, problem);
    }
  }

  /** A re-authentication ended: AUTH 0x00 and the new identity, or DISCONNECT (MQTT-4.12.1-2). */
  private void reauthenticated(AuthStep step) {
    if (conn.state != State.CONNECTED || conn.closing) {
      return;
    }
    ClientInfo info = core.access().reauthenticated(conn.client, step.result());
    if (info == null) {
      conn.disconnect(EnhancedAuth.disconnectCode(step.result().reasonCode()), "re-authentication failed");
      return;
    }
    conn.client = info;
    conn.session.clientInfo = info;
    sendAuth(enhancedAuth.successPacket(step));
  }

  /**
   * Sends an AUTH packet of the exchange, unless it is over the client's Maximum Packet Size
   * (MQTT-3.1.2-24; a SCRAM challenge is ~90 bytes): then the exchange ends with 0x95 Packet too
   * large, a CONNACK while connecting, a DISCONNECT in a re-authentication.
   */
  private void sendAuth(Auth auth) {
    if (MqttEncoder.encodedSize(auth, MqttVersion.V5) <= conn.clientMaxPacketSize) {
      conn.writer.writeAndFlush(auth);
    } else if (conn.state == State.CONNECTED) {
      conn.disconnect(ReasonCodes.PACKET_TOO_LARGE, "an AUTH packet would exceed the client's Maximum Packet Size");
    } else if (!conn.closing) {
      refuse(ReasonCodes.PACKET_TOO_LARGE, "an AUTH packet would exceed the client's Maximum Packet Size ("
          + conn.clientMaxPacketSize + " bytes)");
    }
  }

  /** The authenticator answered (on this loop): refuse, or go on to prepare the session. */
  private void authenticated(AuthResult result, ClientInfo info, boolean assignedId, boolean responseInfo) {
    if (conn.state != State.CONNECTING || conn.closing) {
      return; // the client went away meanwhile
    }
    if (!result.accepted()) {
      conn.beginClose("not authenticated");
      conn.clientError(result.reasonCode(), "CONNECT refused by authentication");
      int code = conn.version.isV5() ? result.reasonCode() : ReasonCodes.toV3ConnAck(result.reasonCode());
      conn.closer().closeAfter(conn.ctx.writeAndFlush(conn.writer.encode(new ConnAck(false, code))));
      return;
    }
    if (conn.clientMaxPacketSize < MqttDecoder.PROTOCOL_MAX_PACKET_SIZE && MqttEncoder.encodedSize(
        new ConnAck(true, ReasonCodes.SUCCESS, connAckSizeProperties(assignedId)), MqttVersion.V5)
        > conn.clientMaxPacketSize) {
      // MQTT-3.1.2-24: what the CONNACK must say (an assigned client id, the authentication's last
      // data) does not fit the client's Maximum Packet Size. Refused before a session is made.
      // Sized only for a client that announced one (MQTT 5): every other connect skips the work.
      refuse(ReasonCodes.PACKET_TOO_LARGE, "the CONNACK would exceed the client's Maximum Packet Size ("
          + conn.clientMaxPacketSize + " bytes)");
      return;
    }
    conn.client = info;
    core.registry().connect(conn.clientId, conn.cleanStart, conn.persistent, conn.channel.eventLoop(), conn,
        (s, present) -> sessionReady(s, present, assignedId, responseInfo));
  }

  private static final java.security.SecureRandom ASSIGNED_IDS = new java.security.SecureRandom();
  private static final char[] ALPHANUMERIC =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  /**
   * A client id for a client that sent none: {@code tern-} and 18 random letters and digits (107
   * bits: not guessed, so no one else resumes the session). 23 characters, the length every server
   * accepts (MQTT-3.1.3-5) and the least {@code max_client_id_length} may be, so the client can
   * come back with it (a 41-character one was refused at the reconnect under a lower limit).
   */
  static String assignedClientId() {
    char[] id = new char[23];
    "tern-".getChars(0, 5, id, 0);
    for (int i = 5; i < id.length; i++) {
      id[i] = ALPHANUMERIC[ASSIGNED_IDS.nextInt(ALPHANUMERIC.length)];
    }
    return new String(id);
  }

  private void refuse(int reasonCode, String why) {
    refuse(reasonCode, why, true);
  }

  /** @param clientsFault whether it counts as a protocol error (not when the broker is busy) */
  private void refuse(int reasonCode, String why, boolean clientsFault) {
    if (clientsFault) {
      core.stats().protocolErrors.increment();
    }
    core.clientLine(log).log("Connection from {} refused: {} ({})", conn.remote(), why,
        conn.version.isV5() ? ReasonCodes.describe(reasonCode)
            : "CONNACK " + ReasonCodes.describeV3ConnAck(ReasonCodes.toV3ConnAck(reasonCode)));
    conn.beginClose(why);
    conn.clientError(reasonCode, why);
    String text = MqttConnection.reasonText(why);
    ConnAck ack = !conn.version.isV5() ? new ConnAck(false, ReasonCodes.toV3ConnAck(reasonCode))
        : !conn.fitsClient(text) ? new ConnAck(false, reasonCode) // MQTT-3.2.2-19
        : new ConnAck(false, reasonCode, MqttProperties.builder().reasonString(text).build());
    conn.closer().closeAfter(conn.ctx.writeAndFlush(conn.writer.encode(ack)));
  }

  private void sessionReady(Session s, boolean present, boolean assignedId, boolean responseInfo) {
    if (s.terminated || s.claimant != conn) {
      // A newer connection with the same client id took the session while this one was being
      // prepared: this connection lost the race and is taken over before it started.
      conn.closeReason = "session taken over";
      conn.closeCause = DisconnectReason.TAKEN_OVER;
      core.clientLine(log).log("Client {} from {}: session taken over while connecting", conn.clientId, conn.remote());
      conn.closer().publishWill();
      // Closed now (as the channel's end would: counted, timers and buffers released), so that the
      // packets that follow in this read are not acted upon.
      conn.closer().onClosed();
      conn.ctx.close();
      return;
    }
    conn.session = s;
    s.clientInfo = conn.client;
    if (conn.state != State.CONNECTING || !conn.channel.isActive()) {
      // The client went away while its session was prepared: as if it had connected and dropped.
      conn.closer().publishWill();
      s.lifecycle.releaseUnattached(conn, conn.sessionExpiry);
      return;
    }
    try {
      s.lifecycle.storeAttach(conn.sessionExpiry);
    } catch (io.tern.broker.store.StoreException e) {
      storeFailed(s, present, e);
      return;
    }
    conn.state = State.CONNECTED;
    conn.connectedAtMillis = System.currentTimeMillis();
    conn.writer.traced = core.isTraced(conn.clientId);
    MqttProperties props = MqttProperties.EMPTY;
    if (conn.version.isV5()) {
      props = connAckProperties(assignedId, responseInfo);
      if (responseInfo && MqttEncoder.encodedSize(new ConnAck(false, ReasonCodes.SUCCESS, props), MqttVersion.V5)
          > conn.clientMaxPacketSize) {
        // MQTT-3.1.2-24: no packet over the client's Maximum Packet Size. Response Information is
        // the one optional property here; the rest say what the client must know (MQTT-3.2.2-16 ...).
        props = connAckProperties(assignedId, false);
      }
    }
    // MQTT-3.2.2-1..3: session present only when a session is resumed. MQTT 3.1 has no such flag:
    // the first CONNACK byte is reserved there ("not used") and stays 0, as Mosquitto sends it.
    boolean sessionPresent = present && !conn.cleanStart && conn.version != MqttVersion.V3_1;
    ConnAck connAck = new ConnAck(sessionPresent, ReasonCodes.SUCCESS, props);
    if (conn.writer.traced) { // known only now: the CONNECT went by before the client id was
      trace.info("Client {} sent CONNECT ({}, clean={}, keepAlive={}s, user {})", conn.clientId, conn.version,
          conn.cleanStart, conn.keepAliveOf(), conn.client.username());
      trace.info("Client {} received {}", conn.clientId, connAck);
    }
    conn.ctx.write(conn.writer.encode(connAck), conn.ctx.voidPromise());
    connections.info("Client {} connected from {} on {} ({}, clean={}, keepAlive={}s, sessionPresent={})",
        conn.clientId, conn.remote(), conn.listener.name(), conn.version, conn.cleanStart, conn.keepAliveOf(),
        present && !conn.cleanStart);
    s.lifecycle.attach(conn, conn.sessionExpiry, conn.clientReceiveMaximum);
    if (conn.will != null && s.storing()) { // in the store while the client is connected: a crash keeps it
      s.wills().armWill(conn, ConnectionCloser.willPublish(conn.will),
          conn.will.properties().getLong(Property.WILL_DELAY_INTERVAL, 0));
    }
    conn.writer.flush();
    Events ev = core.events();
    if (ev.active()) {
      long now = System.currentTimeMillis();
      ev.emit(present ? new BrokerEvent.SessionResumed(now, conn.clientId)
          : new BrokerEvent.SessionCreated(now, conn.clientId));
      ev.emit(new BrokerEvent.Connected(now, conn.clientId, conn.client.username(), conn.client.remoteAddress(),
          conn.listener.name(), conn.version.level(), conn.cleanStart, sessionPresent));
    }
    conn.replayPending();
  }

  /**
   * The session's record could not be stored: the client is refused with Server unavailable (v5
   * 0x88, v3 0x03) rather than left without a CONNACK. A session it resumed stays as it was (with
   * its expiry counted from now); one made for it goes.
   */
  private void storeFailed(Session s, boolean present, io.tern.broker.store.StoreException e) {
    core.persistence().reportFailure(e);
    log.info("Client {} from {}: refused, its session cannot be stored now", conn.clientId, conn.remote());
    conn.beginClose(DisconnectReason.INTERNAL_ERROR, "the store cannot be written");
    conn.clientError(ReasonCodes.SERVER_UNAVAILABLE, "the store cannot be written");
    int code = conn.version.isV5() ? ReasonCodes.SERVER_UNAVAILABLE : ReasonCodes.V3_SERVER_UNAVAILABLE;
    conn.closer().closeAfter(conn.ctx.writeAndFlush(conn.writer.encode(new ConnAck(false, code))));
    try {
      s.lifecycle.release(present ? s.lifecycle.expiryInterval() : 0);
    } catch (io.tern.broker.store.StoreException again) {
      log.debug("Client {}: session release not stored either: {}", conn.clientId, again.toString());
    }
  }

  /** The CONNACK's properties without Response Information, to size it before the session is made. */
  private MqttProperties connAckSizeProperties(boolean assignedId) {
    MqttProperties props = baseConnAckProperties(assignedId, false);
    return enhancedAuth != null ? enhancedAuth.peekConnAckProperties(props) : props;
  }

  private MqttProperties connAckProperties(boolean assignedId, boolean responseInfo) {
    MqttProperties props = baseConnAckProperties(assignedId, responseInfo);
    return enhancedAuth != null ? enhancedAuth.connAckProperties(props) : props;
  }

  private MqttProperties baseConnAckProperties(boolean assignedId, boolean responseInfo) {
    return ConnAckProperties.of(core.config(), conn.requestedExpiry, conn.sessionExpiry,
        assignedId ? conn.clientId : null, responseInfo, serverKeepAlive);
  }
}
