package io.tern.broker.internal;

import io.tern.codec.MqttDecoder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes connections hold in packets they have begun to send and not yet finished, against
 * {@link io.tern.broker.BrokerConfig#inboundBufferLimit()}: each connection's decoder reserves a
 * packet of {@link MqttDecoder#RESERVED_FROM} bytes or more for its full size when its first bytes
 * come, and gives it back when it is whole or the connection closes. {@code max_packet_size}
 * bounds one connection; this bounds them all (a few hundred clients each stopping one byte short
 * of a 1 MiB packet had used up the JVM's direct memory). Touched once per large packet, not per
 * message: one counter is enough.
 */
final class InboundMemory implements MqttDecoder.Budget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  InboundMemory(long limit) {
    this.limit = limit;
  }

  @Override
  public boolean reserve(long bytes) {
    if (used.addAndGet(bytes) > limit) {
      used.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  @Override
  public void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long bytes() {
    return used.get();
  }
}
