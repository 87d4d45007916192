package io.tern.broker.internal;

/**
 * How the broker treats what user code throws: hooks, the authorizer and authenticators, event
 * listeners, rule handlers and plugins. Any throwable fails that one operation safely (counted and
 * logged as a failing hook is): an {@link AssertionError} from a test's assertion, a {@link
 * NoClassDefFoundError} or a {@link StackOverflowError} says nothing about the broker, and letting
 * it through would end a broker thread or close a client that did nothing wrong. Only a failing
 * JVM ({@link OutOfMemoryError}, {@link InternalError}: a {@link VirtualMachineError} other than a
 * stack overflow, whose stack has unwound by the time it is caught) goes on up.
 *
 * <pre>{@code
 * try {
 *   listener.onEvent(e);
 * } catch (Throwable t) {
 *   UserCode.rethrowFatal(t);
 *   // log, count: the listener goes on getting events
 * }
 * }</pre>
 */
public final class UserCode {
  private UserCode() {}

  /** Throws {@code t} again when the JVM itself is failing; returns otherwise. */
  public static void rethrowFatal(Throwable t) {
    if (t instanceof VirtualMachineError v && !(t instanceof StackOverflowError)) {
      throw v;
    }
  }
}
