package io.tern.broker;

import io.tern.broker.hook.Registration;

/**
 * An in-process subscriber added with {@link Broker#rule(String, int, RuleHandler)}: every message
 * published to a topic matching its filter is handed to its {@link RuleHandler}, on a thread of the
 * rule's own, through a bounded queue. A handler slower than its messages never holds up the
 * broker: when the queue is full, messages are dropped and counted ({@link #dropped()}).
 *
 * <p>The thread runs while the broker runs: a rule added before {@link Broker#start()} or while the
 * broker is stopped keeps what it is given in its queue until the broker starts; {@link
 * Broker#stop()} ends the thread (a message being handled is finished: stop waits at most 5 s for it,
 * then interrupts the handler) and keeps the rule. A rule is
 * given the messages published after it was added, not the retained messages already there. A
 * handler that throws is logged (with its stack trace the first time) and counted in {@link
 * Broker#hookFailures()}; the rule goes on with the next message.
 */
public interface Rule extends Registration {
  /** The topic filter ({@code +} and {@code #} allowed). */
  String filter();

  /** The QoS of the rule's subscription: a message reaches the handler at {@code min(its QoS, this)}. */
  int qos();

  /** Messages handed to the handler so far (those it threw on included). */
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
