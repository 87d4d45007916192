/**
 * Broker events: clients connected and disconnected (with the reason), subscriptions, sessions,
 * dropped messages and client errors, for {@link io.tern.broker.event.EventListener}s registered
 * with {@link io.tern.broker.Broker#onEvent}. Delivered off the event loops, in order.
 */
package io.tern.broker.event;
