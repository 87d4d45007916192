package io.tern.codec;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory shared by many decoders for the packets they have begun to receive and that are not yet
 * whole ({@link MqttDecoder#limitBuffering}): a peer's bytes are held until its packet is complete,
 * and across connections nothing else bounds them (each connection only by the maximum packet
 * size). Thread-safe: decoders on every event loop share one. Touched once per large packet, not
 * per message, so one counter is enough.
 *
 * <pre>{@code
 * BufferBudget budget = new BufferBudget(256L << 20);
 * pipeline.addLast(new MqttDecoder(1 << 20).limitBuffering(budget));
 * }</pre>
 */
public final class BufferBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code limit} bytes (at least 1). */
  public BufferBudget(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit " + limit);
    }
    this.limit = limit;
  }

  /** Takes {@code bytes} out of the budget, or returns false (and takes nothing) when they do not fit. */
  public boolean reserve(long bytes) {
    if (used.addAndGet(bytes) > limit) {
      used.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  /** Gives back what {@link #reserve} took. */
  public void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** The bytes reserved now. */
  public long bytes() {
    return used.get();
  }

  public long limit() {
    return limit;
  }
}
