package io.tern.broker.hook;

/**
 * A handle on something added to a running broker (a hook, a rule, an event listener): {@link
 * #remove()} takes it out again. Removing twice is harmless.
 */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  void remove();

  /** Same as {@link #remove()}. */
  @Override
  default void close() {
    remove();
  }
}
