package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MqttDecoder#limitBuffering}: packets not yet whole, reserved from a {@link BufferBudget} shared by connections. */
class DecoderBudgetTest {

  private static byte[] publish(int payload) {
    return Codec.encode(new Publish("t", 0, false, false, 0, new byte[payload], MqttProperties.EMPTY),
        MqttVersion.V3_1_1);
  }

  private static EmbeddedChannel channel(BufferBudget budget) {
    return new EmbeddedChannel(new MqttDecoder(1 << 20, MqttVersion.V3_1_1).limitBuffering(budget));
  }

  @Test
  void aHoldGrowsWhileTheBudgetHasRoomAndShrinksAtWill() {
    BufferBudget budget = new BufferBudget(10_000);
    BufferBudget.Hold a = budget.newHold();
    BufferBudget.Hold b = budget.newHold();
    assertThat(a.set(6_000)).isTrue();
    assertThat(b.set(5_000)).as("over the limit").isFalse();
    assertThat(b.bytes()).isZero();
    assertThat(b.set(4_000)).isTrue();
    assertThat(budget.bytes()).isEqualTo(10_000);
    assertThat(a.set(1_000)).isTrue(); // shrinking always fits, and gives back
    assertThat(b.set(9_000)).isTrue();
    assertThat(budget.bytes()).isEqualTo(10_000);
    a.set(0);
    b.set(0);
    assertThat(budget.bytes()).isZero();
  }

  @Test
  void aPacketNotYetWholeHoldsWhatHasArrivedOfItUntilItIsWhole() {
    BufferBudget budget = new BufferBudget(100_000);
    EmbeddedChannel ch = channel(budget);
    byte[] p = publish(10_000);
    ch.writeInbound(Unpooled.wrappedBuffer(p, 0, 100));
    assertThat(budget.bytes()).isEqualTo(100);
    ch.writeInbound(Unpooled.wrappedBuffer(p, 100, 4_900));
    assertThat(budget.bytes()).isEqualTo(5_000);
    ch.writeInbound(Unpooled.wrappedBuffer(p, 5_000, p.length - 5_000));
    assertThat((Object) ch.readInbound()).isInstanceOf(Publish.class);
    assertThat(budget.bytes()).isZero();
    ch.finishAndReleaseAll();
  }

  @Test
  void headersAnnouncingTheLargestPacketsTakeNothingButTheirBytes() {
    BufferBudget budget = new BufferBudget(1 << 20);
    byte[] header = TestPackets.hex("30 FF FF FF 7F 00 01 61"); // 256 MiB to topic "a"
    List<EmbeddedChannel> channels = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      EmbeddedChannel ch = new EmbeddedChannel(
          new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, MqttVersion.V3_1_1).limitBuffering(budget));
      ch.writeInbound(Unpooled.wrappedBuffer(header));
      assertThat((Object) ch.readInbound()).as("connection %d not refused", i).isNull();
      channels.add(ch);
    }
    assertThat(budget.bytes()).isEqualTo(100L * header.length);
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    assertThat(budget.bytes()).isZero();
  }

  @Test
  void smallPacketsAndWholeOnesNeverTouchIt() {
    BufferBudget budget = new BufferBudget(1); // any reservation would be refused
    EmbeddedChannel ch = channel(budget);
    byte[] small = publish(MqttDecoder.RESERVED_FROM - 100);
    ch.writeInbound(Unpooled.wrappedBuffer(small, 0, 10)); // not whole, but small
    ch.writeInbound(Unpooled.wrappedBuffer(small, 10, small.length - 10));
    ch.writeInbound(Unpooled.wrappedBuffer(publish(50_000))); // large, but whole in one read
    assertThat((Object) ch.readInbound()).isInstanceOf(Publish.class);
    assertThat((Object) ch.readInbound()).isInstanceOf(Publish.class);
    ch.finishAndReleaseAll();
  }

  @Test
  void aPacketThatDoesNotFitIsRefusedWithQuotaExceededAndTheRestDiscarded() {
    BufferBudget budget = new BufferBudget(15_000);
    EmbeddedChannel first = channel(budget);
    EmbeddedChannel second = channel(budget);
    byte[] p = publish(20_000);
    first.writeInbound(Unpooled.wrappedBuffer(p, 0, 10_000));
    second.writeInbound(Unpooled.wrappedBuffer(p, 0, 4_000));
    assertThat((Object) second.readInbound()).as("4,000 bytes fit beside 10,000").isNull();
    second.writeInbound(Unpooled.wrappedBuffer(p, 4_000, 2_000));
    MqttDecodeException e = second.readInbound();
    assertThat(e.reasonCode()).isEqualTo(ReasonCodes.QUOTA_EXCEEDED);
    assertThat(e.packetType()).isEqualTo(PacketType.PUBLISH);
    second.writeInbound(Unpooled.wrappedBuffer(p, 6_000, p.length - 6_000));
    assertThat((Object) second.readInbound()).as("discarded after the refusal").isNull();
    assertThat(budget.bytes()).isEqualTo(10_000); // the first still holds its bytes, the second none
    first.writeInbound(Unpooled.wrappedBuffer(p, 10_000, 4_000));
    assertThat(budget.bytes()).isEqualTo(14_000);
    first.writeInbound(Unpooled.wrappedBuffer(p, 14_000, p.length - 14_000));
    assertThat((Object) first.readInbound()).isInstanceOf(Publish.class);
    assertThat(budget.bytes()).isZero();
    first.finishAndReleaseAll();
    second.finishAndReleaseAll();
  }

  @Test
  void aChannelClosedWithAPacketNotYetWholeGivesItsReservationBack() {
    BufferBudget budget = new BufferBudget(100_000);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(Unpooled.wrappedBuffer(publish(20_000), 0, 1_000));
    assertThat(budget.bytes()).isPositive();
    ch.close();
    ch.finishAndReleaseAll();
    assertThat(budget.bytes()).isZero();
  }

  @Test
  void countingBeginsOnceTheHeaderHasComeWhereverItIsSplit() {
    byte[] p = publish(300_000); // a remaining length of 3 bytes: the size is known from the 4th byte
    BufferBudget budget = new BufferBudget(1 << 20);
    EmbeddedChannel ch = channel(budget);
    for (int n = 0; n < 5; n++) {
      ch.writeInbound(Unpooled.wrappedBuffer(p, n, 1));
      assertThat(budget.bytes()).as("after %d bytes", n + 1).isEqualTo(n + 1 < 4 ? 0 : n + 1);
    }
    ch.close();
    ch.finishAndReleaseAll();
    assertThat(budget.bytes()).isZero();
  }
}
