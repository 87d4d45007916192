package io.tern.broker.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a server keeps of a password for SCRAM-SHA-256 (RFC 5802, RFC 7677): the salt, the
 * iteration count, StoredKey and ServerKey. Neither key lets anyone log in as the user (that needs
 * ClientKey), but both allow guessing the password offline, as any password hash does: keep them
 * as secret as a password file, with as many iterations as the clients can afford.
 *
 * <p>The text form is RFC 5803's: {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>},
 * base64.
 *
 * <pre>{@code
 * ScramCredential alice = ScramCredential.create("secret".toCharArray(), 4096);
 * String line = alice.encode();   // SCRAM-SHA-256$4096:...$...:...
 * }</pre>
 */
public final class ScramCredential {
  /** RFC 7677: at least 4096 iterations. */
  public static final int MIN_ITERATIONS = 4096;
  static final String PREFIX = "SCRAM-SHA-256$";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] salt;
  private final int iterations;
  private final byte[] storedKey;
  private final byte[] serverKey;

  /**
   * @throws IllegalArgumentException when the iteration count is below {@link #MIN_ITERATIONS} or a
   *     key is not 32 bytes
   */
  public ScramCredential(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException("SCRAM iterations must be at least " + MIN_ITERATIONS + ", got " + iterations);
    }
    if (Objects.requireNonNull(salt).length == 0 || storedKey.length != 32 || serverKey.length != 32) {
      throw new IllegalArgumentException("a SCRAM-SHA-256 credential needs a salt and two 32-byte keys");
    }
    this.salt = salt.clone();
    this.iterations = iterations;
    this.storedKey = storedKey.clone();
    this.serverKey = serverKey.clone();
  }

  /** Derives the credential of {@code password} with a new random 16-byte salt. */
  public static ScramCredential create(char[] password, int iterations) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return derive(password, salt, iterations);
  }

  /** Derives the credential of {@code password} (its UTF-8 bytes; no SASLprep) with this salt. */
  public static ScramCredential derive(char[] password, byte[] salt, int iterations) {
    byte[] salted = saltedPassword(password, salt, iterations);
    try {
      byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
      return new ScramCredential(salt, iterations, sha256(clientKey),
          hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII)));
    } finally {
      Arrays.fill(salted, (byte) 0);
    }
  }

  /**
   * Reads the text form.
   *
   * @throws IllegalArgumentException saying what is wrong (never echoing the keys)
   */
  public static ScramCredential parse(String text) {
    if (!text.startsWith(PREFIX)) {
      throw new IllegalArgumentException("unknown SCRAM format (expected " + PREFIX + "N:salt$StoredKey:ServerKey)");
    }
    String[] parts = text.substring(PREFIX.length()).split("\\$", -1);
    String[] first = parts[0].split(":", -1);
    String[] keys = parts.length == 2 ? parts[1].split(":", -1) : new String[0];
    if (parts.length != 2 || first.length != 2 || keys.length != 2) {
      throw new IllegalArgumentException("malformed SCRAM credential (expected " + PREFIX + "N:salt$StoredKey:ServerKey)");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(first[0]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed SCRAM iteration count");
    }
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      return new ScramCredential(b64.decode(first[1]), iterations, b64.decode(keys[0]), b64.decode(keys[1]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith("SCRAM") || e.getMessage().startsWith("a SCRAM")
          ? e.getMessage() : "SCRAM salt or keys are not base64");
    }
  }

  /** The RFC 5803 text form, {@code SCRAM-SHA-256$N:salt$StoredKey:ServerKey}. */
  public String encode() {
    Base64.Encoder b64 = Base64.getEncoder();
    return PREFIX + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey) + ":"
        + b64.encodeToString(serverKey);
  }

  public byte[] salt() {
    return salt.clone();
  }

  public int iterations() {
    return iterations;
  }

  byte[] storedKey() {
    return storedKey;
  }

  byte[] serverKey() {
    return serverKey;
  }

  @Override
  public String toString() {
    return PREFIX + iterations + ":...";
  }

  // ------------------------------------------------------------------ the primitives of RFC 5802

  /** Hi(password, salt, i): PBKDF2 with HMAC-SHA-256, 32 bytes. */
  static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
    // The JDK's PBKDF2 takes the UTF-8 bytes of the chars, which is what SCRAM hashes (after SASLprep,
    // which changes nothing for the ASCII passwords nearly everyone uses; it is not applied here).
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
