package io.tern.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.DropPolicy;
import io.tern.broker.Listener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory bounds, attacked with real clients: the queued bytes of one session, and the
 * broker-wide outbound high water mark that pauses publishers instead of running out of memory.
 */
@Timeout(90)
class MemoryBoundsTest {
  private static final int MIB = 1024 * 1024;
  private Broker broker;
  private final List<Socket> sockets = new ArrayList<>();
  private final List<Mqtt3BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (Mqtt3BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    for (Socket s : sockets) {
      s.close();
    }
    if (broker != null) {
      broker.stop();
    }
  }

  private void start(Consumer<BrokerConfig.Builder> settings) {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).configure(settings).build().start();
  }

  private Mqtt3BlockingClient client(String id) {
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .buildBlocking();
    clients.add(c);
    return c;
  }

  /** A raw MQTT 3.1.1 client that sends CONNECT (clean session) and reads CONNACK. */
  private Socket raw(String clientId, int keepAliveSeconds) throws IOException {
    return raw(clientId, keepAliveSeconds, 4096, true);
  }

  /** A raw MQTT 3.1.1 client with this receive window; without a clean session, CONNACK says one was present. */
  private Socket raw(String clientId, int keepAliveSeconds, int receiveBuffer, boolean clean) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(receiveBuffer); // before connecting: the window the broker sees
    s.connect(new java.net.InetSocketAddress("127.0.0.1", broker.port()), 5000);
    sockets.add(s);
    s.setSoTimeout(10_000);
    ByteArrayOutputStream connect = new ByteArrayOutputStream();
    byte[] id = clientId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    connect.write(0x10);
    connect.write(12 + id.length);
    connect.writeBytes(HexFormat.of().parseHex(clean ? "00044d5154540402" : "00044d5154540400"));
    connect.write(keepAliveSeconds >> 8);
    connect.write(keepAliveSeconds & 0xFF);
    connect.write(0);
    connect.write(id.length);
    connect.writeBytes(id);
    s.getOutputStream().write(connect.toByteArray());
    assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, clean ? 0x00 : 0x01, 0x00);
    return s;
  }

  /** A subscriber that subscribes to {@code load/#} at QoS 1 and then never reads a byte. */
  private Socket subscriberThatNeverReads() throws IOException {
    Socket s = raw("stuck", 0);
    int before = broker.stats().subscriptions();
    s.getOutputStream().write(HexFormat.of().parseHex("820b000100066c6f61642f2301")); // SUBSCRIBE load/# QoS 1
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().subscriptions() > before);
    return s;
  }

  /** A QoS 0 PUBLISH to {@code load/x}. */
  private static byte[] publishPacket(int payloadSize) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x30);
    int remaining = 2 + 6 + payloadSize;
    do {
      int b = remaining % 128;
      remaining /= 128;
      p.write(remaining > 0 ? b | 0x80 : b);
    } while (remaining > 0);
    p.writeBytes(HexFormat.of().parseHex("00066c6f61642f78"));
    p.writeBytes(new byte[payloadSize]);
    return p.toByteArray();
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Direct memory: Netty's own count (buffers without a cleaner) plus the JDK's (with one). */
  private static long directMemory() {
    long jdk = 0;
    for (java.lang.management.BufferPoolMXBean pool
        : ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        jdk = pool.getMemoryUsed();
      }
    }
    return Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory()) + jdk;
  }

  private void assertServesAClient(String topic) {
    Mqtt3BlockingClient sub = client("other-sub-" + System.nanoTime());
    sub.connect();
    try (Mqtt3BlockingClient.Mqtt3Publishes got = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt3BlockingClient pub = client("other-pub-" + System.nanoTime());
      pub.connect();
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {42}).send();
      assertThat(got.receive(10, TimeUnit.SECONDS)).hasValueSatisfying(p -> assertThat(p.getPayloadAsBytes())
          .containsExactly(42));
      pub.disconnect();
      sub.disconnect();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // ------------------------------------------------------------------ queued bytes per session

  /** Offline persistent session, 20 messages of 1000 bytes against a 10,000-byte bound: which 10 stay. */
  private List<Integer> keptOf20MessagesOf1000Bytes(DropPolicy policy) throws Exception {
    start(b -> b.maxQueuedBytes(10_000).dropPolicy(policy));
    Mqtt3BlockingClient sub = client("offline");
    sub.connectWith().cleanSession(false).send();
    sub.subscribeWith().topicFilter("b/#").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();
    Mqtt3BlockingClient pub = client("pub");
    pub.connect();
    for (int i = 0; i < 20; i++) {
      byte[] payload = new byte[1000 - "b/x".length()]; // counted as payload and topic: 1000 bytes
      payload[0] = (byte) i;
      pub.publishWith().topic("b/x").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.memoryStats().queuedBytesDrops() == 10);
    assertThat(broker.memoryStats().bufferedOutboundBytes()).isEqualTo(10_000);
    assertThat(broker.stats().messagesDropped()).isEqualTo(10);

    List<Integer> kept = new ArrayList<>();
    try (Mqtt3BlockingClient.Mqtt3Publishes got = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.connectWith().cleanSession(false).send();
      Optional<Mqtt3Publish> p;
      while ((p = got.receive(kept.size() < 10 ? 5 : 1, TimeUnit.SECONDS)).isPresent()) {
        kept.add((int) p.get().getPayloadAsBytes()[0]);
      }
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.memoryStats().bufferedOutboundBytes() == 0);
    return kept;
  }

  @Test
  void aClientThatSendsAndNeverReadsItsAnswersIsNoLongerReadAndHoldsBoundedMemory() throws Exception {
    start(b -> { });
    Socket flooder = raw("flooder", 0);
    long heapBefore = heapAfterGc();
    long directBefore = directMemory();
    // PINGREQs, each answered by a PINGRESP this client never reads, written by another thread
    // until the broker stops taking them.
    byte[] pings = new byte[64 * 1024];
    for (int i = 0; i < pings.length; i += 2) {
      pings[i] = (byte) 0xC0;
    }
    AtomicLong written = new AtomicLong();
    Thread writer = new Thread(() -> {
      try {
        java.io.OutputStream out = flooder.getOutputStream();
        for (int i = 0; i < 256; i++) { // at most 16 MB: 8 million PINGREQs
          out.write(pings);
          written.addAndGet(pings.length);
        }
      } catch (IOException e) {
        // closed by the test
      }
    });
    writer.setDaemon(true);
    writer.start();
    // The broker stops reading once the client's unread answers pass the channel's high water mark:
    // the writer blocks when the socket buffers are full.
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      long w = written.get();
      Thread.sleep(500);
      return written.get() == w;
    });
    assertThat(written.get()).as("the broker stopped reading").isLessThan(256L * pings.length);
    long heapGrowth = heapAfterGc() - heapBefore;
    long directGrowth = directMemory() - directBefore;
    // Before, every PINGRESP was buffered: 34 MB of PINGREQs held 2.4 GB of heap.
    assertThat(heapGrowth).as("heap held for %,d bytes of PINGREQs", written.get()).isLessThan(32L * MIB);
    assertThat(directGrowth).isLessThan(32L * MIB);
    assertServesAClient("still/served");
    flooder.close();
    writer.join(5_000);
  }

  @Test
  void aClientThatNeverReadsItsAnswersIsClosedByItsKeepAlive() throws Exception {
    start(b -> { });
    Socket flooder = raw("flooder", 2); // keep alive 2 s: closed 3 s after the broker last read it
    byte[] pings = new byte[64 * 1024];
    for (int i = 0; i < pings.length; i += 2) {
      pings[i] = (byte) 0xC0;
    }
    Thread writer = new Thread(() -> {
      try {
        java.io.OutputStream out = flooder.getOutputStream();
        for (int i = 0; i < 256; i++) {
          out.write(pings);
        }
      } catch (IOException e) {
        // closed by the broker
      }
    });
    writer.setDaemon(true);
    writer.start();
    // The broker stops reading it (its unread PINGRESPs) and, as it takes nothing, closes it: it no
    // longer holds its buffers for as long as the client likes.
    await().atMost(Duration.ofSeconds(20)).until(() -> broker.stats().connections() == 0);
    flooder.close();
    writer.join(5_000);
    assertServesAClient("still/served");
  }

  @Test
  void queuedBytesOverTheBoundDropTheNewestWithDropNew() throws Exception {
    assertThat(keptOf20MessagesOf1000Bytes(DropPolicy.DROP_NEW)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }

  @Test
  void queuedBytesOverTheBoundDropTheOldestWithDropOldest() throws Exception {
    assertThat(keptOf20MessagesOf1000Bytes(DropPolicy.DROP_OLDEST))
        .containsExactly(10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
  }

  /**
   * User properties count as the payload does: 20 messages of a 1-byte payload and ~1,000 bytes of
   * user properties to an offline session bounded at 10,000 bytes keep 9 or 10, not all 20. They
   * were not counted: a client with 1 MB of them per message took a 512 MB heap to an
   * OutOfMemoryError past every bound (a probe).
   */
  @Test
  void userPropertiesCountAgainstTheQueuedBytes() throws Exception {
    start(b -> b.maxQueuedBytes(10_000));
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient sub = com.hivemq.client.mqtt.mqtt5.Mqtt5Client.builder()
        .identifier("offline5").serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    sub.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
    sub.subscribeWith().topicFilter("p/#").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();
    com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient pub = com.hivemq.client.mqtt.mqtt5.Mqtt5Client.builder()
        .identifier("pub5").serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    pub.connect();
    for (int i = 0; i < 20; i++) {
      pub.publishWith().topic("p/x").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {(byte) i})
          .userProperties().add("k", "v".repeat(1000)).applyUserProperties().send();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.memoryStats().queuedBytesDrops() >= 10);
    assertThat(broker.memoryStats().bufferedOutboundBytes()).isBetween(9_000L, 10_000L);
    pub.disconnect();
  }

  // ------------------------------------------------------------------ the issue's attack

  @Test
  void aLargeMessageToSubscribersThatDoNotReadCountsOnceNotOncePerSocket() throws Exception {
    start(b -> {});
    int n = 20;
    for (int i = 0; i < n; i++) {
      Socket s = raw("stuck" + i, 0);
      s.getOutputStream().write(HexFormat.of().parseHex("820b000100066c6f61642f2300")); // SUBSCRIBE load/# QoS 0
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().subscriptions() == n);
    Socket pub = raw("pub", 0);
    int size = 16 * MIB;
    pub.getOutputStream().write(publishPacket(size));
    // Every subscriber's socket takes a few MiB at most (its buffers): the rest waits in the broker,
    // a duplicate of one copy per event loop. Counted per socket, the total passed 200 MiB.
    await().atMost(Duration.ofSeconds(20)).until(() -> broker.stats().messagesSent() >= n);
    Thread.sleep(500);
    long buffered = broker.memoryStats().bufferedOutboundBytes();
    System.out.printf("16 MiB to %d subscribers that do not read: buffered %.1f MiB%n", n, buffered / (double) MIB);
    assertThat(buffered).as("the copies (one per event loop), not one per socket").isLessThan(3L * size);
    assertThat(buffered).as("the copy is counted").isGreaterThanOrEqualTo(size);
    assertThat(broker.memoryStats().overHighWaterMark()).isFalse();
    assertServesAClient("other/t");
  }

  @Test
  void subscriberThatNeverReadsWhile50MBArePublishedToItHoldsBoundedMemoryWhileOthersAreServed() throws Exception {
    start(b -> b.maxQueuedBytes(8 * MIB));
    Socket stuck = subscriberThatNeverReads();
    Mqtt3AsyncClient fast = Mqtt3Client.builder().identifier("fast").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildAsync();
    fast.connect().get(5, TimeUnit.SECONDS);
    AtomicInteger received = new AtomicInteger();
    fast.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> received.incrementAndGet()).send().get(5, TimeUnit.SECONDS);
    Mqtt3BlockingClient pub = client("pub");
    pub.connect();
    long heapBefore = heapAfterGc();
    long directBefore = directMemory();

    // 800 messages of 64 KiB = 50 MiB, all within max_queued_messages (1000): only the bytes bound
    // keeps the stuck session from holding them all. Sent in rounds that the fast subscriber takes.
    byte[] payload = new byte[64 * 1024];
    int n = 800;
    long heapHalfway = 0;
    long directHalfway = 0;
    for (int i = 0; i < n; i++) {
      pub.publishWith().topic("load/x").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
      if (i % 32 == 31) {
        int upTo = i + 1;
        await().atMost(Duration.ofSeconds(20)).until(() -> received.get() == upTo);
      }
      if (i == n / 2 - 1) {
        heapHalfway = heapAfterGc();
        directHalfway = directMemory();
      }
    }
    assertThat(received.get()).as("the fast subscriber got everything").isEqualTo(n);
    long heapEnd = heapAfterGc();
    long directEnd = directMemory();
    Broker.MemoryStats m = broker.memoryStats();
    System.out.printf("50 MiB to a subscriber that never reads: heap +%.1f MiB (second 25 MiB: %+.1f MiB), "
        + "direct +%.1f MiB (second 25 MiB: %+.1f MiB), buffered %.1f MiB, %d dropped over max_queued_bytes%n",
        (heapEnd - heapBefore) / (double) MIB, (heapEnd - heapHalfway) / (double) MIB,
        (directEnd - directBefore) / (double) MIB, (directEnd - directHalfway) / (double) MIB,
        m.bufferedOutboundBytes() / (double) MIB, m.queuedBytesDrops());
    // The stuck session holds at most 8 MiB of queue plus what its socket has not taken (~320 KiB).
    assertThat(m.bufferedOutboundBytes()).isLessThanOrEqualTo(9L * MIB);
    assertThat(heapEnd - heapBefore).as("heap growth").isLessThan(24L * MIB);
    // Bounded: the second half of the 50 MiB adds nothing that stays. Direct memory is only
    // reported: it moves by the chunks Netty's allocator keeps for the threads of the broker and of
    // the clients in this JVM; what the broker holds in it for the stuck socket is in "buffered".
    assertThat(heapEnd - heapHalfway).as("heap growth over the second 25 MiB").isLessThan(4L * MIB);
    assertThat(m.queuedBytesDrops()).isGreaterThan(600);
    assertThat(m.publisherPauses()).as("the per-session bound, not back-pressure, held it").isZero();
    assertServesAClient("other/t");
    assertThat(stuck.isClosed()).isFalse();
    fast.disconnect().get(5, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------ memory-based back-pressure

  /** A QoS 1 PUBLISH to {@code load/x} whose payload starts with its index. */
  private static byte[] qos1PublishPacket(int index, int payloadSize) {
    byte[] p = publishPacket(payloadSize);
    int header = p.length - payloadSize - 8; // fixed header: type byte and Remaining Length
    ByteArrayOutputStream q = new ByteArrayOutputStream();
    q.write(0x32);
    int remaining = 2 + 6 + 2 + payloadSize;
    do {
      int b = remaining % 128;
      remaining /= 128;
      q.write(remaining > 0 ? b | 0x80 : b);
    } while (remaining > 0);
    q.write(p, header, 8); // topic
    int packetId = index % 65535 + 1;
    q.write(packetId >> 8);
    q.write(packetId & 0xFF);
    byte[] payload = new byte[payloadSize];
    java.nio.ByteBuffer.wrap(payload).putInt(index);
    q.writeBytes(payload);
    return q.toByteArray();
  }

  /** Waits (at most 60 s) until {@code done}, sampling the broker's buffered outbound bytes: the most seen. */
  private long mostBufferedUntil(String what, java.util.function.BooleanSupplier done) {
    AtomicLong most = new AtomicLong();
    await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(2)).until(() -> {
      most.accumulateAndGet(broker.memoryStats().bufferedOutboundBytes(), Math::max);
      return done.getAsBoolean();
    });
    return most.get();
  }

  /** Writes {@code packets} from a thread of its own; the count of those written is in {@code written}. */
  private static Thread writer(Socket s, List<byte[]> packets, AtomicInteger written, AtomicReference<Throwable> failed) {
    Thread t = new Thread(() -> {
      try {
        OutputStream out = s.getOutputStream();
        for (byte[] p : packets) {
          out.write(p);
          written.incrementAndGet();
        }
      } catch (IOException e) {
        failed.set(e);
      }
    }, "publisher");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Reads whole PUBLISH packets (acknowledging QoS 1 ones) until none comes for a second; returns
   * their payloads' indexes.
   */
  private static List<Integer> readPublishedIndexes(Socket s) throws IOException {
    s.setSoTimeout(1000);
    java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
    List<Integer> indexes = new ArrayList<>();
    while (true) {
      Packet p;
      try {
        p = readPacket(in);
      } catch (java.net.SocketTimeoutException e) {
        return indexes;
      }
      if (p == null) {
        return indexes;
      }
      if (p.isPublish()) {
        int offset = 2 + p.topicLength() + (p.qos1() ? 2 : 0);
        indexes.add(java.nio.ByteBuffer.wrap(p.body(), offset, 4).getInt());
        if (p.qos1()) { // PUBACK: the next ones come only as the window opens
          s.getOutputStream().write(p.puback());
        }
      }
    }
  }

  /** A whole packet as read: its first byte and its body. */
  private record Packet(int type, byte[] body) {
    boolean isPublish() {
      return (type & 0xF0) == 0x30;
    }

    boolean qos1() {
      return (type & 0x06) == 0x02;
    }

    int topicLength() {
      return ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    }

    /** The PUBACK of this QoS 1 PUBLISH (MQTT 3.1.1). */
    byte[] puback() {
      return new byte[] {0x40, 0x02, body[2 + topicLength()], body[3 + topicLength()]};
    }
  }

  /** The next whole packet, or null at the end of the stream. */
  private static Packet readPacket(java.io.DataInputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    int remaining = 0;
    for (int shift = 0, b = 0x80; (b & 0x80) != 0; shift += 7) {
      b = in.readUnsignedByte();
      remaining |= (b & 0x7F) << shift;
    }
    return new Packet(type, in.readNBytes(remaining));
  }

  @Test
  void overTheHighWaterMarkAPublisherWaitsForASlowSubscriberThatKeepsTakingAndNothingIsLost() throws Exception {
    // No per-session byte bound and room for 100,000 messages: only the broker-wide mark holds.
    start(b -> b.maxQueuedMessages(100_000).outboundHighWaterMark(4 * MIB).outboundLowWaterMark(2 * MIB));
    // A subscriber that reads, slowly: about 12 MB/s at best, against a publisher on loopback.
    Socket slow = raw("slow", 0, 64 * 1024, true);
    int before = broker.stats().subscriptions();
    slow.getOutputStream().write(HexFormat.of().parseHex("820b000100066c6f61642f2300")); // load/# QoS 0
    assertThat(slow.getInputStream().readNBytes(5)).containsExactly(0x90, 0x03, 0x00, 0x01, 0x00);
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().subscriptions() > before);
    int n = 400; // 25 MiB
    byte[] packet = publishPacket(64 * 1024);
    long expected = (long) n * packet.length; // delivered as sent: QoS 0, same topic
    AtomicLong read = new AtomicLong();
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try {
        InputStream in = slow.getInputStream();
        while (read.get() < expected) {
          int r = in.read(buf);
          if (r < 0) {
            return;
          }
          read.addAndGet(r);
          Thread.sleep(5);
        }
      } catch (IOException | InterruptedException e) {
        // the test fails on the count
      }
    }, "slow reader");
    reader.setDaemon(true);
    reader.start();

    Socket publisher = raw("pub", 0);
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread writer = writer(publisher, java.util.Collections.nCopies(n, packet), written, failed);
    long maxBuffered = mostBufferedUntil("every message reached the slow subscriber", () -> read.get() == expected);
    writer.join(5000);
    Broker.MemoryStats m = broker.memoryStats();
    System.out.printf("25 MiB to a subscriber reading slowly: %d publisher pauses, at most %.1f MiB buffered "
        + "(high water mark 4 MiB)%n", m.publisherPauses(), maxBuffered / (double) MIB);
    assertThat(read.get()).as("bytes the slow subscriber got: every message").isEqualTo(expected);
    assertThat(written.get()).isEqualTo(n);
    assertThat(failed.get()).isNull();
    assertThat(m.publisherPauses()).as("the publisher waited for it").isPositive();
    assertThat(broker.stats().messagesDropped()).isZero();
    assertThat(m.stalledSessionDrops()).isZero();
    assertThat(maxBuffered).as("4 MiB and what arrives before a check").isLessThan(8L * MIB);
    // PINGREQ: the paused publisher's connection is alive.
    publisher.getOutputStream().write(new byte[] {(byte) 0xC0, 0x00});
    assertThat(publisher.getInputStream().readNBytes(2)).containsExactly(0xD0, 0x00);
    await().atMost(Duration.ofSeconds(5)).until(() -> !broker.memoryStats().overHighWaterMark());
  }

  /**
   * Over the mark, clients that subscribe to what they publish, or to what each other publish, are
   * not paused for their own sessions: the reads a pause stops carry the PUBACKs those sessions
   * wait for. Paused, a session could not catch up, turned stalled after the stall timeout and
   * dropped what its connected client was there to take (a paho client publishing 500 messages to
   * itself got 402; two publishing to each other, 264 and 600 of 900).
   */
  @Test
  void overTheHighWaterMarkClientsPublishingToThemselvesOrToEachOtherAreNotPausedForTheirOwnSessions()
      throws Exception {
    start(b -> b.maxQueuedMessages(100_000).outboundHighWaterMark(4 * MIB).outboundLowWaterMark(2 * MIB)
        .outboundStallTimeout(Duration.ofSeconds(1)));
    fillOverTheMark();

    int n = 3000;
    Mqtt3AsyncClient self = Mqtt3Client.builder().identifier("self").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildAsync();
    Mqtt3AsyncClient a = Mqtt3Client.builder().identifier("a").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildAsync();
    Mqtt3AsyncClient b = Mqtt3Client.builder().identifier("b").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildAsync();
    AtomicInteger toSelf = new AtomicInteger();
    AtomicInteger toA = new AtomicInteger();
    AtomicInteger toB = new AtomicInteger();
    for (Object[] c : new Object[][] {{self, "self/t", toSelf}, {a, "to/a", toA}, {b, "to/b", toB}}) {
      Mqtt3AsyncClient client = (Mqtt3AsyncClient) c[0];
      AtomicInteger count = (AtomicInteger) c[2];
      client.connect().get(5, TimeUnit.SECONDS);
      client.subscribeWith().topicFilter((String) c[1]).qos(MqttQos.AT_LEAST_ONCE)
          .callback(p -> count.incrementAndGet()).send().get(5, TimeUnit.SECONDS);
    }
    byte[] payload = new byte[1024];
    List<java.util.concurrent.CompletableFuture<?>> acks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      acks.add(self.publishWith().topic("self/t").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
      acks.add(a.publishWith().topic("to/b").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
      acks.add(b.publishWith().topic("to/a").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
    }
    java.util.concurrent.CompletableFuture.allOf(acks.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
        .get(60, TimeUnit.SECONDS);
    await("every message reaches its subscriber").atMost(Duration.ofSeconds(30))
        .until(() -> toSelf.get() >= n && toA.get() >= n && toB.get() >= n);
    assertThat(broker.memoryStats().overHighWaterMark()).as("still over the mark throughout").isTrue();
    assertThat(List.of(toSelf.get(), toA.get(), toB.get())).containsOnly(n);
    for (Mqtt3AsyncClient c : List.of(self, a, b)) {
      c.disconnect().get(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Over the mark, a client paused as a publisher (here for a subscriber that takes its messages
   * slowly) is read again as soon as its own session sends it QoS 1 messages: their PUBACKs come in
   * the reads the pause stops. Otherwise its session, taking nothing from the window's first 32
   * messages on, turned stalled after the stall timeout and dropped what its connected client was
   * reading and acknowledging, for as long as the slow subscriber took.
   */
  @Test
  void overTheHighWaterMarkAPausedPublisherIsReadAgainWhenItsOwnSessionAwaitsItsAcks() throws Exception {
    start(b -> b.maxQueuedMessages(100_000).outboundHighWaterMark(4 * MIB).outboundLowWaterMark(2 * MIB)
        .outboundStallTimeout(Duration.ofSeconds(1)));
    fillOverTheMark();

    // A subscriber to load/# that takes a message every 10 ms: the publisher below waits for it.
    Socket slow = raw("slow", 0, 64 * 1024, true);
    slow.getOutputStream().write(HexFormat.of().parseHex("820b000100066c6f61642f2301")); // load/# QoS 1
    AtomicInteger slowGot = new AtomicInteger();
    acker(slow, slowGot, 10);
    // The publisher also subscribes to to/a, and publishes 300 messages to load/x.
    Socket pub = raw("pub", 0, 64 * 1024, true);
    int before = broker.stats().subscriptions();
    pub.getOutputStream().write(HexFormat.of().parseHex("820900010004746f2f6101")); // to/a QoS 1
    AtomicInteger pubGot = new AtomicInteger();
    acker(pub, pubGot, 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().subscriptions() > before);
    int n = 300;
    List<byte[]> packets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      packets.add(qos1PublishPacket(i, 1024));
    }
    writer(pub, packets, new AtomicInteger(), new AtomicReference<>()).join(5000);
    await("the publisher is paused for the slow subscriber").atMost(Duration.ofSeconds(5))
        .until(() -> broker.memoryStats().publisherPauses() > 0);
    // Meanwhile 500 QoS 1 messages to to/a, more than the in-flight window of 32.
    Mqtt3BlockingClient other = client("other");
    other.connect();
    for (int i = 0; i < 500; i++) {
      other.publishWith().topic("to/a").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[100]).send();
    }
    await("the paused publisher gets all 500").atMost(Duration.ofSeconds(20)).until(() -> pubGot.get() >= 500);
    await("the slow subscriber gets all 300").atMost(Duration.ofSeconds(20)).until(() -> slowGot.get() >= n);
    assertThat(pubGot.get()).isEqualTo(500);
    assertThat(slowGot.get()).isEqualTo(n);
  }

  /**
   * Puts the broker over the mark for the rest of a test: 64 KiB messages queued for a persistent
   * session whose client is away (on {@code load/#}), 16 at a time until it stays over. Not in one
   * burst: what is handed to a session and not yet queued counts too, so a burst could cross the
   * mark with most of it still in hand, and the stalled session then dropped that and fell below
   * the low mark (1 run in 20 on a loaded machine).
   */
  private void fillOverTheMark() throws Exception {
    Mqtt3BlockingClient away = client("away");
    away.connectWith().cleanSession(false).send();
    away.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_LEAST_ONCE).send();
    away.disconnect();
    // Its session away before the filler starts: a message sent to its client is no queued byte.
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().connections() == 0);
    Socket filler = raw("filler", 0);
    long before = broker.stats().messagesReceived();
    int sent = 0;
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 16; i++) {
        filler.getOutputStream().write(qos1PublishPacket(sent++, 64 * 1024));
      }
      int expected = sent;
      await().atMost(Duration.ofSeconds(10)).until(() -> broker.stats().messagesReceived() - before >= expected);
      if (sent * 64L * 1024 <= 4 * MIB) {
        continue; // not yet over 4 MiB
      }
      try {
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> broker.memoryStats().overHighWaterMark());
        return;
      } catch (org.awaitility.core.ConditionTimeoutException notYet) {
        // below the mark, or fell back below the low one: 16 more
      }
    }
    throw new AssertionError("not over the mark after " + sent + " messages: " + broker.memoryStats());
  }

  /**
   * Reads whole packets from {@code s} on a thread of its own, counting the PUBLISHes in {@code
   * got} and acknowledging the QoS 1 ones, each after {@code millis} ms.
   */
  private static void acker(Socket s, AtomicInteger got, long millis) {
    Thread t = new Thread(() -> {
      try {
        s.setSoTimeout(0);
        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
        Packet p;
        while ((p = readPacket(in)) != null) {
          if (p.isPublish()) {
            got.incrementAndGet();
            if (p.qos1()) {
              Thread.sleep(millis);
              // One write per packet: the JDK's socket writes whole, beside another thread's writes.
              s.getOutputStream().write(p.puback());
            }
          }
        }
      } catch (IOException | InterruptedException e) {
        // the test fails on the count
      }
    }, "acker");
    t.setDaemon(true);
    t.start();
  }

  @Test
  void overTheHighWaterMarkAClientThatTakesNothingAndAnOfflineSessionDoNotHoldThePublisherTheyDropInstead()
      throws Exception {
    keepsAndDropsOverTheMark(DropPolicy.DROP_NEW);
  }

  @Test
  void overTheHighWaterMarkAStalledSessionWithDropOldestKeepsTheNewestMessages() throws Exception {
    keepsAndDropsOverTheMark(DropPolicy.DROP_OLDEST);
  }

  /**
   * A connected client that never reads and a persistent session whose client is away, both on
   * {@code load/#}, and a subscriber that keeps up, while a publisher sends 50 MiB of QoS 1 messages
   * against a 4 MiB high water mark and no per-session bound in the way. The stalled sessions stop
   * pausing the publisher after the stall timeout (the offline one at once) and drop by the policy
   * instead, so the publisher goes on and the subscriber that keeps up gets everything.
   */
  private void keepsAndDropsOverTheMark(DropPolicy policy) throws Exception {
    start(b -> b.maxQueuedMessages(100_000).outboundHighWaterMark(4 * MIB).outboundLowWaterMark(2 * MIB)
        .outboundStallTimeout(Duration.ofSeconds(1)).dropPolicy(policy));
    Socket stuck = subscriberThatNeverReads();
    Mqtt3BlockingClient away = Mqtt3Client.builder().identifier("away").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    away.connectWith().cleanSession(false).send();
    away.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_LEAST_ONCE).send();
    away.disconnect();
    Mqtt3AsyncClient fast = Mqtt3Client.builder().identifier("fast").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildAsync();
    fast.connect().get(5, TimeUnit.SECONDS);
    AtomicInteger received = new AtomicInteger();
    fast.subscribeWith().topicFilter("load/#").qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> received.incrementAndGet()).send().get(5, TimeUnit.SECONDS);
    int n = 800; // 50 MiB
    List<byte[]> packets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      packets.add(qos1PublishPacket(i, 64 * 1024));
    }
    long heapBefore = heapAfterGc(); // with the packets to send
    Socket publisher = raw("pub", 0);
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread writer = writer(publisher, packets, written, failed);
    long maxBuffered = mostBufferedUntil("the publisher goes on and the subscriber that keeps up gets everything",
        () -> received.get() == n);
    writer.join(5000);
    long heapGrowth = heapAfterGc() - heapBefore;
    Broker.MemoryStats m = broker.memoryStats();
    System.out.printf("%s: 50 MiB with a client that takes nothing and an offline session: %d of %d written, "
        + "%d received by the fast subscriber, %d publisher pauses, %d dropped for stalled sessions, at most "
        + "%.1f MiB buffered, heap +%.1f MiB%n", policy, written.get(), n, received.get(), m.publisherPauses(),
        m.stalledSessionDrops(), maxBuffered / (double) MIB, heapGrowth / (double) MIB);
    assertThat(written.get()).as("the publisher was not held for good").isEqualTo(n);
    assertThat(failed.get()).isNull();
    assertThat(received.get()).as("the subscriber that keeps up got everything").isEqualTo(n);
    assertThat(m.stalledSessionDrops()).as("the stalled sessions dropped").isGreaterThan(n);
    assertThat(maxBuffered).as("the mark held: stalled sessions did not grow past it").isLessThan(12L * MIB);
    assertThat(heapGrowth).as("heap growth").isLessThan(32L * MIB);
    assertThat(stuck.isClosed()).isFalse();

    // The offline session kept what it held when it stalled: the oldest with drop_new, the newest
    // with drop_oldest.
    Socket back = raw("away", 0, 64 * 1024, false);
    List<Integer> kept = readPublishedIndexes(back);
    System.out.printf("%s: the offline session kept %d messages, %s .. %s%n", policy, kept.size(),
        kept.isEmpty() ? "-" : kept.get(0), kept.isEmpty() ? "-" : kept.get(kept.size() - 1));
    assertThat(kept).isNotEmpty().hasSizeLessThan(n / 2).isSorted();
    if (policy == DropPolicy.DROP_NEW) {
      assertThat(kept.get(0)).isZero();
    } else {
      assertThat(kept.get(kept.size() - 1)).isEqualTo(n - 1);
    }
    fast.disconnect().get(5, TimeUnit.SECONDS);
  }
}
