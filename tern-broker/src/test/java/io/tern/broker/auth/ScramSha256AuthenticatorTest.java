package io.tern.broker.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SCRAM-SHA-256: the test client against RFC 7677's example, then the server against that client. */
class ScramSha256AuthenticatorTest {
  private static final EnhancedAuthRequest REQUEST =
      new EnhancedAuthRequest(ScramSha256Authenticator.METHOD, "c", null, null, "mqtt", List.of(), null);

  @Test
  void testClientReproducesTheExampleOfRfc7677() {
    ScramClient client = new ScramClient("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    assertThat(new String(client.clientFirst(), UTF_8)).isEqualTo("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    String serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    assertThat(new String(client.clientFinal(serverFirst.getBytes(UTF_8)), UTF_8)).isEqualTo(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    assertThat(client.serverFinalValid("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".getBytes(UTF_8))).isTrue();
  }

  @Test
  void credentialOfTheRfcExampleHasItsServerKey() {
    ScramCredential c = ScramCredential.derive("pencil".toCharArray(), Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    ScramCredential back = ScramCredential.parse(c.encode());
    assertThat(back.encode()).isEqualTo(c.encode()).startsWith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$");
    assertThat(back.iterations()).isEqualTo(4096);
  }

  @Test
  void parseRefusesBadText() {
    assertThatThrownBy(() -> ScramCredential.parse("SCRAM-SHA-1$4096:abc$def:ghi")).hasMessageContaining("format");
    assertThatThrownBy(() -> ScramCredential.parse("SCRAM-SHA-256$100:AAAA$AAAA:AAAA")).hasMessageContaining("4096");
    assertThatThrownBy(() -> ScramCredential.parse("SCRAM-SHA-256$4096:AAAA$AAAA")).hasMessageContaining("malformed");
    assertThatThrownBy(() -> ScramCredential.parse("SCRAM-SHA-256$4096:A!A$AAAA:AAAA")).hasMessageContaining("base64");
  }

  private final ScramSha256Authenticator server = new ScramSha256Authenticator(
      Map.of("alice", ScramCredential.create("secret".toCharArray(), 4096), "a,b=c",
          ScramCredential.create("pw".toCharArray(), 4096))::get);

  private static AuthStep now(java.util.concurrent.CompletionStage<AuthStep> s) {
    return s.toCompletableFuture().join();
  }

  @Test
  void rightPasswordSucceedsAndTheServerProvesItself() {
    ScramClient client = new ScramClient("alice", "secret");
    EnhancedAuthenticator.Exchange x = server.begin(REQUEST);
    AuthStep first = now(x.start(client.clientFirst()));
    assertThat(first.isChallenge()).isTrue();
    AuthStep end = now(x.respond(client.clientFinal(first.data())));
    assertThat(end.isSuccess()).isTrue();
    assertThat(end.result().username()).isEqualTo("alice");
    assertThat(client.serverFinalValid(end.data())).isTrue();
  }

  @Test
  void userNamesWithCommaAndEqualsAreEscaped() {
    ScramClient client = new ScramClient("a,b=c", "pw");
    EnhancedAuthenticator.Exchange x = server.begin(REQUEST);
    AuthStep end = now(x.respond(client.clientFinal(now(x.start(client.clientFirst())).data())));
    assertThat(end.result().username()).isEqualTo("a,b=c");
  }

  @Test
  void wrongPasswordAndUnknownUserFailAlike() {
    for (ScramClient client : List.of(new ScramClient("alice", "wrong"), new ScramClient("mallory", "secret"))) {
      EnhancedAuthenticator.Exchange x = server.begin(REQUEST);
      AuthStep first = now(x.start(client.clientFirst()));
      assertThat(first.isChallenge()).as("an unknown user gets a challenge too").isTrue();
      AuthStep end = now(x.respond(client.clientFinal(first.data())));
      assertThat(end.isFailure()).isTrue();
      assertThat(end.result().reasonCode()).isEqualTo(AuthResult.BAD_USER_NAME_OR_PASSWORD);
    }
  }

  @Test
  void unknownUserGetsTheSameSaltEveryTime() {
    String s1 = new String(now(server.begin(REQUEST).start(new ScramClient("nobody", "x").clientFirst())).data(), UTF_8);
    String s2 = new String(now(server.begin(REQUEST).start(new ScramClient("nobody", "x").clientFirst())).data(), UTF_8);
    assertThat(s1.substring(s1.indexOf(",s="))).isEqualTo(s2.substring(s2.indexOf(",s=")));
  }

  @Test
  void replayedClientFinalWithAnotherNonceFails() {
    ScramClient client = new ScramClient("alice", "secret");
    EnhancedAuthenticator.Exchange x1 = server.begin(REQUEST);
    byte[] clientFinal = client.clientFinal(now(x1.start(client.clientFirst())).data());
    assertThat(now(x1.respond(clientFinal)).isSuccess()).isTrue();
    EnhancedAuthenticator.Exchange x2 = server.begin(REQUEST);
    now(x2.start(client.clientFirst()));
    assertThat(now(x2.respond(clientFinal)).isFailure()).as("the server nonce differs").isTrue();
    assertThat(now(x1.respond(clientFinal)).isFailure()).as("one client-final per exchange").isTrue();
  }

  @Test
  void channelBindingAndGarbageAreRefused() {
    assertThat(now(server.begin(REQUEST).start("p=tls-unique,,n=alice,r=abc".getBytes(UTF_8))).isFailure()).isTrue();
    assertThat(now(server.begin(REQUEST).start("hello".getBytes(UTF_8))).isFailure()).isTrue();
    assertThat(now(server.begin(REQUEST).start(null)).isFailure()).isTrue();
    assertThat(now(server.begin(REQUEST).start(new byte[] {(byte) 0xff, 0x00})).isFailure()).isTrue();
    assertThat(now(server.begin(REQUEST).respond("c=biws,r=x,p=AAAA".getBytes(UTF_8))).isFailure()).isTrue();
  }
}
