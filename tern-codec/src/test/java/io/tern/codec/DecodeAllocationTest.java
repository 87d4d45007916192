package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a connection's decoder allocates per packet, counted by the JVM for the test's thread. A
 * Success PUBACK (the ack of every QoS 1 message) costs nothing: its packet object is shared and the
 * decoder reads each body with the same reader. Counted, not timed: the figure is the same on a busy
 * machine. The loops are short enough to run mostly interpreted and in C1 code, where nothing is
 * removed by escape analysis: what the code allocates is what is counted.
 */
class DecodeAllocationTest {
  private static final int PACKET_IDS = 1_000;
  private static final int ROUNDS = 100;

  @Test
  void aSuccessPubAckAllocatesNothing() {
    com.sun.management.ThreadMXBean threads = threadBean();
    ByteBuf acks = Unpooled.buffer(PACKET_IDS * 4);
    for (int id = 1; id <= PACKET_IDS; id++) {
      acks.writeBytes(new byte[] {0x40, 2, (byte) (id >> 8), (byte) id});
    }
    MqttDecoder decoder = new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, MqttVersion.V3_1_1);
    List<Object> out = new ArrayList<>(1);
    decodeAll(decoder, acks, out); // the first round makes the shared ack of each packet id

    long before = threads.getCurrentThreadAllocatedBytes();
    for (int r = 0; r < ROUNDS; r++) {
      decodeAll(decoder, acks, out);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    // One object per packet would be 32 bytes or more each: 3.2 MB here.
    assertThat(allocated).isLessThan((long) PACKET_IDS * ROUNDS);
    assertThat(out).containsExactly(new PubAck(PACKET_IDS, ReasonCodes.SUCCESS, MqttProperties.EMPTY));
  }

  @Test
  void preparedSharedAcksAllocateNothingOnFirstSight() {
    MqttDecoder.prepareSharedAcks();
    MqttDecoder.prepareSharedAcks(); // idempotent
    com.sun.management.ThreadMXBean threads = threadBean();
    ByteBuf acks = Unpooled.buffer(4 * PACKET_IDS * 4);
    for (int type : new int[] {0x40, 0x50, 0x62, 0x70}) { // PUBACK, PUBREC, PUBREL, PUBCOMP
      for (int id = 65535 - PACKET_IDS + 1; id <= 65535; id++) { // ids no other test decodes
        acks.writeBytes(new byte[] {(byte) type, 2, (byte) (id >> 8), (byte) id});
      }
    }
    MqttDecoder decoder = new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, MqttVersion.V3_1_1);
    List<Object> out = new ArrayList<>(1);
    decodeAll(decoder, Unpooled.buffer(4).writeBytes(new byte[] {0x40, 2, 0, 1}), out); // the decoder's own state

    long before = threads.getCurrentThreadAllocatedBytes();
    decodeAll(decoder, acks, out);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    // Made on first sight, they would be 4,000 objects of 24 bytes or more: 96 KB.
    assertThat(allocated).isLessThan(4L * PACKET_IDS * 4);
    assertThat(out).containsExactly(new PubComp(65535, ReasonCodes.SUCCESS, MqttProperties.EMPTY));
  }

  @Test
  void aPublishAllocatesItsPayloadAndItsPacketOnly() {
    com.sun.management.ThreadMXBean threads = threadBean();
    byte[] payload = new byte[64];
    ByteBuf publishes = Unpooled.buffer();
    for (int id = 1; id <= PACKET_IDS; id++) {
      MqttEncoder.encode(new Publish("a/b", 1, false, false, id, payload, MqttProperties.EMPTY), MqttVersion.V3_1_1,
          publishes);
    }
    MqttDecoder decoder = new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, MqttVersion.V3_1_1);
    List<Object> out = new ArrayList<>(1);
    decodeAll(decoder, publishes, out);

    long before = threads.getCurrentThreadAllocatedBytes();
    for (int r = 0; r < ROUNDS; r++) {
      decodeAll(decoder, publishes, out);
    }
    long perPacket = (threads.getCurrentThreadAllocatedBytes() - before) / ((long) PACKET_IDS * ROUNDS);

    // The payload (16 + 64 bytes) and the Publish (about 40 bytes); the topic is reused.
    assertThat(perPacket).isLessThan(80 + 48);
  }

  private static void decodeAll(MqttDecoder decoder, ByteBuf packets, List<Object> out) {
    packets.readerIndex(0);
    while (packets.isReadable()) {
      out.clear();
      decoder.decode(null, packets, out);
    }
  }

  private static com.sun.management.ThreadMXBean threadBean() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "a JVM that counts allocated bytes per thread");
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    return threads;
  }
}
