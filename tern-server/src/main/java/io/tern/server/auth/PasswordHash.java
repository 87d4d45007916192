package io.tern.server.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A salted PBKDF2-HMAC-SHA512 password hash in a self-describing text form:
 *
 * <pre>
 * $pbkdf2-sha512$i=210000$&lt;salt, base64&gt;$&lt;hash, base64&gt;
 * </pre>
 *
 * <p>The iteration count travels with each hash, so it can be raised later without invalidating the
 * file. {@link #DEFAULT_ITERATIONS} is OWASP's recommendation for PBKDF2-HMAC-SHA512 (Password
 * Storage Cheat Sheet, 2023): about 0.1-0.8 s of one core per check on the machines Tern is built on,
 * slow enough to make offline guessing of a stolen file expensive, and bounded at run time because
 * checks run on a small executor ({@link PasswordAuthenticator}). The salt is 16 random bytes, the
 * hash 64 bytes (SHA-512's output: PBKDF2 gains nothing from more).
 *
 * <p>Passwords are the UTF-8 bytes of text, as the JDK's PBKDF2 takes them; an MQTT password that
 * is not valid UTF-8 matches nothing.
 */
public final class PasswordHash {
  /** OWASP 2023 for PBKDF2-HMAC-SHA512. */
  public static final int DEFAULT_ITERATIONS = 210_000;
  /** Below this a hash is refused as a mistake: it would be nearly free to guess. */
  public static final int MIN_ITERATIONS = 1_000;
  /**
   * Above this a hash is refused as a mistake too: each check of it would hold a hash thread for
   * seconds (2,147,483,647 for hours), and an unknown user is checked against a dummy hash of the
   * file's highest count, so one such line let any client with made-up names stop every password
   * login. Ten times OWASP's count: about 3 s a check on a slow core.
   */
  public static final int MAX_ITERATIONS = 10 * DEFAULT_ITERATIONS;
  static final String PREFIX = "$pbkdf2-sha512$";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(int iterations, byte[] salt, byte[] hash) {
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /** Hashes {@code password} with a new random salt. */
  public static PasswordHash create(char[] password, int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be " + MIN_ITERATIONS + " to " + MAX_ITERATIONS + ", got "
          + iterations);
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return new PasswordHash(iterations, salt, pbkdf2(password, salt, iterations, HASH_BYTES));
  }

  /**
   * Reads the text form.
   *
   * @throws IllegalArgumentException saying what is wrong (never echoing the hash)
   */
  public static PasswordHash parse(String text) {
    if (!text.startsWith(PREFIX)) {
      throw new IllegalArgumentException("unknown hash format (expected " + PREFIX + "i=N$salt$hash)");
    }
    String[] parts = text.substring(PREFIX.length()).split("\\$", -1);
    if (parts.length != 3 || !parts[0].startsWith("i=")) {
      throw new IllegalArgumentException("malformed hash (expected " + PREFIX + "i=N$salt$hash)");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[0].substring(2));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed iteration count");
    }
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException("iteration count " + iterations + " is below " + MIN_ITERATIONS);
    }
    if (iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iteration count " + iterations + " is above " + MAX_ITERATIONS);
    }
    byte[] salt;
    byte[] hash;
    try {
      salt = Base64.getDecoder().decode(parts[1]);
      hash = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("salt or hash is not base64");
    }
    if (salt.length < 8 || hash.length < 16 || hash.length > HASH_BYTES) {
      throw new IllegalArgumentException("salt or hash too short");
    }
    return new PasswordHash(iterations, salt, hash);
  }

  /** Whether {@code password} (MQTT password bytes) is the one hashed; compared in constant time. */
  public boolean matches(byte[] password) {
    char[] chars = utf8(password);
    try {
      byte[] candidate = pbkdf2(chars == null ? new char[0] : chars, salt, iterations, hash.length);
      // MessageDigest.isEqual takes the same time wherever the first difference is.
      return MessageDigest.isEqual(candidate, hash) && chars != null;
    } finally {
      if (chars != null) {
        Arrays.fill(chars, '\0');
      }
    }
  }

  public int iterations() {
    return iterations;
  }

  /** The text form, {@code $pbkdf2-sha512$i=N$salt$hash}. */
  public String encode() {
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return PREFIX + "i=" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  @Override
  public String toString() {
    return PREFIX + "i=" + iterations + "$...";
  }

  /** Strict UTF-8 decoding; {@code null} when the bytes are not UTF-8. */
  private static char[] utf8(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      char[] out = new char[cb.remaining()];
      cb.get(out);
      Arrays.fill(cb.array(), '\0');
      return out;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bytes) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }
}
