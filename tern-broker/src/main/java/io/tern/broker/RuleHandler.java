package io.tern.broker;

/**
 * Receives the messages of a {@link Rule}, one at a time, on the rule's own thread. It may block
 * (write to a database, call a service); messages wait in the rule's queue meanwhile. A handler that
 * throws is logged and receives the next message.
 */
@FunctionalInterface
public interface RuleHandler {
  void onMessage(MqttMessage message) throws Exception;
}
