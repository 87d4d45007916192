package io.tern.broker.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) for tests, written straight from the RFC
 * with the JDK's primitives (none of the broker's code): client-first, client-final from the
 * server-first, and the check of the server-final. One instance per exchange.
 */
public final class ScramClient {
  private final String user;
  private final String password;
  private final String clientNonce;
  private String clientFirstBare;
  private String authMessage;
  private byte[] saltedPassword;

  public ScramClient(String user, String password) {
    this(user, password, randomNonce());
  }

  public ScramClient(String user, String password, String clientNonce) {
    this.user = user;
    this.password = password;
    this.clientNonce = clientNonce;
  }

  /** {@code n,,n=user,r=nonce} */
  public byte[] clientFirst() {
    clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
    return ("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8);
  }

  /** {@code c=biws,r=nonce,p=proof}, from the server-first-message. */
  public byte[] clientFinal(byte[] serverFirstBytes) {
    String serverFirst = new String(serverFirstBytes, StandardCharsets.UTF_8);
    String nonce = null;
    byte[] salt = null;
    int iterations = 0;
    for (String attr : serverFirst.split(",")) {
      if (attr.startsWith("r=")) {
        nonce = attr.substring(2);
      } else if (attr.startsWith("s=")) {
        salt = Base64.getDecoder().decode(attr.substring(2));
      } else if (attr.startsWith("i=")) {
        iterations = Integer.parseInt(attr.substring(2));
      }
    }
    if (nonce == null || !nonce.startsWith(clientNonce) || salt == null || iterations < 4096) {
      throw new IllegalArgumentException("bad server-first-message: " + serverFirst);
    }
    String withoutProof = "c=" + Base64.getEncoder().encodeToString("n,,".getBytes(StandardCharsets.US_ASCII))
        + ",r=" + nonce;
    authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    saltedPassword = pbkdf2(password, salt, iterations);
    byte[] clientKey = hmac(saltedPassword, "Client Key");
    byte[] storedKey = sha256(clientKey);
    byte[] signature = hmac(storedKey, authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the server-final-message ({@code v=...}) proves the server knows the credential. */
  public boolean serverFinalValid(byte[] serverFinal) {
    if (serverFinal == null || authMessage == null) {
      return false;
    }
    byte[] serverKey = hmac(saltedPassword, "Server Key");
    String expected = "v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage));
    return expected.equals(new String(serverFinal, StandardCharsets.UTF_8));
  }

  private static String randomNonce() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
