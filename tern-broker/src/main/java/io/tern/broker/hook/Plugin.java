package io.tern.broker.hook;

import io.tern.broker.Broker;

/**
 * A piece of broker behaviour packaged for reuse, built on the public API only: it adds its hooks,
 * rules and event listeners when the broker starts. Register with {@link
 * io.tern.broker.Broker.Builder#plugin(Plugin)}.
 *
 * <pre>{@code
 * final class Audit implements Plugin {
 *   private Registration events;
 *   public void start(Broker broker) { events = broker.onEvent(e -> log.info("{}", e)); }
 *   public void stop() { events.remove(); }
 * }
 * }</pre>
 */
public interface Plugin {
  /** Called by {@link Broker#start()} before the listeners are bound. */
  void start(Broker broker);

  /** Called by {@link Broker#stop()} after the connections are closed. */
  default void stop() {}
}
