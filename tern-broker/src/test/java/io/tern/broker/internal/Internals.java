package io.tern.broker.internal;

import io.tern.broker.Broker;

/** A running {@link Broker}'s internals, for tests of this package that look past its public face. */
final class Internals {
  private Internals() {}

  static BrokerCore core(Broker broker) {
    try {
      java.lang.reflect.Field f = Broker.class.getDeclaredField("core");
      f.setAccessible(true);
      return (BrokerCore) f.get(broker);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("Broker has no field core", e);
    }
  }
}
