package io.tern.broker.management;

import java.time.Instant;

/**
 * One client as it was at some moment: its session, and its connection when it is connected.
 * Immutable.
 *
 * @param clientId the client identifier
 * @param connected whether a network connection is attached to the session now
 * @param username the authenticated user name of the current (or last, within this process)
 *     connection, or {@code null} (anonymous, or not known)
 * @param remoteAddress {@code host:port} of the connection (the PROXY protocol's when used), or
 *     {@code null} when not connected
 * @param listener the listener the client is connected to, or {@code null}
 * @param protocolVersion {@code 3.1}, {@code 3.1.1} or {@code 5.0}; {@code null} when not connected
 * @param keepAlive the keep alive in force in seconds (0: none); 0 when not connected
 * @param cleanStart the Clean Start (v3: Clean Session) flag of the CONNECT
 * @param sessionExpiryInterval seconds the session outlives its connection; 0: ends with it,
 *     4294967295: never expires
 * @param connectedAt when the current connection was accepted (its CONNACK), or {@code null}
 * @param disconnectedAt when the last connection ended, or {@code null} while connected
 * @param inflight QoS 1/2 messages sent and not yet acknowledged
 * @param queued messages waiting to be sent
 * @param dropped messages dropped for this session (queue full) since it began
 * @param bytesIn bytes received on the current connection (on the wire: TLS, WebSocket framing included)
 * @param bytesOut bytes sent on the current connection
 * @param subscriptions the number of the session's subscriptions
 * @param traced whether per-client tracing is on ({@link BrokerManagement#trace})
 */
public record ClientSnapshot(
    String clientId,
    boolean connected,
    String username,
    String remoteAddress,
    String listener,
    String protocolVersion,
    int keepAlive,
    boolean cleanStart,
    long sessionExpiryInterval,
    Instant connectedAt,
    Instant disconnectedAt,
    int inflight,
    int queued,
    long dropped,
    long bytesIn,
    long bytesOut,
    int subscriptions,
    boolean traced) {}
