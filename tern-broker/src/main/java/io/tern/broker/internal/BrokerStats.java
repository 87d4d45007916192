package io.tern.broker.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Broker-wide counters. LongAdders: written from every event loop, read rarely. */
public final class BrokerStats {
  final LongAdder messagesReceived = new LongAdder();
  final LongAdder messagesSent = new LongAdder();
  final LongAdder messagesDropped = new LongAdder();
  final LongAdder connectionsTotal = new LongAdder();
  final AtomicLong connectionsCurrent = new AtomicLong();
  final LongAdder protocolErrors = new LongAdder();
  /** Messages dropped because their Message Expiry Interval passed before they were sent. */
  final LongAdder messagesExpired = new LongAdder();
  /** Messages not sent to a client because they exceed its Maximum Packet Size (MQTT-3.1.2-25). */
  final LongAdder messagesTooLarge = new LongAdder();

  public long messagesReceived() {
    return messagesReceived.sum();
  }

  public long messagesSent() {
    return messagesSent.sum();
  }

  public long messagesDropped() {
    return messagesDropped.sum();
  }

  public long connectionsTotal() {
    return connectionsTotal.sum();
  }

  public long connectionsCurrent() {
    return connectionsCurrent.get();
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  public long messagesExpired() {
    return messagesExpired.sum();
  }

  public long messagesTooLarge() {
    return messagesTooLarge.sum();
  }
}
