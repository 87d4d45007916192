package io.tern.broker.auth;

import java.util.concurrent.CompletionStage;

/**
 * One MQTT 5 enhanced authentication method (v5 section 4.12), such as {@code SCRAM-SHA-256}:
 * registered on the broker under its method name ({@code Broker.builder().enhancedAuthenticator(
 * "SCRAM-SHA-256", a)}), it starts one {@link Exchange} per CONNECT or re-authentication that
 * names the method in its Authentication Method property.
 *
 * <p>The flow: the CONNECT's Authentication Data goes to {@link Exchange#start}; each {@link
 * AuthStep#challenge challenge} the exchange answers is sent as AUTH {@code 0x18 Continue
 * authentication}, and the client's AUTH {@code 0x18} reply goes to {@link Exchange#respond}; a
 * {@link AuthStep#success success} ends the exchange with CONNACK {@code 0x00} (or, for a
 * re-authentication, AUTH {@code 0x00}) carrying the method and the final data; a {@link
 * AuthStep#fail failure} ends it with CONNACK carrying the reason code (re-authentication: DISCONNECT
 * with it, {@code 0x87 Not authorized} when the code is not one DISCONNECT has). A CONNECT naming a
 * method nobody registered gets CONNACK {@code 0x8C Bad authentication method}.
 *
 * <p>When a client authenticates with a method, the plain {@link Authenticator} is not asked: the
 * exchange decides who the client is. The {@link Authorizer} then sees the user name and attachment
 * of the success.
 *
 * <p>{@link #begin} and the methods of an {@link Exchange} are called on the connection's event loop,
 * one at a time, never concurrently for one exchange: answer at once, and do anything slow (a
 * database lookup) elsewhere, completing the stage from there. A stage that completes exceptionally,
 * or a method that throws, fails the exchange with {@code 0x80 Unspecified error}. The whole
 * exchange of a CONNECT must end within the broker's connect timeout.
 *
 * <pre>{@code
 * Broker.builder()
 *     .enhancedAuthenticator(ScramSha256Authenticator.METHOD, new ScramSha256Authenticator(users::get))
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface EnhancedAuthenticator {
  /** A new exchange for one CONNECT or one re-authentication of a connection. Must not return null. */
  Exchange begin(EnhancedAuthRequest request);

  /** One authentication exchange: state for one connection, used by one thread at a time. */
  interface Exchange {
    /**
     * The client's first message: the Authentication Data of the CONNECT, or of the AUTH {@code
     * 0x19 Re-authenticate}; {@code null} when the client sent none.
     */
    CompletionStage<AuthStep> start(byte[] data);

    /** The client's answer to a challenge (AUTH {@code 0x18}); {@code null} when it sent no data. */
    CompletionStage<AuthStep> respond(byte[] data);
  }
}
