package io.tern.broker.auth;

/**
 * What an {@link EnhancedAuthenticator.Exchange} answers to one message of the client: a challenge
 * (more data for the client, which must answer), success (with the identity the client has from
 * now on and optional final data), or failure (with a reason code).
 */
public final class AuthStep {
  private enum Kind { CHALLENGE, SUCCESS, FAIL }

  private final Kind kind;
  private final byte[] data;
  private final AuthResult result;

  private AuthStep(Kind kind, byte[] data, AuthResult result) {
    this.kind = kind;
    this.data = data;
    this.result = result;
  }

  /** Sends {@code data} to the client in AUTH {@code 0x18 Continue authentication}; its answer comes to {@code respond}. */
  public static AuthStep challenge(byte[] data) {
    return new AuthStep(Kind.CHALLENGE, data == null ? null : data.clone(), null);
  }

  /**
   * Authenticated as {@code username} (may be {@code null}), with data for the {@link Authorizer}
   * (may be {@code null}) and final data for the client (may be {@code null}), sent in CONNACK or,
   * for a re-authentication, AUTH {@code 0x00}.
   */
  public static AuthStep success(String username, Object attachment, byte[] data) {
    return new AuthStep(Kind.SUCCESS, data == null ? null : data.clone(), AuthResult.accept(username, attachment));
  }

  /**
   * Refused with an MQTT 5 CONNACK reason code (0x80 or above), such as {@link
   * AuthResult#NOT_AUTHORIZED} or {@link AuthResult#BAD_USER_NAME_OR_PASSWORD}.
   */
  public static AuthStep fail(int reasonCode) {
    return new AuthStep(Kind.FAIL, null, AuthResult.refuse(reasonCode));
  }

  /**
   * Refused as {@code refusal} says: its reason code, and why for the broker's log ({@link
   * AuthResult#because}), such as {@code AuthResult.badCredentials().because("wrong password")}.
   */
  public static AuthStep fail(AuthResult refusal) {
    if (refusal.accepted() || refusal.isPass()) {
      throw new IllegalArgumentException("not a refusal: " + refusal);
    }
    return new AuthStep(Kind.FAIL, null, refusal);
  }

  public boolean isChallenge() {
    return kind == Kind.CHALLENGE;
  }

  public boolean isSuccess() {
    return kind == Kind.SUCCESS;
  }

  public boolean isFailure() {
    return kind == Kind.FAIL;
  }

  /** The data of a challenge or success for the client, or {@code null}. */
  public byte[] data() {
    return data == null ? null : data.clone();
  }

  /** The outcome as an {@link AuthResult}: accepted (success) or refused (failure); {@code null} for a challenge. */
  public AuthResult result() {
    return result;
  }

  @Override
  public String toString() {
    return kind == Kind.CHALLENGE ? "challenge" : result.toString();
  }
}
