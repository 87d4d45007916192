package io.tern.broker.auth;

/**
 * The answer of an {@link Authenticator}: accepted with a user name and an optional attachment
 * (whatever the authorizer will need: roles, a tenant), or refused with an MQTT 5 CONNACK reason
 * code, which MQTT 3 clients receive translated (0x86 → 0x04, 0x87 → 0x05, other errors → 0x03).
 */
public final class AuthResult {
  /** MQTT 5 {@code 0x86 Bad User Name or Password}; MQTT 3 {@code 0x04}. */
  public static final int BAD_USER_NAME_OR_PASSWORD = 0x86;
  /** MQTT 5 {@code 0x87 Not authorized}; MQTT 3 {@code 0x05}. */
  public static final int NOT_AUTHORIZED = 0x87;
  /** MQTT 5 {@code 0x89 Server busy}; MQTT 3 {@code 0x03 Server unavailable}. */
  public static final int SERVER_BUSY = 0x89;
  /** MQTT 5 {@code 0x8A Banned}; MQTT 3 {@code 0x05}. */
  public static final int BANNED = 0x8A;

  private static final AuthResult PASS = new AuthResult(false, 0, null, null, null);

  private final boolean accepted;
  private final int reasonCode;
  private final String username;
  private final Object attachment;
  private final String detail;

  private AuthResult(boolean accepted, int reasonCode, String username, Object attachment, String detail) {
    this.accepted = accepted;
    this.reasonCode = reasonCode;
    this.username = username;
    this.attachment = attachment;
    this.detail = detail;
  }

  /** Accepts the client as {@code username} (may be {@code null}: anonymous). */
  public static AuthResult accept(String username) {
    return new AuthResult(true, 0, username, null, null);
  }

  /** Accepts the client as {@code username}, with data for the {@link Authorizer} ({@link ClientInfo#attachment()}). */
  public static AuthResult accept(String username, Object attachment) {
    return new AuthResult(true, 0, username, attachment, null);
  }

  /**
   * Refuses the client with an MQTT 5 CONNACK reason code (0x80 or above), such as
   * {@link #NOT_AUTHORIZED}.
   */
  public static AuthResult refuse(int reasonCode) {
    if (reasonCode < 0x80 || reasonCode > 0xFF) {
      throw new IllegalArgumentException("not an error reason code: " + reasonCode);
    }
    return new AuthResult(false, reasonCode, null, null, null);
  }

  /**
   * This refusal with why, for the broker's log: the broker logs each refusal in one line (reason
   * code, client, user, address) and adds this, so an authenticator need not log its own. Never
   * sent to the client (it might help an attacker: "unknown user" against "wrong password").
   */
  public AuthResult because(String why) {
    if (accepted || this == PASS) {
      throw new IllegalStateException("only a refusal has a reason: " + this);
    }
    return new AuthResult(false, reasonCode, null, null, why);
  }

  /** Why a refusal was made, for the log ({@link #because}); {@code null} when not given. */
  public String detail() {
    return detail;
  }

  /**
   * No decision: the next {@link io.tern.broker.hook.ConnectHook} or chained authenticator decides
   * ({@link Authenticator#chain}). An authenticator that passes when it is the last one refuses the
   * client with {@code 0x87 Not authorized}.
   */
  public static AuthResult pass() {
    return PASS;
  }

  /** Whether this is {@link #pass()}. */
  public boolean isPass() {
    return this == PASS;
  }

  /** Refuses with {@code 0x86 Bad User Name or Password} (MQTT 3: {@code 0x04}). */
  public static AuthResult badCredentials() {
    return refuse(BAD_USER_NAME_OR_PASSWORD);
  }

  /** Refuses with {@code 0x87 Not authorized} (MQTT 3: {@code 0x05}). */
  public static AuthResult notAuthorized() {
    return refuse(NOT_AUTHORIZED);
  }

  public boolean accepted() {
    return accepted;
  }

  /** The CONNACK reason code of a refusal (MQTT 5 numbering); 0 when accepted. */
  public int reasonCode() {
    return reasonCode;
  }

  /** The user name the client is known by from now on, or {@code null}. */
  public String username() {
    return username;
  }

  /** What the authenticator attached for the authorizer, or {@code null}. */
  public Object attachment() {
    return attachment;
  }

  @Override
  public String toString() {
    if (this == PASS) {
      return "pass";
    }
    return accepted ? "accepted as " + username : "refused (0x" + Integer.toHexString(reasonCode) + ")";
  }
}
