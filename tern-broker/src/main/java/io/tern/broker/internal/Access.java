package io.tern.broker.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.ssl.SslHandler;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import io.tern.broker.TlsConfig;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.auth.ConnectRequest;
import io.tern.broker.auth.EnhancedAuthRequest;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.broker.auth.Permission;
import io.tern.codec.Connect;
import io.tern.codec.ReasonCodes;
import io.tern.codec.Topics;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the connection meets the auth SPIs: runs the {@link Authenticator} for a CONNECT and answers
 * on the connection's loop; asks the {@link Authorizer} about SUBSCRIBE, PUBLISH and RECEIVE, and
 * checks the topic limits. With the default allow-all authorizer, {@link #authorizing} is false and
 * the per-message checks cost one field read.
 */
final class Access {
  private static final Logger log = LoggerFactory.getLogger(Access.class);

  private final BrokerConfig config;
  private final BrokerStats stats;
  private final Authenticator authenticator;
  private final Authorizer authorizer;
  /** False with {@link Authorizer#ALLOW_ALL}: then no message path calls the authorizer. */
  final boolean authorizing;
  private final boolean topicLimits;

  private final HookChain hooks;
  /** Over max_heap_usage: no new subscription, as no new connection. */
  private final HeapGuard heap;
  /** The broker's limit on lines about refused clients (see {@link BrokerCore#clientLine}). */
  private final LogLimit clientLines;

  Access(BrokerConfig config, BrokerStats stats, HookChain hooks, LogLimit clientLines, HeapGuard heap) {
    this.heap = heap;
    this.hooks = hooks;
    this.clientLines = clientLines;
    this.config = config;
    this.stats = stats;
    this.authenticator = config.authenticator();
    this.authorizer = config.authorizer();
    this.authorizing = authorizer != Authorizer.ALLOW_ALL;
    this.topicLimits = config.maxTopicLength() < 65535 || config.maxTopicLevels() > 0;
  }

  private org.slf4j.spi.LoggingEventBuilder clientLine() {
    return log.atLevel(clientLines.level(log));
  }

  /**
   * Authenticates a CONNECT; {@code then} runs on the channel's loop with the result and, when
   * accepted, the client as the authorizer will see it. The will topic, if any, must be one the
   * client may publish to (else 0x87).
   */
  void authenticate(Connect c, String clientId, Channel ch, Listener listener, BiConsumer<AuthResult, ClientInfo> then) {
    ConnectRequest request = connectRequest(c, clientId, ch, listener);
    if (request == null) {
      then.accept(AuthResult.notAuthorized(), null);
      return;
    }
    InetSocketAddress remote = request.remoteAddress();
    // The connect hooks first, then the authenticator; the hook chain isolates failures and applies timeouts.
    CompletableFuture<Void> gone = new CompletableFuture<>();
    ChannelFutureListener closed = f -> gone.complete(null);
    ch.closeFuture().addListener(closed);
    CompletionStage<AuthResult> stage = hooks.connect(request, authenticator, gone);
    stage.whenComplete((result, error) -> ch.eventLoop().execute(() -> {
      ch.closeFuture().removeListener(closed);
      if (gone.isDone()) {
        return; // the client left before the answer: nobody to tell, nothing to count
      }
      AuthResult r = result;
      if (error != null || r == null) {
        log.warn("Authentication failed for client {} from {}", clientId, remote, error);
        r = AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR);
      }
      if (r.isPass()) { // the last authenticator passed too: nobody accepted
        r = AuthResult.notAuthorized();
      }
      decided(c, clientId, remote, listener, request.username(), r, then);
    }));
  }

  /**
   * What the connect hooks and the authenticator are asked about; null (counted and logged) when
   * the listener takes the user name from a client certificate that has none.
   */
  private ConnectRequest connectRequest(Connect c, String clientId, Channel ch, Listener listener) {
    InetSocketAddress remote = inet(Transport.remoteAddress(ch));
    List<X509Certificate> certs = peerCertificates(ch);
    String username = c.username();
    boolean fromCertificate = false;
    TlsConfig tls = listener.tls();
    if (tls != null && tls.identityAsUsername() != TlsConfig.Identity.NONE && !certs.isEmpty()) {
      username = TlsContext.identity(certs.get(0), tls.identityAsUsername());
      if (username == null) {
        clientLine().log("Connection from {} refused: the client certificate has no {} to use as user name",
            remote, tls.identityAsUsername());
        stats.authFailures.increment();
        return null;
      }
      fromCertificate = true;
    }
    return new ConnectRequest(clientId, username, c.password() == null ? null : c.password().clone(),
        remote, listener.name(), certs, fromCertificate);
  }

  /** The end of the connect chain when the exchange of an enhanced authentication decides. */
  private static final Authenticator EXCHANGE_DECIDES =
      request -> java.util.concurrent.CompletableFuture.completedFuture(AuthResult.pass());

  /**
   * Before an enhanced authentication exchange: the connect hooks see the CONNECT as for any client
   * and may refuse it (a ban list holds for every client); an acceptance or a pass lets the exchange
   * decide who the client is (the method the client asked for is the authentication). {@code then}
   * runs on the loop with {@code null} to go on, or the refusal, counted and logged.
   */
  void beforeEnhanced(Connect c, String clientId, Channel ch, Listener listener, Consumer<AuthResult> then) {
    ConnectRequest request = connectRequest(c, clientId, ch, listener);
    if (request == null) {
      then.accept(AuthResult.notAuthorized());
      return;
    }
    CompletableFuture<Void> gone = new CompletableFuture<>();
    ChannelFutureListener closed = f -> gone.complete(null);
    ch.closeFuture().addListener(closed);
    hooks.connect(request, EXCHANGE_DECIDES, gone).whenComplete((result, error) -> ch.eventLoop().execute(() -> {
      ch.closeFuture().removeListener(closed);
      if (gone.isDone()) {
        return;
      }
      AuthResult r = error != null || result == null ? AuthResult.refuse(ReasonCodes.UNSPECIFIED_ERROR) : result;
      if (r.accepted() || r.isPass()) {
        then.accept(null);
        return;
      }
      stats.authFailures.increment();
      clientLine().log("Connection from {} refused by a connect hook before enhanced authentication: client {}: {}",
          request.remoteAddress(), clientId, ReasonCodes.describe(r.reasonCode()));
      then.accept(r);
    }));
  }

  /**
   * The authenticator (or an enhanced authentication exchange) decided: a refusal is counted and
   * logged; an acceptance still needs the will topic to be one the client may publish to.
   */
  private void decided(Connect c, String clientId, InetSocketAddress remote, Listener listener, String claimedUser,
      AuthResult r, BiConsumer<AuthResult, ClientInfo> then) {
    if (!r.accepted()) {
      stats.authFailures.increment();
      // What the client is told: an MQTT 3 client gets the CONNACK return code the reason maps to.
      String told = c.version().isV5() ? ReasonCodes.describe(r.reasonCode())
          : "CONNACK " + ReasonCodes.describeV3ConnAck(ReasonCodes.toV3ConnAck(r.reasonCode()));
      clientLine().log("Connection from {} refused: client {} user {}: {}{}", remote, clientId, claimedUser,
          told, r.detail() == null ? "" : " (" + r.detail() + ")");
      then.accept(r, null);
      return;
    }
    ClientInfo info = new ClientInfo(clientId, r.username(), remote, listener.name(), r.attachment());
    if (c.will() != null && (Topics.isSys(c.will().topic()) || authorizing
        && !authorize(info, Action.PUBLISH, c.will().topic(), c.will().qos()).allowed())) {
      stats.authFailures.increment();
      clientLine().log("Connection from {} refused: client {} may not publish its will to {}", remote, clientId,
          c.will().topic());
      then.accept(AuthResult.notAuthorized(), null);
      return;
    }
    then.accept(r, info);
  }

  /** The enhanced authentication method registered under {@code method}, or {@code null}. */
  EnhancedAuthenticator enhancedAuthenticator(String method) {
    return method == null ? null : config.enhancedAuthenticators().get(method);
  }

  /** What an enhanced authentication exchange is told when it begins; {@code current} is null at CONNECT. */
  EnhancedAuthRequest enhancedRequest(String method, String clientId, String username, Channel ch, Listener listener,
      ClientInfo current) {
    return new EnhancedAuthRequest(method, clientId, username, inet(Transport.remoteAddress(ch)), listener.name(),
        peerCertificates(ch), current);
  }

  /** The end of the enhanced authentication of a CONNECT, as {@link #authenticate} ends (on the loop). */
  void enhancedDecided(Connect c, String clientId, Channel ch, Listener listener, AuthResult r,
      BiConsumer<AuthResult, ClientInfo> then) {
    decided(c, clientId, inet(Transport.remoteAddress(ch)), listener, c.username(), r, then);
  }

  /** The client as a successful re-authentication leaves it; counts and logs a failed one. */
  ClientInfo reauthenticated(ClientInfo before, AuthResult r) {
    if (!r.accepted()) {
      stats.authFailures.increment();
      clientLine().log("Client {} (user {}) from {}: re-authentication failed: {}", before.clientId(), before.username(),
          before.remoteAddress(), ReasonCodes.describe(r.reasonCode()));
      return null;
    }
    return new ClientInfo(before.clientId(), r.username(), before.remoteAddress(), before.listenerName(),
        r.attachment());
  }

  /**
   * The QoS to grant a subscription, or a failure reason code (0x80 and above, MQTT 5 numbering).
   *
   * @param held subscriptions the session holds now, with those granted earlier in the same SUBSCRIBE
   * @param heldBytes what they cost together, by {@link SubscriptionTable#cost}
   * @param replaces whether the session already has a subscription with this filter
   * @param logQuota whether a refusal over {@code max_subscriptions_per_client} is logged: once per
   *     SUBSCRIBE, however many filters it carries (each refusal is counted)
   */
  int grant(ClientInfo client, String filter, int qos, int held, long heldBytes, boolean replaces,
      boolean logQuota) {
    if (topicLimits && !withinTopicLimits(filter)) {
      clientLine().log("Client {}: subscription to a filter of {} characters refused (max_topic_length {}, "
          + "max_topic_levels {})", client.clientId(), filter.length(), config.maxTopicLength(), config.maxTopicLevels());
      return ReasonCodes.TOPIC_FILTER_INVALID;
    }
    if (!replaces && held >= config.maxSubscriptionsPerClient()) {
      stats.subscriptionLimitRefusals.increment();
      if (logQuota) {
        clientLine().log("Client {}: subscription to {} refused: max_subscriptions_per_client {} reached",
            client.clientId(), filter, config.maxSubscriptionsPerClient());
      }
      return ReasonCodes.QUOTA_EXCEEDED;
    }
    if (!replaces && heap.over()) {
      // Each client within its bounds, all of them together may still fill the heap (a probe:
      // four clients of 60 filters of 6,000 levels each filled 256 MB): no new filter while the
      // heap is over max_heap_usage, as no new connection.
      stats.subscriptionLimitRefusals.increment();
      if (logQuota) {
        clientLine().log("Client {}: subscription to a filter of {} characters refused: the heap is over "
            + "max_heap_usage {}%", client.clientId(), filter.length(), config.maxHeapUsage());
      }
      return ReasonCodes.QUOTA_EXCEEDED;
    }
    long cost = SubscriptionTable.cost(filter);
    if (!replaces && heldBytes + cost > config.maxSubscriptionBytesPerClient()) {
      stats.subscriptionLimitRefusals.increment();
      if (logQuota) {
        clientLine().log("Client {}: subscription to a filter of {} characters refused: its subscriptions would take "
            + "{} bytes (max_subscription_bytes_per_client {})", client.clientId(), filter.length(),
            heldBytes + cost, config.maxSubscriptionBytesPerClient());
      }
      return ReasonCodes.QUOTA_EXCEEDED;
    }
    if (!authorizing) {
      return qos;
    }
    Permission p = authorize(client, Action.SUBSCRIBE, filter, qos);
    if (!p.allowed()) {
      stats.subscriptionsDenied.increment();
      clientLine().log("Client {} (user {}): subscription to {} denied", client.clientId(), client.username(), filter);
      return ReasonCodes.NOT_AUTHORIZED;
    }
    return Math.min(qos, p.maxQos());
  }

  /**
   * The authorizer's answer; {@link Permission#DENY} when it throws or answers null: the operation
   * is refused (SUBACK or PUBACK Not authorized, the message not routed or not delivered), counted
   * in {@code hookFailures()} and logged as a failing hook is, and the client stays connected.
   */
  private Permission authorize(ClientInfo client, Action action, String topic, int qos) {
    Permission p;
    try {
      p = authorizer.authorize(client, action, topic, qos);
    } catch (Throwable e) {
      UserCode.rethrowFatal(e);
      hooks.failedAuthorizer(authorizer, action, e);
      return Permission.DENY;
    }
    if (p == null) {
      hooks.failedAuthorizer(authorizer, action, new NullPointerException("null Permission"));
      return Permission.DENY;
    }
    return p;
  }

  /**
   * Whether a client must be asked about before it may publish to {@code topic}: an authorizer is
   * set, or the topic may be {@code $SYS}. One test on the path of every PUBLISH.
   */
  boolean checksPublish(String topic) {
    return authorizing || topic.startsWith("$SYS");
  }

  /**
   * Whether the client may publish to {@code topic}; counts and logs (debug) a refusal. Never to the
   * broker's own {@code $SYS} tree, whatever the authorizer says (as Mosquitto): a client's value
   * there would stand as the broker's, which republishes a value only when it changes (MQTT-4.7.2:
   * topics beginning with {@code $} are not for applications' own purposes).
   */
  boolean mayPublish(ClientInfo client, String topic, int qos) {
    if (!Topics.isSys(topic) && authorize(client, Action.PUBLISH, topic, qos).allowed()) {
      return true;
    }
    stats.publishesDenied.increment();
    log.debug("Client {} (user {}): PUBLISH to {} denied", client.clientId(), client.username(), topic);
    return false;
  }

  /** Whether a session's client may receive a message on {@code topic}. Any thread. */
  boolean mayReceive(Session s, Message m) {
    ClientInfo client = s.clientInfo;
    if (client == null || authorize(client, Action.RECEIVE, m.topic(), m.qos()).allowed()) {
      return true;
    }
    stats.deliveriesDenied.increment();
    return false;
  }

  /** Whether a topic name is within {@code max_topic_length} and {@code max_topic_levels}; counts a refusal. */
  boolean withinTopicLimits(String topic) {
    if (!topicLimits) {
      return true;
    }
    boolean ok = topic.length() <= config.maxTopicLength()
        && (config.maxTopicLevels() == 0 || Topics.levels(topic) <= config.maxTopicLevels());
    if (!ok) {
      stats.topicLimitRefusals.increment();
    }
    return ok;
  }

  private static InetSocketAddress inet(SocketAddress a) {
    return a instanceof InetSocketAddress i ? i : null;
  }

  private static List<X509Certificate> peerCertificates(Channel ch) {
    SslHandler ssl = ch.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return List.of();
    }
    try {
      Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      List<X509Certificate> out = new ArrayList<>(chain.length);
      for (Certificate c : chain) {
        if (c instanceof X509Certificate x) {
          out.add(x);
        }
      }
      return out;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }
}
