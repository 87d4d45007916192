package io.tern.broker.hook;

/**
 * What every hook is. A hook implements one or more of the hook point interfaces ({@link
 * AcceptHook} or {@link AsyncAcceptHook}, {@link ConnectHook}, {@link SubscribeHook}, {@link UnsubscribeHook}, {@link
 * PublishHook}, {@link DeliverHook}, {@link WillHook}); registered once, it takes part in each
 * chain whose interface it implements, in the order of registration.
 *
 * <p>Hooks are called on the broker's event loops: answer from memory, or answer asynchronously
 * (the {@code async} decisions) for anything slow. A hook that throws is isolated: the operation it
 * was asked about fails safely (see each hook point), the failure is logged (with its stack trace
 * the first time for that hook), and the broker keeps serving.
 *
 * <p>See docs/extending.md for the catalogue of hook points.
 */
public interface Hook {
  /** A name for logs; the class name by default. */
  default String name() {
    return getClass().getName();
  }
}
