package io.tern.broker.event;

/**
 * Receives {@link BrokerEvent}s. Listeners are called one event at a time, in the order the events
 * happened, on the broker's event thread (never on an event loop, so a listener may block briefly
 * or publish with {@link io.tern.broker.Broker#publish}); {@link BrokerEvent.Started} and {@link
 * BrokerEvent.Stopping} are delivered on the thread that starts or stops the broker. Events wait in
 * a bounded queue (65,536): when listeners fall that far behind, new events are dropped and counted
 * ({@link io.tern.broker.Broker#eventsDropped()}). A listener that throws is logged and keeps
 * receiving events.
 */
@FunctionalInterface
public interface EventListener {
  void onEvent(BrokerEvent event);
}
