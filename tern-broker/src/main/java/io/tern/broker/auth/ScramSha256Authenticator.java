package io.tern.broker.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as an MQTT 5 enhanced authentication method: the client proves
 * it knows the password without sending it, and the server proves it knows the user's credential.
 *
 * <p>The messages travel as MQTT Authentication Data: client-first in CONNECT (or AUTH {@code 0x19}),
 * server-first in AUTH {@code 0x18}, client-final in the client's AUTH {@code 0x18}, server-final
 * ({@code v=...}) in CONNACK (or AUTH {@code 0x00}). No channel binding (a client that requires it,
 * {@code p=}, is refused), no SASLprep (passwords are their UTF-8 bytes). A wrong proof or an
 * unknown user gets {@code 0x86 Bad User Name or Password}; an unknown user is answered with a salt
 * and iteration count derived from its name, so the exchange does not say which users exist. A
 * message that is not SCRAM gets {@code 0x87 Not authorized}.
 *
 * <p>The server side costs two HMACs and a hash per login (the expensive PBKDF2 is the client's), so
 * the exchange answers on the event loop. The user lookup must answer from memory.
 *
 * <pre>{@code
 * Map<String, ScramCredential> users = Map.of("alice", ScramCredential.create("secret".toCharArray(), 4096));
 * Broker.builder().enhancedAuthenticator(ScramSha256Authenticator.METHOD, new ScramSha256Authenticator(users::get));
 * }</pre>
 */
public final class ScramSha256Authenticator implements EnhancedAuthenticator {
  /** The Authentication Method name. */
  public static final String METHOD = "SCRAM-SHA-256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Function<String, ScramCredential> users;
  private final Function<String, Object> attachments;
  /** Key of the fake salts of unknown users: random per instance, so they do not change between logins. */
  private final byte[] fakeSaltKey = new byte[32];
  private final IntSupplier fakeIterations;

  /** Users by name; {@code users.apply(name)} returns {@code null} for an unknown user. */
  public ScramSha256Authenticator(Function<String, ScramCredential> users) {
    this(users, name -> null, () -> ScramCredential.MIN_ITERATIONS);
  }

  /**
   * @param users the credential of a user, or {@code null} when unknown; must be thread-safe
   * @param attachments what the {@link Authorizer} gets as {@link ClientInfo#attachment()} for an
   *     authenticated user (may return {@code null})
   * @param fakeIterations the iteration count announced for unknown users: the count most real
   *     users have, so that it does not give them away (asked at each such login)
   */
  public ScramSha256Authenticator(Function<String, ScramCredential> users, Function<String, Object> attachments,
      IntSupplier fakeIterations) {
    this.users = Objects.requireNonNull(users);
    this.attachments = Objects.requireNonNull(attachments);
    this.fakeIterations = Objects.requireNonNull(fakeIterations);
    RANDOM.nextBytes(fakeSaltKey);
  }

  @Override
  public Exchange begin(EnhancedAuthRequest request) {
    return new ScramExchange();
  }

  @Override
  public String toString() {
    return METHOD;
  }

  private final class ScramExchange implements Exchange {
    private String username;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private ScramCredential credential;
    private boolean knownUser;

    @Override
    public CompletionStage<AuthStep> start(byte[] data) {
      return CompletableFuture.completedFuture(clientFirst(text(data)));
    }

    @Override
    public CompletionStage<AuthStep> respond(byte[] data) {
      return CompletableFuture.completedFuture(clientFinal(text(data)));
    }

    /** A refusal of a message that is not SCRAM as RFC 5802 writes it, with why for the log. */
    private AuthStep malformed(String why) {
      return AuthStep.fail(AuthResult.notAuthorized().because(METHOD + (username == null ? "" : " user " + username)
          + ": " + why));
    }

    /** client-first-message = gs2-header client-first-bare; answers server-first-message. */
    private AuthStep clientFirst(String m) {
      if (m == null || serverFirst != null) {
        return malformed(m == null ? "no client-first-message" : "a second client-first-message");
      }
      // gs2-header = gs2-cbind-flag "," [ authzid ] ","
      int c1 = m.indexOf(',');
      int c2 = c1 < 0 ? -1 : m.indexOf(',', c1 + 1);
      if (c2 < 0) {
        return malformed("malformed client-first-message (no gs2-header)");
      }
      String flag = m.substring(0, c1);
      String authzid = m.substring(c1 + 1, c2);
      if (!flag.equals("n") && !flag.equals("y")) {
        return malformed("channel binding asked for, not offered"); // "p=..."
      }
      gs2Header = m.substring(0, c2 + 1);
      clientFirstBare = m.substring(c2 + 1);
      String[] attrs = clientFirstBare.split(",", -1);
      if (attrs.length < 2 || !attrs[0].startsWith("n=") || !attrs[1].startsWith("r=") || attrs[1].length() < 3) {
        return malformed("malformed client-first-message"); // also "m=": no mandatory extension is supported
      }
      username = saslName(attrs[0].substring(2));
      if (username == null || username.isEmpty()
          || (!authzid.isEmpty() && !authzid.equals("a=" + attrs[0].substring(2)))) {
        username = null;
        return malformed("invalid user name or an authorization identity of another user");
      }
      byte[] serverNonce = new byte[18];
      RANDOM.nextBytes(serverNonce);
      nonce = attrs[1].substring(2) + Base64.getEncoder().encodeToString(serverNonce);
      credential = users.apply(username);
      knownUser = credential != null;
      byte[] salt = knownUser ? credential.salt()
          : Arrays.copyOf(ScramCredential.hmac(fakeSaltKey, username.getBytes(StandardCharsets.UTF_8)), 16);
      int iterations = knownUser ? credential.iterations()
          : Math.max(fakeIterations.getAsInt(), ScramCredential.MIN_ITERATIONS);
      serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
      return AuthStep.challenge(serverFirst.getBytes(StandardCharsets.UTF_8));
    }

    /** client-final-message = "c=" cbind "," "r=" nonce ["," extensions] ",p=" proof; answers v=ServerSignature. */
    private AuthStep clientFinal(String m) {
      if (m == null || serverFirst == null || clientFirstBare == null) {
        return malformed(m == null ? "no client-final-message" : "a client-final-message out of turn");
      }
      int p = m.lastIndexOf(",p=");
      if (p < 0 || !m.startsWith("c=")) {
        return malformed("malformed client-final-message");
      }
      String withoutProof = m.substring(0, p);
      String[] attrs = withoutProof.split(",", -1);
      if (attrs.length < 2 || !attrs[1].startsWith("r=")) {
        return malformed("malformed client-final-message");
      }
      byte[] proof;
      byte[] cbind;
      try {
        proof = Base64.getDecoder().decode(m.substring(p + 3));
        cbind = Base64.getDecoder().decode(attrs[0].substring(2));
      } catch (IllegalArgumentException e) {
        return malformed("client-final-message not in base64");
      }
      if (!Arrays.equals(cbind, gs2Header.getBytes(StandardCharsets.UTF_8)) || !attrs[1].substring(2).equals(nonce)) {
        return malformed("channel binding or nonce not those of the exchange"); // RFC 5802 5.1
      }
      byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
      clientFirstBare = null; // a second client-final is refused above
      // The same work for an unknown user as for a known one: the answer's time says nothing.
      byte[] storedKey = knownUser ? credential.storedKey() : fakeSaltKey;
      byte[] clientSignature = ScramCredential.hmac(storedKey, authMessage);
      byte[] clientKey = new byte[32];
      for (int i = 0; i < 32; i++) {
        clientKey[i] = (byte) ((i < proof.length ? proof[i] : 0) ^ clientSignature[i]);
      }
      if (!MessageDigest.isEqual(ScramCredential.sha256(clientKey), storedKey) || !knownUser || proof.length != 32) {
        return AuthStep.fail(AuthResult.badCredentials().because(METHOD + " user " + username + ": "
            + (knownUser ? "wrong password" : "unknown user or no SCRAM credential")));
      }
      byte[] serverSignature = ScramCredential.hmac(credential.serverKey(), authMessage);
      String serverFinal = "v=" + Base64.getEncoder().encodeToString(serverSignature);
      return AuthStep.success(username, attachments.apply(username), serverFinal.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** saslname: "=2C" is ',' and "=3D" is '='; any other '=' is invalid (null). */
  private static String saslName(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '=') {
        if (s.startsWith("=2C", i)) {
          out.append(',');
        } else if (s.startsWith("=3D", i)) {
          out.append('=');
        } else {
          return null;
        }
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Strict UTF-8, or null. */
  private static String text(byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
