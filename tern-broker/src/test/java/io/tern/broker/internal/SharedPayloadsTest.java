package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultEventLoop;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SharedPayloads}: one direct copy of a large payload per loop, while writes hold it. */
class SharedPayloadsTest {
  private final DefaultEventLoop loop = new DefaultEventLoop();
  private final OutboundMemory memory = new OutboundMemory(io.tern.broker.BrokerConfig.builder().build(), new BrokerStats());

  @AfterEach
  void stop() throws Exception {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }

  @Test
  void writesOfOnePayloadShareOneCopyAndAnotherPayloadHasItsOwn() throws Exception {
    byte[] a = new byte[SharedPayloads.FROM];
    byte[] b = new byte[SharedPayloads.FROM];
    a[5] = 42;
    ByteBuf[] w = onLoop(() -> new ByteBuf[] {
        SharedPayloads.forWrite(a, loop, memory), SharedPayloads.forWrite(a, loop, memory), SharedPayloads.forWrite(b, loop, memory)});
    assertThat(w[0].getByte(5)).isEqualTo((byte) 42);
    assertThat(w[0].readableBytes()).isEqualTo(a.length);
    assertThat(w[1].memoryAddress()).as("the same copy").isEqualTo(w[0].memoryAddress());
    assertThat(w[2].memoryAddress()).as("another payload, another copy").isNotEqualTo(w[0].memoryAddress());
    for (ByteBuf x : w) {
      x.release();
    }
  }

  @Test
  void aCopyOutlivesTheBatchWhileAWriteHoldsItAndGoesWithTheLast() throws Exception {
    byte[] a = new byte[SharedPayloads.FROM];
    ByteBuf first = onLoop(() -> SharedPayloads.forWrite(a, loop, memory));
    // A later task: the loop's own reference went at the end of the first batch, the write's holds it.
    ByteBuf second = onLoop(() -> SharedPayloads.forWrite(a, loop, memory));
    assertThat(second.memoryAddress()).isEqualTo(first.memoryAddress());
    assertThat(memory.bytes()).as("counted once in the broker's total").isEqualTo(a.length);
    first.release();
    assertThat(memory.bytes()).isEqualTo(a.length);
    second.release();
    assertThat(first.refCnt()).as("freed with the last write").isZero();
    assertThat(memory.bytes()).as("and out of the total").isZero();
    ByteBuf third = onLoop(() -> SharedPayloads.forWrite(a, loop, memory));
    assertThat(third.refCnt()).as("a new copy").isPositive();
    assertThat(third.getByte(0)).isZero();
    third.release();
  }

  @Test
  void offItsLoopAWriteGetsThePayloadAsItIsAndTheLoopsCopiesAreNotTouched() {
    byte[] a = new byte[SharedPayloads.FROM];
    ByteBuf w = SharedPayloads.forWrite(a, loop, memory); // the test's thread, not the loop's
    assertThat(w.isDirect()).isFalse();
    assertThat(w.array()).isSameAs(a);
    assertThat(SharedPayloads.isShared(w)).isFalse();
    assertThat(memory.bytes()).isZero();
    w.release();
  }
}
