package io.tern.store.rocksdb;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tern.broker.store.StoredMessage;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredSubscription;
import io.tern.broker.store.StoredWill;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
import io.tern.codec.Publish;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keys and values of the store, format 2. Keys of per-session records are the client id in UTF-8,
 * a 0 byte (which an MQTT string cannot contain, MQTT-1.5.4-2) and the record's own key, so that one
 * range delete removes a session's records. Numbers are big-endian, so that keys sort by them.
 * Messages are kept as MQTT 5 PUBLISH packets (every property preserved) behind a short header.
 *
 * <p>Each value starts with its record version. Format 2 added the expiry deadline of messages
 * (version 2 of message and queue records) and runs (the QoS 1 references one publisher read
 * queued for one session, as one record); version 1 records of format 1 are still read.
 */
final class Records {
  private Records() {}

  /** Version of session, subscription and will records (unchanged since format 1). */
  static final byte VERSION = 1;
  /** Version of message, queue and run records written now. */
  static final byte VERSION_2 = 2;

  // ---- keys

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** {@code clientId 0x00}: the start of a session's range. */
  static byte[] sessionPrefix(String clientId) {
    byte[] id = utf8(clientId);
    return Arrays.copyOf(id, id.length + 1);
  }

  /** {@code clientId 0x01}: the end (exclusive) of a session's range. */
  static byte[] sessionPrefixEnd(String clientId) {
    byte[] p = sessionPrefix(clientId);
    p[p.length - 1] = 1;
    return p;
  }

  static byte[] sessionKey(String clientId, byte[] suffix) {
    byte[] p = sessionPrefix(clientId);
    byte[] k = Arrays.copyOf(p, p.length + suffix.length);
    System.arraycopy(suffix, 0, k, p.length, suffix.length);
    return k;
  }

  static byte[] seqKey(String clientId, long seq) {
    return sessionKey(clientId, ByteBuffer.allocate(8).putLong(seq).array());
  }

  /** Writes the key of a per-session record ending in {@code seq} (a run's or a queue entry's). */
  static void writeSeqKey(ByteBuf out, String clientId, long seq) {
    ByteBufUtil.writeUtf8(out, clientId);
    out.writeByte(0);
    out.writeLong(seq);
  }

  static byte[] packetIdKey(String clientId, int packetId) {
    return sessionKey(clientId, new byte[] {(byte) (packetId >> 8), (byte) packetId});
  }

  static byte[] longKey(long id) {
    return ByteBuffer.allocate(8).putLong(id).array();
  }

  static long longOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  /** The client id of a per-session key. */
  static String clientIdOf(byte[] key) {
    int i = indexOfZero(key);
    return string(Arrays.copyOf(key, i));
  }

  /** The part of a per-session key after the client id. */
  static byte[] suffixOf(byte[] key) {
    int i = indexOfZero(key);
    return Arrays.copyOfRange(key, i + 1, key.length);
  }

  private static int indexOfZero(byte[] key) {
    for (int i = 0; i < key.length; i++) {
      if (key[i] == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("not a session key");
  }

  // ---- values

  /**
   * A session record: version, expiry interval, disconnected at, and when known the sequence number
   * its queued messages may have been sent through (appended: a Tern that does not know it reads the
   * first 17 bytes and ignores it, so no new version).
   */
  static byte[] session(long expiryInterval, long disconnectedAtMillis, long sentThroughSeq) {
    ByteBuffer b = ByteBuffer.allocate(sentThroughSeq < 0 ? 17 : 25).put(VERSION).putLong(expiryInterval)
        .putLong(disconnectedAtMillis);
    if (sentThroughSeq >= 0) {
      b.putLong(sentThroughSeq);
    }
    return b.array();
  }

  /** {expiryInterval, disconnectedAtMillis, sentThroughSeq (-1: unknown)}. */
  static long[] session(byte[] v) {
    ByteBuffer b = versioned(v, 17);
    return new long[] {b.getLong(), b.getLong(), v.length >= 25 ? b.getLong() : -1};
  }

  static byte[] subscription(StoredSubscription s) {
    int flags = (s.noLocal() ? 1 : 0) | (s.retainAsPublished() ? 2 : 0);
    return ByteBuffer.allocate(8).put(VERSION).put((byte) s.qos()).put((byte) flags).put((byte) s.retainHandling())
        .putInt(s.subscriptionId()).array();
  }

  static StoredSubscription subscription(String filter, byte[] v) {
    ByteBuffer b = versioned(v, 8);
    int qos = b.get();
    int flags = b.get();
    int rh = b.get();
    int id = b.getInt();
    check(qos >= 0 && qos <= 2 && rh >= 0 && rh <= 2, "subscription options");
    return new StoredSubscription(filter, qos, (flags & 1) != 0, (flags & 2) != 0, rh, id);
  }

  /** The reference, then its subscription ids, then the message when it is stored inline. */
  static byte[] queued(StoredQueued q) {
    byte[] inline = q.message() == null ? new byte[0] : message(q.message());
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 1 + 1 + 2 + 1 + 2 + 4 * q.subscriptionIds().size() + inline.length);
    b.put(VERSION_2).putLong(q.run()).putLong(q.messageId()).put((byte) q.qos()).put((byte) (q.retain() ? 1 : 0))
        .putShort((short) q.packetId()).put(stateFlags(q)).putShort((short) q.subscriptionIds().size());
    for (int id : q.subscriptionIds()) {
      b.putInt(id);
    }
    b.put(inline);
    return b.array();
  }

  /**
   * The state byte of a queue record: bit 0 released (QoS 2, PUBREL sent), bit 1 a retained message
   * for a new subscription (set only while queued, packet id 0: a version that knew only bit 0 read
   * any non-zero byte as released, which it ignores for a reference without a packet id).
   */
  private static byte stateFlags(StoredQueued q) {
    return (byte) ((q.released() ? 1 : 0) | (q.retainedOnSubscribe() && q.packetId() == 0 ? 2 : 0));
  }

  static StoredQueued queued(long seq, byte[] v) {
    check(v.length >= 16, "record of " + v.length + " bytes");
    int version = v[0];
    check(version == VERSION || version == VERSION_2, "record version " + version);
    ByteBuffer b = ByteBuffer.wrap(v, 1, v.length - 1);
    long run = version == VERSION ? 0 : b.getLong();
    long messageId = b.getLong();
    int qos = b.get();
    boolean retain = b.get() != 0;
    int packetId = b.getShort() & 0xFFFF;
    int state = b.get();
    boolean released = (state & 1) != 0;
    boolean onSubscribe = (state & 2) != 0 && packetId == 0;
    int n = b.getShort() & 0xFFFF;
    check(qos == 1 || qos == 2, "queued QoS");
    check(b.remaining() >= 4 * n, "queued subscription ids");
    List<Integer> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(b.getInt());
    }
    StoredMessage inline = null;
    if (b.hasRemaining()) {
      inline = message(b, b.limit());
    }
    check(inline != null || messageId != 0, "queued reference without a message");
    check(run == 0 || (run <= seq && qos == 1), "run of a queued reference");
    return new StoredQueued(seq, messageId, qos, retain, ids, packetId, released, inline, run, onSubscribe);
  }

  // ---- runs: [version 2][count: int] then per reference, in sequence order from the run's key:
  //      [flags: qos | retain << 2 | inline << 3 | retained for a new subscription << 4]
  //      [n: short][n subscription ids: int]
  //      then [length: int][message record] when inline, else [message id: long]

  /** Starts a run's value in {@code out}; {@link #endRun} writes its count. */
  static void beginRun(ByteBuf out) {
    out.clear();
    out.writeByte(VERSION_2);
    out.writeInt(0);
  }

  static void addToRun(ByteBuf out, StoredQueued q) {
    StoredMessage inline = q.message();
    out.writeByte(q.qos() | (q.retain() ? 4 : 0) | (inline != null ? 8 : 0) | (q.retainedOnSubscribe() ? 16 : 0));
    List<Integer> ids = q.subscriptionIds();
    out.writeShort(ids.size());
    for (int i = 0, n = ids.size(); i < n; i++) {
      out.writeInt(ids.get(i));
    }
    if (inline != null) {
      int at = out.writerIndex();
      out.writeInt(0);
      writeMessage(out, inline);
      out.setInt(at, out.writerIndex() - at - 4);
    } else {
      out.writeLong(q.messageId());
    }
  }

  static void endRun(ByteBuf out, int count) {
    out.setInt(1, count);
  }

  /** The references of the run stored under {@code first}. */
  static List<StoredQueued> run(long first, byte[] v) {
    ByteBuffer b = ByteBuffer.wrap(v);
    check(v.length >= 5 && b.get() == VERSION_2, "run record");
    int count = b.getInt();
    check(count > 0 && count <= v.length, "run of " + count);
    List<StoredQueued> refs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int flags = b.get();
      int qos = flags & 3;
      check(qos == 1, "QoS of a run");
      int n = b.getShort() & 0xFFFF;
      check(b.remaining() >= 4 * n, "run subscription ids");
      List<Integer> ids = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        ids.add(b.getInt());
      }
      if ((flags & 8) != 0) {
        int length = b.getInt();
        check(length > 0 && length <= b.remaining(), "run message length");
        int end = b.position() + length;
        StoredMessage m = message(b, end);
        b.position(end);
        refs.add(new StoredQueued(first + i, 0, qos, (flags & 4) != 0, ids, 0, false, m, first, (flags & 16) != 0));
      } else {
        long id = b.getLong();
        refs.add(new StoredQueued(first + i, id, qos, (flags & 4) != 0, ids, 0, false, null, first, (flags & 16) != 0));
      }
    }
    check(!b.hasRemaining(), "run record length");
    return refs;
  }

  // ---- messages: [version][has origin][origin length: short][origin][expires at: long, version 2][PUBLISH]

  static byte[] message(StoredMessage m) {
    ByteBuf out = Unpooled.buffer(m.publish().payload().length + m.publish().topic().length() + 32);
    writeMessage(out, m);
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return bytes;
  }

  static void writeMessage(ByteBuf out, StoredMessage m) {
    out.writeByte(VERSION_2);
    out.writeByte(m.origin() == null ? 0 : 1);
    int at = out.writerIndex();
    out.writeShort(0);
    if (m.origin() != null) {
      out.setShort(at, ByteBufUtil.writeUtf8(out, m.origin()));
    }
    out.writeLong(m.expiresAtMillis());
    Publish p = m.publish();
    // The packet id is not part of the message; 1 only satisfies the encoder for QoS > 0.
    MqttEncoder.encodePublish(p, p.qos(), p.retain(), false, p.qos() > 0 ? 1 : 0, MqttVersion.V5, out);
  }

  static StoredMessage message(byte[] v) {
    return message(ByteBuffer.wrap(v), v.length);
  }

  /** The message record from the position of {@code b} to {@code end}. */
  private static StoredMessage message(ByteBuffer b, int end) {
    check(end - b.position() >= 4, "message record");
    int version = b.get();
    check(version == VERSION || version == VERSION_2, "record version " + version);
    boolean hasOrigin = b.get() != 0;
    byte[] origin = new byte[b.getShort() & 0xFFFF];
    b.get(origin);
    long expiresAt = version == VERSION ? 0 : b.getLong();
    check(end > b.position(), "message record");
    byte[] publish = new byte[end - b.position()];
    b.get(publish);
    return new StoredMessage(publish(publish), hasOrigin ? string(origin) : null, expiresAt);
  }

  static byte[] will(StoredWill w) {
    byte[] publish = publish(w.will());
    return ByteBuffer.allocate(9 + publish.length).put(VERSION).putLong(w.publishAtMillis()).put(publish).array();
  }

  static StoredWill will(byte[] v) {
    ByteBuffer b = versioned(v, 9);
    long at = b.getLong();
    byte[] publish = new byte[b.remaining()];
    b.get(publish);
    return new StoredWill(publish(publish), at);
  }

  /** A PUBLISH as an MQTT 5 packet: topic, QoS, RETAIN, properties and payload in a known format. */
  private static byte[] publish(Publish p) {
    ByteBuf out = Unpooled.buffer(p.payload().length + p.topic().length() + 16);
    // The packet id is not part of the message; 1 only satisfies the encoder for QoS > 0.
    MqttEncoder.encodePublish(p, p.qos(), p.retain(), false, p.qos() > 0 ? 1 : 0, MqttVersion.V5, out);
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return bytes;
  }

  private static Publish publish(byte[] bytes) {
    MqttPacket packet = MqttDecoder.decode(Unpooled.wrappedBuffer(bytes), MqttVersion.V5, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
    check(packet instanceof Publish, "stored PUBLISH");
    Publish p = (Publish) packet;
    return p.withDelivery(p.qos(), p.retain(), false, 0);
  }

  private static ByteBuffer versioned(byte[] v, int minLength) {
    check(v.length >= minLength, "record of " + v.length + " bytes");
    check(v[0] == VERSION, "record version " + v[0]);
    return ByteBuffer.wrap(v, 1, v.length - 1);
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("bad " + what);
    }
  }
}
