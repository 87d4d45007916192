package io.tern.broker;

import io.tern.broker.hook.Registration;

/**
 * An in-process subscriber added with {@link Broker#rule(String, int, RuleHandler)}: every message
 * published to a topic matching its filter is handed to its {@link RuleHandler}, on a thread of the
 * rule's own, through a bounded queue. A handler slower than its messages never holds up the
 * broker: when the queue is full, messages are dropped and counted ({@link #dropped()}).
 */
public interface Rule extends Registration {
  /** The topic filter ({@code +} and {@code #} allowed). */
  String filter();

  /** The QoS of the rule's subscription: a message reaches the handler at {@code min(its QoS, this)}. */
  int qos();

  /** Messages handed to the handler so far. */
  long delivered();

  /** Messages dropped because the rule's queue was full. */
  long dropped();

  /**
   * Stops the rule: unsubscribes it and ends its thread (a handler blocked in an interruptible call
   * is interrupted); no message reaches the handler after this returns. Waits at most 5 s for a
   * running handler.
   */
  @Override
  void remove();
}
