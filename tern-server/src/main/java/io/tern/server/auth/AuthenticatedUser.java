package io.tern.server.auth;

/**
 * Attached to a client whose user name was verified, by the password file or a client
 * certificate: the {@link AclAuthorizer} applies {@code user} sections and {@code %u} only to these.
 * A client accepted as anonymous keeps whatever user name it sent for the logs, but it is a claim,
 * not an identity.
 *
 * @param name the verified user name
 */
public record AuthenticatedUser(String name) {}
