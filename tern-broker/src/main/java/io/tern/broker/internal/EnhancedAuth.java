package io.tern.broker.internal;

import io.netty.channel.EventLoop;
import io.tern.broker.auth.AuthStep;
import io.tern.broker.auth.EnhancedAuthRequest;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.codec.Auth;
import io.tern.codec.MqttProperties;
import io.tern.codec.Property;
import io.tern.codec.ReasonCodes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enhanced authentication (MQTT 5 section 4.12) of one connection whose CONNECT named an
 * Authentication Method: the exchange in progress, whose turn it is, and the checks of the AUTH
 * packets the client sends. Challenges go out here as AUTH {@code 0x18}; the end of an exchange
 * (success or failure) goes back to the connection. On the connection's event loop only.
 */
final class EnhancedAuth {
  private static final Logger log = LoggerFactory.getLogger(EnhancedAuth.class);

  private enum Turn { NONE, SERVER, CLIENT }

  private final String method;
  private final EnhancedAuthenticator authenticator;
  private final EventLoop loop;
  private final Consumer<Auth> send;
  private EnhancedAuthenticator.Exchange exchange;
  private Consumer<AuthStep> onEnd;
  private Turn turn = Turn.NONE;
  /** From the CONNECT (connect hooks, then the exchange) until its end: no CONNACK yet. */
  private boolean atConnect = true;
  /** The data of the success that ended the CONNECT exchange, for the CONNACK. */
  private byte[] connAckData;

  /**
   * @param send writes an AUTH packet to the client (and flushes)
   */
  EnhancedAuth(String method, EnhancedAuthenticator authenticator, EventLoop loop, Consumer<Auth> send) {
    this.method = method;
    this.authenticator = authenticator;
    this.loop = loop;
    this.send = send;
  }

  String method() {
    return method;
  }

  /** Whether the exchange of the CONNECT is still going on (no CONNACK yet). */
  boolean atConnect() {
    return atConnect;
  }

  /**
   * Begins an exchange with the client's first data (from CONNECT, or an AUTH {@code 0x19}); {@code
   * end} gets its success or failure, on the loop.
   */
  void begin(EnhancedAuthRequest request, byte[] data, Consumer<AuthStep> end) {
    atConnect = !request.reauthentication();
    onEnd = end;
    turn = Turn.SERVER;
    try {
      exchange = authenticator.begin(request);
      next(exchange.start(data));
    } catch (Throwable e) {
      UserCode.rethrowFatal(e);
      failed(e);
    }
  }

  /**
   * An AUTH from the client. Returns why it breaks the protocol, or {@code null} when it was taken:
   * {@code reauthenticate} is asked to begin a re-authentication (AUTH {@code 0x19}).
   */
  String onAuth(Auth a, Runnable reauthenticate) {
    String m = a.properties().getString(Property.AUTHENTICATION_METHOD);
    if (!method.equals(m)) { // MQTT-4.12.0-5, MQTT-4.12.1-1: the method of the CONNECT throughout
      return m == null ? "AUTH without an Authentication Method" : "AUTH with method " + m + " after " + method;
    }
    int code = a.reasonCode();
    if (code == ReasonCodes.CONTINUE_AUTHENTICATION) {
      if (turn != Turn.CLIENT) {
        return "AUTH 0x18 when no challenge awaits an answer";
      }
      turn = Turn.SERVER;
      try {
        next(exchange.respond(a.properties().getBinary(Property.AUTHENTICATION_DATA)));
      } catch (Throwable e) {
        UserCode.rethrowFatal(e);
        failed(e);
      }
      return null;
    }
    if (code == ReasonCodes.RE_AUTHENTICATE) {
      if (atConnect || turn != Turn.NONE) {
        return "AUTH 0x19 while an authentication is in progress"; // MQTT-4.12.1-1: after CONNACK
      }
      reauthenticate.run();
      return null;
    }
    return "AUTH with reason code 0x" + Integer.toHexString(code) + " from a client";
  }

  /** The CONNACK properties with the method (MQTT-4.12.0-5) and the final data of the success. */
  MqttProperties connAckProperties(MqttProperties props) {
    MqttProperties p = peekConnAckProperties(props);
    connAckData = null;
    return p;
  }

  /** {@link #connAckProperties(MqttProperties)} without letting go of the data (to size the CONNACK). */
  MqttProperties peekConnAckProperties(MqttProperties props) {
    MqttProperties.Builder b = props.toBuilder().set(Property.AUTHENTICATION_METHOD, method);
    if (connAckData != null) {
      b.set(Property.AUTHENTICATION_DATA, connAckData);
    }
    return b.build();
  }

  /** The AUTH 0x00 that ends a successful re-authentication. */
  Auth successPacket(AuthStep step) {
    return new Auth(ReasonCodes.SUCCESS, properties(step.data()));
  }

  private void next(CompletionStage<AuthStep> stage) {
    if (stage == null) {
      stage = CompletableFuture.completedFuture(null);
    }
    stage.whenComplete((step, error) -> {
      if (loop.inEventLoop()) {
        answered(step, error);
      } else {
        loop.execute(() -> answered(step, error));
      }
    });
  }

  private void answered(AuthStep step, Throwable error) {
    if (turn != Turn.SERVER) {
      return; // the connection ended meanwhile
    }
    if (error != null || step == null) {
      failed(error);
      return;
    }
    if (step.isChallenge()) {
      turn = Turn.CLIENT;
      send.accept(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, properties(step.data())));
      return;
    }
    end(step);
  }

  private void failed(Throwable error) {
    log.warn("Enhanced authenticator {} failed", method, error);
    end(AuthStep.fail(ReasonCodes.UNSPECIFIED_ERROR));
  }

  private void end(AuthStep step) {
    turn = Turn.NONE;
    exchange = null;
    if (atConnect && step.isSuccess()) {
      connAckData = step.data();
    }
    atConnect = false;
    Consumer<AuthStep> end = onEnd;
    onEnd = null;
    end.accept(step);
  }

  /** The connection closed: an answer that comes later is dropped. */
  void close() {
    turn = Turn.NONE;
    exchange = null;
    onEnd = null;
    atConnect = false;
  }

  /**
   * The DISCONNECT reason code for a failed re-authentication: the exchange's own when DISCONNECT
   * has it (v5 section 3.14.2.1), else {@code 0x87 Not authorized} (0x86 and 0x8A exist in CONNACK only).
   */
  static int disconnectCode(int reasonCode) {
    switch (reasonCode) {
      case ReasonCodes.UNSPECIFIED_ERROR:
      case ReasonCodes.IMPLEMENTATION_SPECIFIC_ERROR:
      case ReasonCodes.NOT_AUTHORIZED:
      case ReasonCodes.SERVER_BUSY:
      case ReasonCodes.BAD_AUTHENTICATION_METHOD:
      case ReasonCodes.QUOTA_EXCEEDED:
      case ReasonCodes.ADMINISTRATIVE_ACTION:
        return reasonCode;
      default:
        return ReasonCodes.NOT_AUTHORIZED;
    }
  }

  private MqttProperties properties(byte[] data) {
    MqttProperties.Builder b = MqttProperties.builder().set(Property.AUTHENTICATION_METHOD, method);
    if (data != null) {
      b.set(Property.AUTHENTICATION_DATA, data);
    }
    return b.build();
  }
}
