package io.tern.broker.hook;

import java.net.InetSocketAddress;

/**
 * Hook point {@code accept}: a new network connection, before any byte of MQTT is read. Returning
 * false closes the socket at once (blocklists, per-address rate limits). Runs on the connection's
 * event loop after the broker's own connection limits; the first hook that refuses wins. The
 * address is the TCP peer's (a PROXY protocol header is read later). A hook that throws refuses.
 *
 * <pre>{@code
 * AcceptHook noTenNet = (remote, listener) -> !remote.getAddress().getHostAddress().startsWith("10.");
 * }</pre>
 */
@FunctionalInterface
public interface AcceptHook extends Hook {
  /**
   * @param remote the peer's address (may be {@code null} for exotic transports)
   * @param listenerName the {@link io.tern.broker.Listener#name() listener} it connected to
   * @return true to serve the connection, false to close it
   */
  boolean onAccept(InetSocketAddress remote, String listenerName);
}
