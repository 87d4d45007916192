package io.tern.broker.internal;

/** Where routing puts the deliveries of one message: straight into sessions, or into a batch. */
interface DeliverySink {
  void deliver(Session session, Delivery delivery);

  /** Hands each delivery to its session at once: for messages from outside an event loop's read. */
  DeliverySink DIRECT = Session::enqueue;
}
