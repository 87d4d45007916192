package io.tern.store.rocksdb;

import io.netty.buffer.ByteBuf;
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
 * Keys and values of the store, format 1. Keys of per-session records are the client id in UTF-8,
 * a 0 byte (which an MQTT string cannot contain, MQTT-1.5.4-2) and the record's own key, so that one
 * range delete removes a session's records. Numbers are big-endian, so that keys sort by them.
 * Messages are kept as MQTT 5 PUBLISH packets (every property preserved) behind a short header.
 */
final class Records {
  private Records() {}

  static final byte VERSION = 1;

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

  static byte[] session(long expiryInterval, long disconnectedAtMillis) {
    return ByteBuffer.allocate(17).put(VERSION).putLong(expiryInterval).putLong(disconnectedAtMillis).array();
  }

  /** {expiryInterval, disconnectedAtMillis}. */
  static long[] session(byte[] v) {
    ByteBuffer b = versioned(v, 17);
    return new long[] {b.getLong(), b.getLong()};
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
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 1 + 1 + 2 + 1 + 2 + 4 * q.subscriptionIds().size() + inline.length);
    b.put(VERSION).putLong(q.messageId()).put((byte) q.qos()).put((byte) (q.retain() ? 1 : 0))
        .putShort((short) q.packetId()).put((byte) (q.released() ? 1 : 0)).putShort((short) q.subscriptionIds().size());
    for (int id : q.subscriptionIds()) {
      b.putInt(id);
    }
    b.put(inline);
    return b.array();
  }

  static StoredQueued queued(long seq, byte[] v) {
    ByteBuffer b = versioned(v, 16);
    long messageId = b.getLong();
    int qos = b.get();
    boolean retain = b.get() != 0;
    int packetId = b.getShort() & 0xFFFF;
    boolean released = b.get() != 0;
    int n = b.getShort() & 0xFFFF;
    check(qos == 1 || qos == 2, "queued QoS");
    check(b.remaining() >= 4 * n, "queued subscription ids");
    List<Integer> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(b.getInt());
    }
    StoredMessage inline = null;
    if (b.hasRemaining()) {
      byte[] m = new byte[b.remaining()];
      b.get(m);
      inline = message(m);
    }
    check(inline != null || messageId != 0, "queued reference without a message");
    return new StoredQueued(seq, messageId, qos, retain, ids, packetId, released, inline);
  }

  static byte[] message(StoredMessage m) {
    byte[] origin = m.origin() == null ? new byte[0] : utf8(m.origin());
    byte[] publish = publish(m.publish());
    return ByteBuffer.allocate(1 + 1 + 2 + origin.length + publish.length).put(VERSION)
        .put((byte) (m.origin() == null ? 0 : 1)).putShort((short) origin.length).put(origin).put(publish).array();
  }

  static StoredMessage message(byte[] v) {
    ByteBuffer b = versioned(v, 4);
    boolean hasOrigin = b.get() != 0;
    byte[] origin = new byte[b.getShort() & 0xFFFF];
    b.get(origin);
    byte[] publish = new byte[b.remaining()];
    b.get(publish);
    return new StoredMessage(publish(publish), hasOrigin ? string(origin) : null);
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
