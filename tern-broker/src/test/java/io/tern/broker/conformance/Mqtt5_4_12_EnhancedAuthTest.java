package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.auth.Action;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.AuthStep;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.broker.auth.Permission;
import io.tern.broker.auth.ScramClient;
import io.tern.broker.auth.ScramCredential;
import io.tern.broker.auth.ScramSha256Authenticator;
import io.tern.codec.Auth;
import io.tern.codec.ConnAck;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.Property;
import io.tern.codec.PubAck;
import io.tern.codec.ReasonCodes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5.0 section 4.12 (and 3.15, AUTH): enhanced authentication through the {@link
 * EnhancedAuthenticator} SPI, with SCRAM-SHA-256 and a two-step test method ({@code TEST}: the
 * client says "hello", the server asks "who?", the client answers "NAME:open").
 */
class Mqtt5_4_12_EnhancedAuthTest extends Mqtt5TestBase {
  private static final String SCRAM = ScramSha256Authenticator.METHOD;

  /** hello → who? → NAME:open → success as NAME, with "welcome NAME"; anything else fails with 0x87. */
  private static final EnhancedAuthenticator TEST = request -> new EnhancedAuthenticator.Exchange() {
    @Override
    public CompletionStage<AuthStep> start(byte[] data) {
      return CompletableFuture.completedFuture(data != null && new String(data, UTF_8).equals("hello")
          ? AuthStep.challenge("who?".getBytes(UTF_8)) : AuthStep.fail(AuthResult.NOT_AUTHORIZED));
    }

    @Override
    public CompletionStage<AuthStep> respond(byte[] data) {
      String s = data == null ? "" : new String(data, UTF_8);
      if (!s.endsWith(":open")) {
        return CompletableFuture.completedFuture(AuthStep.fail(AuthResult.BAD_USER_NAME_OR_PASSWORD));
      }
      String name = s.substring(0, s.length() - 5);
      return CompletableFuture.completedFuture(AuthStep.success(name, null, ("welcome " + name).getBytes(UTF_8)));
    }
  };

  @BeforeEach
  void methods() {
    ScramCredential alice = ScramCredential.create("secret".toCharArray(), 4096);
    configure(b -> b
        .enhancedAuthenticator(SCRAM, new ScramSha256Authenticator(Map.of("alice", alice)::get))
        .enhancedAuthenticator("TEST", TEST)
        // answers from another thread, after a while
        .enhancedAuthenticator("SLOW", request -> new EnhancedAuthenticator.Exchange() {
          @Override
          public CompletionStage<AuthStep> start(byte[] data) {
            return CompletableFuture.supplyAsync(() -> AuthStep.challenge("who?".getBytes(UTF_8)),
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
          }

          @Override
          public CompletionStage<AuthStep> respond(byte[] data) {
            return CompletableFuture.supplyAsync(() -> AuthStep.success("slow", null, null),
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
          }
        })
        .enhancedAuthenticator("BROKEN", request -> {
          throw new IllegalStateException("broken on purpose");
        })
        // PUBLISH to user/NAME/... only as NAME (other topics: anyone): shows which identity a connection has
        .authorizer((client, action, topic, qos) -> action != Action.PUBLISH || !topic.startsWith("user/")
            || topic.startsWith("user/" + client.username() + "/") ? Permission.ALLOW : Permission.DENY));
  }

  private static MqttProperties method(String method, String data) {
    MqttProperties.Builder b = MqttProperties.builder().set(Property.AUTHENTICATION_METHOD, method);
    if (data != null) {
      b.set(Property.AUTHENTICATION_DATA, data.getBytes(UTF_8));
    }
    return b.build();
  }

  private static MqttProperties method(String method, byte[] data) {
    return MqttProperties.builder().set(Property.AUTHENTICATION_METHOD, method).set(Property.AUTHENTICATION_DATA, data)
        .build();
  }

  private static String text(MqttProperties p) {
    byte[] d = p.getBinary(Property.AUTHENTICATION_DATA);
    return d == null ? null : new String(d, UTF_8);
  }

  /** Sends CONNECT with the method and data; returns the client after the first AUTH 0x18 (checked). */
  private RawClient challenged(String clientId, String method, String data, String expectedChallenge) {
    RawClient c = open(clientId, MqttVersion.V5);
    c.send(v5(clientId).properties(method(method, data)).build());
    Auth a = c.expect(Auth.class);
    assertThat(a.reasonCode()).as("AUTH %s", a).isEqualTo(ReasonCodes.CONTINUE_AUTHENTICATION);
    assertThat(a.properties().getString(Property.AUTHENTICATION_METHOD)).as("MQTT-4.12.0-5").isEqualTo(method);
    assertThat(text(a.properties())).isEqualTo(expectedChallenge);
    return c;
  }

  /** A client connected as NAME with the TEST method. */
  private RawClient connectedWithTest(String clientId, String name) {
    RawClient c = challenged(clientId, "TEST", "hello", "who?");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", name + ":open")));
    ConnAck ack = c.expect(ConnAck.class);
    assertThat(ack.reasonCode()).as("CONNACK %s", ack).isZero();
    return c;
  }

  private static void expectRefused(RawClient c, int reasonCode) {
    ConnAck ack = c.expect(ConnAck.class);
    assertThat(ack.reasonCode()).as("CONNACK %s", ack).isEqualTo(reasonCode);
    assertThat(ack.properties().has(Property.AUTHENTICATION_METHOD)).as("no method on a failed CONNACK").isFalse();
    c.expectClosed();
  }

  private static void expectDisconnect(RawClient c, int reasonCode) {
    Disconnect d = c.expect(Disconnect.class);
    assertThat(d.reasonCode()).as("DISCONNECT %s", d).isEqualTo(reasonCode);
    c.expectClosed();
  }

  /** Publishes at QoS 1: the PUBACK's reason code, 0 for 0x10 No matching subscribers (allowed, nobody listens). */
  private static int publishAs(RawClient c, String topic, int packetId) {
    c.send(publish5(topic, 1, packetId, "x", MqttProperties.EMPTY));
    int code = c.expect(PubAck.class).reasonCode();
    return code == ReasonCodes.NO_MATCHING_SUBSCRIBERS ? 0 : code;
  }

  @Test
  @DisplayName("SCRAM-SHA-256: CONNECT client-first → AUTH 0x18 server-first → AUTH 0x18 client-final → CONNACK with server-final")
  void scramSucceeds() {
    ScramClient scram = new ScramClient("alice", "secret");
    RawClient c = open("s", MqttVersion.V5);
    c.send(v5("s").properties(method(SCRAM, scram.clientFirst())).build());
    Auth serverFirst = c.expect(Auth.class);
    assertThat(serverFirst.reasonCode()).isEqualTo(ReasonCodes.CONTINUE_AUTHENTICATION); // MQTT-4.12.0-2
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION,
        method(SCRAM, scram.clientFinal(serverFirst.properties().getBinary(Property.AUTHENTICATION_DATA)))));
    ConnAck ack = c.expect(ConnAck.class);
    assertThat(ack.reasonCode()).isZero();
    assertThat(ack.properties().getString(Property.AUTHENTICATION_METHOD)).as("MQTT-4.12.0-5").isEqualTo(SCRAM);
    assertThat(scram.serverFinalValid(ack.properties().getBinary(Property.AUTHENTICATION_DATA)))
        .as("the server proves it knows the credential").isTrue();
    assertThat(publishAs(c, "user/alice/x", 1)).as("authenticated as alice").isZero();
  }

  @Test
  @DisplayName("MQTT-3.1.2-24: an AUTH challenge over the client's Maximum Packet Size is not sent: CONNACK 0x95")
  void aChallengeOverTheClientsMaximumPacketSizeEndsTheExchange() {
    ScramClient scram = new ScramClient("alice", "secret");
    RawClient c = open("s", MqttVersion.V5);
    c.send(v5("s").properties(MqttProperties.builder().set(Property.AUTHENTICATION_METHOD, SCRAM)
        .set(Property.AUTHENTICATION_DATA, scram.clientFirst()).maximumPacketSize(64).build()).build());
    ConnAck ack = c.expect(ConnAck.class); // the server-first message (~90 bytes) does not fit
    assertThat(ack.reasonCode()).isEqualTo(ReasonCodes.PACKET_TOO_LARGE);
    assertThat(io.tern.codec.MqttEncoder.encodedSize(ack, MqttVersion.V5)).isLessThanOrEqualTo(64);
    c.expectClosed();
  }

  @Test
  @DisplayName("SCRAM-SHA-256: a wrong password gets CONNACK 0x86 and the connection is closed (MQTT-4.12.0-4)")
  void scramWrongPassword() {
    ScramClient scram = new ScramClient("alice", "guess");
    RawClient c = open("s", MqttVersion.V5);
    c.send(v5("s").properties(method(SCRAM, scram.clientFirst())).build());
    Auth serverFirst = c.expect(Auth.class);
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION,
        method(SCRAM, scram.clientFinal(serverFirst.properties().getBinary(Property.AUTHENTICATION_DATA)))));
    expectRefused(c, ReasonCodes.BAD_USER_NAME_OR_PASSWORD);
    assertThat(broker().securityStats().authFailures()).isEqualTo(1);
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("Success: CONNACK carries the method and the final data; the identity reaches the authorizer")
  void twoStepSucceeds() {
    RawClient c = challenged("t", "TEST", "hello", "who?");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "bob:open")));
    ConnAck ack = c.expect(ConnAck.class);
    assertThat(ack.reasonCode()).isZero();
    assertThat(ack.properties().getString(Property.AUTHENTICATION_METHOD)).isEqualTo("TEST");
    assertThat(text(ack.properties())).isEqualTo("welcome bob");
    assertThat(publishAs(c, "user/bob/x", 1)).isZero();
    assertThat(publishAs(c, "user/alice/x", 2)).isEqualTo(ReasonCodes.NOT_AUTHORIZED);
  }

  @Test
  @DisplayName("An exchange that answers asynchronously, from another thread")
  void asynchronousExchange() {
    RawClient c = challenged("a", "SLOW", null, "who?");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("SLOW", "me")));
    assertThat(c.expect(ConnAck.class).reasonCode()).isZero();
    c.ping();
  }

  @Test
  @DisplayName("The connect hooks see the CONNECT first: their refusal holds; a pass or an acceptance leaves it to the exchange")
  void connectHooksRunFirst() {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    broker().addHook((io.tern.broker.hook.ConnectHook) req -> {
      seen.add(req.clientId());
      return CompletableFuture.completedFuture(req.clientId().equals("banned") ? AuthResult.refuse(AuthResult.BANNED)
          : req.clientId().equals("vip") ? AuthResult.accept("vip") : AuthResult.pass());
    });
    RawClient banned = open("banned", MqttVersion.V5);
    banned.send(v5("banned").properties(method("TEST", "hello")).build());
    expectRefused(banned, AuthResult.BANNED);
    RawClient vip = challenged("vip", "TEST", "hello", "who?");
    vip.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "bob:open")));
    assertThat(vip.expect(ConnAck.class).reasonCode()).isZero();
    assertThat(publishAs(vip, "user/bob/x", 1)).as("the exchange's identity, not the hook's").isZero();
    RawClient other = challenged("other", "TEST", "hello", "who?");
    other.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "wrong")));
    expectRefused(other, ReasonCodes.BAD_USER_NAME_OR_PASSWORD);
    assertThat(seen).containsExactly("banned", "vip", "other");
  }

  @Test
  @DisplayName("Packets before the connect hooks answered are held to the same rule (MQTT-3.1.2-30)")
  void packetsWhileTheConnectHooksThink() {
    CompletableFuture<AuthResult> later = new CompletableFuture<>();
    broker().addHook((io.tern.broker.hook.ConnectHook) req -> later);
    RawClient c = open("early", MqttVersion.V5);
    c.send(v5("early").properties(method("TEST", "hello")).build());
    c.send(publish5("t", 0, 0, "too early", MqttProperties.EMPTY));
    expectRefused(c, ReasonCodes.PROTOCOL_ERROR);
    later.complete(AuthResult.pass());
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-4.12.0-1: an unknown method gets CONNACK 0x8C Bad authentication method")
  void unknownMethod() {
    RawClient c = open("u", MqttVersion.V5);
    c.send(v5("u").properties(method("KERBEROS", "x")).build());
    expectRefused(c, ReasonCodes.BAD_AUTHENTICATION_METHOD);
  }

  @Test
  @DisplayName("The exchange refuses at the first step: CONNACK with its reason code")
  void refusedAtStart() {
    RawClient c = open("r", MqttVersion.V5);
    c.send(v5("r").properties(method("TEST", "goodbye")).build());
    expectRefused(c, ReasonCodes.NOT_AUTHORIZED);
  }

  @Test
  @DisplayName("An authenticator that throws: CONNACK 0x80, the broker keeps serving")
  void brokenAuthenticator() {
    RawClient c = open("b", MqttVersion.V5);
    c.send(v5("b").properties(method("BROKEN", "x")).build());
    expectRefused(c, ReasonCodes.UNSPECIFIED_ERROR);
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("MQTT-3.1.2-30: a packet other than AUTH or DISCONNECT before CONNACK is a protocol error (CONNACK 0x82)")
  void otherPacketDuringExchange() {
    RawClient c = challenged("o", "TEST", "hello", "who?");
    c.send(publish5("t", 0, 0, "early", MqttProperties.EMPTY));
    expectRefused(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT-4.12.0-5: an AUTH with another method during the exchange is a protocol error")
  void otherMethodDuringExchange() {
    RawClient c = challenged("m", "TEST", "hello", "who?");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method(SCRAM, "x:open")));
    expectRefused(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("AUTH 0x19 before CONNACK is a protocol error")
  void reauthenticateDuringExchange() {
    RawClient c = challenged("m", "TEST", "hello", "who?");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method("TEST", "hello")));
    expectRefused(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("A DISCONNECT during the exchange closes the connection")
  void disconnectDuringExchange() {
    RawClient c = challenged("d", "TEST", "hello", "who?");
    c.send(new Disconnect(ReasonCodes.NORMAL_DISCONNECTION));
    c.expectClosed();
  }

  @Test
  @DisplayName("A client that does not answer the challenge is closed after the connect timeout")
  void unansweredChallengeTimesOut() {
    configure(b -> b.connectTimeout(Duration.ofMillis(300)));
    RawClient c = challenged("slow", "TEST", "hello", "who?");
    c.expectClosed(Duration.ofSeconds(3));
  }

  @Test
  @DisplayName("MQTT-4.12.1-1: re-authentication (AUTH 0x19 → 0x18 → 0x18 → AUTH 0x00) changes the identity")
  void reauthentication() {
    RawClient c = connectedWithTest("re", "bob");
    assertThat(publishAs(c, "user/bob/x", 1)).isZero();
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method("TEST", "hello")));
    Auth challenge = c.expect(Auth.class);
    assertThat(challenge.reasonCode()).isEqualTo(ReasonCodes.CONTINUE_AUTHENTICATION);
    assertThat(text(challenge.properties())).isEqualTo("who?");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "carol:open")));
    Auth done = c.expect(Auth.class);
    assertThat(done.reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
    assertThat(done.properties().getString(Property.AUTHENTICATION_METHOD)).isEqualTo("TEST");
    assertThat(text(done.properties())).isEqualTo("welcome carol");
    assertThat(publishAs(c, "user/carol/x", 2)).as("now carol").isZero();
    assertThat(publishAs(c, "user/bob/x", 3)).as("no longer bob").isEqualTo(ReasonCodes.NOT_AUTHORIZED);
  }

  @Test
  @DisplayName("Re-authentication with SCRAM-SHA-256, the server-final in AUTH 0x00")
  void scramReauthentication() {
    ScramClient first = new ScramClient("alice", "secret");
    RawClient c = open("s", MqttVersion.V5);
    c.send(v5("s").properties(method(SCRAM, first.clientFirst())).build());
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION,
        method(SCRAM, first.clientFinal(c.expect(Auth.class).properties().getBinary(Property.AUTHENTICATION_DATA)))));
    assertThat(c.expect(ConnAck.class).reasonCode()).isZero();
    ScramClient again = new ScramClient("alice", "secret");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method(SCRAM, again.clientFirst())));
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION,
        method(SCRAM, again.clientFinal(c.expect(Auth.class).properties().getBinary(Property.AUTHENTICATION_DATA)))));
    Auth done = c.expect(Auth.class);
    assertThat(done.reasonCode()).isEqualTo(ReasonCodes.SUCCESS);
    assertThat(again.serverFinalValid(done.properties().getBinary(Property.AUTHENTICATION_DATA))).isTrue();
    c.ping();
  }

  @Test
  @DisplayName("MQTT-4.12.1-2: a failed re-authentication gets DISCONNECT (0x86 becomes 0x87) and the connection closes")
  void failedReauthentication() {
    RawClient c = connectedWithTest("re", "bob");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method("TEST", "hello")));
    c.expect(Auth.class);
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "wrong")));
    expectDisconnect(c, ReasonCodes.NOT_AUTHORIZED);
    assertBrokerServesOthers();
  }

  @Test
  @DisplayName("Other packets flow while a re-authentication is in progress")
  void packetsFlowDuringReauthentication() {
    RawClient c = connectedWithTest("re", "bob");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method("TEST", "hello")));
    c.expect(Auth.class);
    assertThat(publishAs(c, "user/bob/x", 1)).isZero();
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "bob:open")));
    assertThat(c.expect(Auth.class).reasonCode()).isZero();
  }

  @Test
  @DisplayName("MQTT-4.12.1-1: re-authentication with another method is a protocol error (DISCONNECT 0x82)")
  void reauthenticationWithAnotherMethod() {
    RawClient c = connectedWithTest("re", "bob");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method(SCRAM, "n,,n=alice,r=abc")));
    expectDisconnect(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("AUTH 0x18 after CONNACK with no challenge pending is a protocol error")
  void continueWithoutChallenge() {
    RawClient c = connectedWithTest("re", "bob");
    c.send(new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, method("TEST", "bob:open")));
    expectDisconnect(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("An AUTH with reason code 0x00 from a client is a protocol error")
  void successFromClient() {
    RawClient c = connectedWithTest("re", "bob");
    c.send(new Auth(ReasonCodes.SUCCESS, method("TEST", (String) null)));
    expectDisconnect(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT-4.12.0-7: AUTH from a client that connected without a method is a protocol error")
  void authWithoutEnhancedAuthentication() {
    RawClient c = connect5("plain");
    c.send(new Auth(ReasonCodes.RE_AUTHENTICATE, method("TEST", "hello")));
    expectDisconnect(c, ReasonCodes.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT-4.12.0-6: a CONNACK without enhanced authentication has no Authentication Method")
  void noMethodWithoutEnhancedAuthentication() {
    connect5("plain");
    assertThat(lastConnAck().properties().has(Property.AUTHENTICATION_METHOD)).isFalse();
  }

  @Test
  @DisplayName("AUTH (packet type 15) from an MQTT 3.1.1 client is malformed: the connection is closed")
  void authInMqtt3() {
    RawClient c = connect("v3");
    c.sendHex("f0 00");
    c.expectClosed();
    assertBrokerServesOthers();
  }
}
