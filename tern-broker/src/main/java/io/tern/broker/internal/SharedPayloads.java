package io.tern.broker.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.lang.ref.WeakReference;

/**
 * The payloads of large messages as direct buffers that the writes of one event loop share: a
 * message of {@link #FROM} bytes or more sent to many subscribers is copied out of its {@code byte[]}
 * once per loop, and each subscriber's write is a duplicate of that copy, not a copy of its own
 * (Netty copies a heap buffer into a direct one for every socket write). Without it, a 10 MB
 * message to 100 subscribers took 1 GB of direct memory at once, and to 1,000 more than the JVM
 * allows. The payload's header goes through the connection's buffer as usual ({@link
 * PacketWriter#writePublish}).
 *
 * <p>One per event loop thread (a {@link FastThreadLocal}), used on that thread only, where the
 * writes of its channels also finish: no locks. A copy lives while a write holds a duplicate of it,
 * and is found again for the next subscriber meanwhile: subscribers that take a large message at
 * different times (each when its socket has room again) share it as long as one of them is still
 * writing it. Besides, this keeps a reference of its own to a new copy until the end of the loop's
 * current batch of tasks (a task it queues, once), so that the drains of the sessions the message
 * was handed to, queued by that hand-off, find it even if the first write finished at once. A
 * session that sends the message once no write holds it makes a new copy: correct, only a copy.
 * The copies are unpooled, so that a copy whose last reference went is never another buffer
 * when it is looked at again ({@link ByteBuf#refCnt} is 0 for good).
 *
 * <p><b>Memory.</b> A copy counts in the broker's outbound total ({@link OutboundMemory}) from when
 * it is made until its last reference goes, once: the sockets writing it do not count it again
 * ({@link PacketWriter#sharedUnwritten}). Counted per socket, 1,000 slow subscribers of a 1 MB
 * message counted 1 GB and took the broker over its high water mark.
 */
final class SharedPayloads {
  /** Payloads at least this large are shared; smaller ones are copied into the connection's buffer with their header. */
  static final int FROM = 64 * 1024;
  private static final int ENTRIES = 4;
  private static final FastThreadLocal<SharedPayloads> OF_THREAD = new FastThreadLocal<>() {
    @Override
    protected SharedPayloads initialValue() {
      return new SharedPayloads();
    }
  };

  /** Whose copy each entry is: weakly, so that the cache keeps no message's payload alive. */
  private final WeakReference<?>[] payloads = new WeakReference<?>[ENTRIES];
  private final ByteBuf[] copies = new ByteBuf[ENTRIES];
  /** Whether this holds a reference of its own to the entry's copy, until {@link #releaseOwn}. */
  private final boolean[] own = new boolean[ENTRIES];
  private int next;
  private boolean releaseQueued;
  private final Runnable release = this::releaseOwn;

  private SharedPayloads() {}

  /**
   * A buffer of {@code payload}'s bytes for one write on the current event loop (the caller writes
   * it, which releases it): a duplicate of this loop's copy, made when there is none alive.
   */
  static ByteBuf forWrite(byte[] payload, EventExecutor loop, OutboundMemory memory) {
    if (!loop.inEventLoop()) {
      return Unpooled.wrappedBuffer(payload); // not a loop's own write: copied by Netty, as before
    }
    return OF_THREAD.get().duplicateOf(payload, loop, memory);
  }

  /** Whether {@code buf}, from {@link #forWrite}, is a duplicate of a shared copy (not a wrapped payload). */
  static boolean isShared(ByteBuf buf) {
    return buf.unwrap() instanceof Copy;
  }

  /** A copy, counted in the broker's outbound total while it lives. */
  private static final class Copy extends UnpooledUnsafeDirectByteBuf {
    private final OutboundMemory memory;
    private final int size;

    Copy(int size, OutboundMemory memory) {
      super(UnpooledByteBufAllocator.DEFAULT, size, size);
      this.memory = memory;
      this.size = size;
      memory.add(size);
    }

    @Override
    protected void deallocate() {
      super.deallocate();
      memory.add(-size);
    }
  }

  private ByteBuf duplicateOf(byte[] payload, EventExecutor loop, OutboundMemory memory) {
    for (int i = 0; i < ENTRIES; i++) {
      WeakReference<?> p = payloads[i];
      if (p != null && p.get() == payload && copies[i].refCnt() > 0) {
        return copies[i].retainedDuplicate();
      }
    }
    ByteBuf copy = new Copy(payload.length, memory).writeBytes(payload);
    int i = next;
    next = (i + 1) % ENTRIES;
    if (own[i]) {
      copies[i].release(); // writes still holding a duplicate keep its memory until they finish
    }
    payloads[i] = new WeakReference<>(payload);
    copies[i] = copy;
    own[i] = true;
    if (!releaseQueued) {
      releaseQueued = true;
      try {
        loop.execute(release);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        releaseQueued = false; // the loop is stopping: keep nothing, the write takes the copy over
        own[i] = false;
        return copy;
      }
    }
    return copy.retainedDuplicate();
  }

  private void releaseOwn() {
    releaseQueued = false;
    for (int i = 0; i < ENTRIES; i++) {
      if (own[i]) {
        own[i] = false;
        copies[i].release();
      }
    }
  }
}
