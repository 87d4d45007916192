package io.tern.codec;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory shared by many decoders for the packets they have begun to receive and that are not yet
 * whole ({@link MqttDecoder#limitBuffering}): a peer's bytes are held until its packet is complete,
 * and across connections nothing else bounds them (each connection only by the maximum packet
 * size). Thread-safe: decoders on every event loop share one. Touched only for input of 4 KiB or
 * more not yet whole (a packet, or a WebSocket frame in the broker), not per message, so one
 * counter is enough.
 *
 * <pre>{@code
 * BufferBudget budget = new BufferBudget(256L << 20);
 * pipeline.addLast(new MqttDecoder(1 << 20).limitBuffering(budget)); // each decoder takes a Hold
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

  /** A holder's part of this budget, starting at nothing: one per connection. */
  public Hold newHold() {
    return new Hold();
  }

  /**
   * What one holder (a connection's decoder) has of the budget now. Grown and shrunk by {@link
   * #set}, on the holder's event loop only; the budget's total is shared.
   */
  public final class Hold {
    private long bytes;

    private Hold() {}

    /**
     * Makes this hold {@code bytes}: takes the difference from the budget when it grows, gives the
     * difference back when it shrinks. Returns false, and holds what it held, when growing does not
     * fit.
     */
    public boolean set(long bytes) {
      long more = bytes - this.bytes;
      if (more > 0 && used.addAndGet(more) > limit) {
        used.addAndGet(-more);
        return false;
      }
      if (more < 0) {
        used.addAndGet(more);
      }
      this.bytes = bytes;
      return true;
    }

    /** The bytes held now. */
    public long bytes() {
      return bytes;
    }
  }

  /** The bytes reserved now. */
  public long bytes() {
    return used.get();
  }

  public long limit() {
    return limit;
  }
}
