package io.tern.codec;

import static io.tern.codec.MqttDecodeException.malformed;
import static io.tern.codec.MqttDecodeException.protocolError;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the variable header and payload of one packet whose fixed header and remaining length have
 * been checked. Every read is bounds-checked against the packet body: a length that runs past the
 * body is a Malformed Packet, never an {@link IndexOutOfBoundsException}.
 */
final class PacketReader {
  /** Big-endian longs out of a byte array, as {@link ByteBuf#getLong} reads them. */
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** The body of the packet being read; null between packets. */
  private ByteBuf body;
  private MqttVersion version;
  /** The decoder of the connection, which remembers its last topic name; null for one-off decodes. */
  private final MqttDecoder topics;
  /** The bytes of the last string {@link #utf8} read. */
  private byte[] lastUtf8;

  /**
   * A reader for the packets of one connection's decoder, used for each of them in turn: a reader
   * per packet cost a QoS 1 message 64 bytes of garbage (its PUBLISH and its subscriber's PUBACK)
   * until C2's escape analysis took it out of the compiled decoder.
   */
  PacketReader(MqttDecoder topics) {
    this.topics = topics;
  }

  /** Decodes the body of a packet whose first byte is {@code firstByte}. */
  static MqttPacket read(PacketType type, int firstByte, ByteBuf body, MqttVersion version) {
    return new PacketReader(null).readPacket(type, firstByte, body, version);
  }

  /** Decodes the body of a packet; not reentrant (one packet at a time, on the decoder's thread). */
  MqttPacket readPacket(PacketType type, int firstByte, ByteBuf body, MqttVersion version) {
    this.body = body;
    this.version = version;
    this.lastUtf8 = null;
    try {
      return readBody(type, firstByte);
    } finally {
      this.body = null; // the buffer goes back to its pool: hold no reference to it
      this.lastUtf8 = null;
    }
  }

  private MqttPacket readBody(PacketType type, int firstByte) {
    MqttPacket p;
    switch (type) {
      case CONNECT: return connect(); // checks its own trailing bytes: its version is its own
      case CONNACK: p = connAck(); break;
      case PUBLISH: p = publish(firstByte); break;
      case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: p = pubAckFamily(type); break;
      case SUBSCRIBE: p = subscribe(); break;
      case SUBACK: p = subAck(); break;
      case UNSUBSCRIBE: p = unsubscribe(); break;
      case UNSUBACK: p = unsubAck(); break;
      case PINGREQ: empty(type); p = PingReq.INSTANCE; break;
      case PINGRESP: empty(type); p = PingResp.INSTANCE; break;
      case DISCONNECT: p = disconnect(); break;
      case AUTH: p = auth(); break;
      default: throw new AssertionError(type);
    }
    if (body.isReadable()) {
      throw malformed(type + " has " + body.readableBytes() + " bytes after its last field");
    }
    return p;
  }

  // ---------------------------------------------------------------- packets

  private Connect connect() {
    String protocolName = utf8("protocol name");
    int level = u8();
    MqttVersion v = MqttVersion.of(protocolName, level);
    if (v == null) {
      if ("MQTT".equals(protocolName) || "MQIsdp".equals(protocolName)) {
        // MQTT-3.1.2-2: answered with CONNACK 0x01 (v3) / 0x84 (v5), then closed.
        throw new MqttDecodeException(ReasonCodes.UNSUPPORTED_PROTOCOL_VERSION, PacketType.CONNECT, null,
            "unsupported protocol level " + level + " for " + protocolName);
      }
      // MQTT-3.1.2-1: not MQTT at all; the server closes without CONNACK.
      throw new MqttDecodeException(ReasonCodes.PROTOCOL_ERROR, PacketType.CONNECT, null,
          "unknown protocol name '" + protocolName + "'");
    }
    try {
      return connectBody(v);
    } catch (MqttDecodeException e) {
      throw e.in(PacketType.CONNECT, v);
    }
  }

  private Connect connectBody(MqttVersion v) {
    int flags = u8();
    if ((flags & 0x01) != 0) {
      throw malformed("CONNECT reserved flag is set"); // MQTT-3.1.2-3
    }
    boolean cleanStart = (flags & 0x02) != 0;
    boolean willFlag = (flags & 0x04) != 0;
    int willQos = (flags >> 3) & 0x03;
    boolean willRetain = (flags & 0x20) != 0;
    boolean passwordFlag = (flags & 0x40) != 0;
    boolean usernameFlag = (flags & 0x80) != 0;
    if (willQos == 3) {
      throw malformed("CONNECT Will QoS is 3"); // MQTT-3.1.2-14
    }
    if (!willFlag && (willQos != 0 || willRetain)) {
      throw malformed("CONNECT Will QoS or Will Retain set without Will Flag"); // MQTT-3.1.2-13, -15
    }
    if (!v.isV5() && passwordFlag && !usernameFlag) {
      throw malformed("CONNECT Password Flag set without User Name Flag"); // MQTT-3.1.2-22
    }
    int keepAlive = u16();
    MqttProperties props = v.isV5() ? properties(PacketType.CONNECT, false) : MqttProperties.EMPTY;
    if (props.has(Property.AUTHENTICATION_DATA) && !props.has(Property.AUTHENTICATION_METHOD)) {
      throw protocolError("CONNECT has Authentication Data without an Authentication Method"); // v5 3.1.2.11.10
    }
    String clientId = utf8("client identifier");
    Will will = null;
    if (willFlag) {
      MqttProperties willProps = v.isV5() ? properties(PacketType.CONNECT, true) : MqttProperties.EMPTY;
      String willTopic = utf8("will topic");
      if (!Topics.isValidName(willTopic)) {
        throw new MqttDecodeException(ReasonCodes.TOPIC_NAME_INVALID, "invalid will topic '" + willTopic + "'");
      }
      byte[] willPayload = binary("will payload");
      will = new Will(willTopic, willPayload, willQos, willRetain, willProps);
    }
    String username = usernameFlag ? utf8("user name") : null;
    byte[] password = passwordFlag ? binary("password") : null;
    if (body.isReadable()) {
      throw malformed("CONNECT has " + body.readableBytes() + " bytes after its last field");
    }
    return new Connect(v, clientId, cleanStart, keepAlive, username, password, will, props);
  }

  private ConnAck connAck() {
    int flags = u8();
    if ((flags & 0xFE) != 0) {
      throw malformed("CONNACK reserved flags are set"); // MQTT-3.2.2-1
    }
    int reasonCode = u8();
    MqttProperties props = version.isV5() ? properties(PacketType.CONNACK, false) : MqttProperties.EMPTY;
    return new ConnAck((flags & 0x01) != 0, reasonCode, props);
  }

  private Publish publish(int firstByte) {
    boolean dup = (firstByte & 0x08) != 0;
    int qos = (firstByte >> 1) & 0x03;
    boolean retain = (firstByte & 0x01) != 0;
    if (qos == 0 && dup) {
      if (version != MqttVersion.V3_1) {
        throw malformed("PUBLISH QoS 0 with DUP set"); // MQTT-3.3.1-2
      }
      dup = false; // MQTT 3.1 only says DUP means nothing at QoS 0
    }
    String topic = sameTopic();
    boolean known = topic != null;
    byte[] topicBytes = null;
    if (!known) {
      topic = utf8("topic name");
      topicBytes = lastUtf8; // now: the properties' strings are read next, into the same field
    }
    int packetId = qos > 0 ? packetId() : 0;
    MqttProperties props = version.isV5() ? properties(PacketType.PUBLISH, false) : MqttProperties.EMPTY;
    if (topic.isEmpty()) {
      // MQTT 5.0 allows an empty topic when a Topic Alias stands for it (section 3.3.2.3.4).
      if (!version.isV5() || props.topicAlias() == null) {
        throw new MqttDecodeException(version.isV5() ? ReasonCodes.PROTOCOL_ERROR : ReasonCodes.TOPIC_NAME_INVALID,
            "PUBLISH with an empty topic name" + (version.isV5() ? " and no Topic Alias" : ""));
      }
    } else if (!known) {
      if (!Topics.isValidName(topic)) {
        throw new MqttDecodeException(ReasonCodes.TOPIC_NAME_INVALID,
            "PUBLISH topic name contains a wildcard: '" + topic + "'"); // MQTT-3.3.2-2
      }
      if (topics != null) {
        topics.lastTopicBytes = topicBytes;
        topics.lastTopic = topic;
      }
    }
    byte[] payload = new byte[body.readableBytes()];
    body.readBytes(payload);
    return new Publish(topic, qos, retain, dup, packetId, payload, props);
  }

  static void prepareSharedAcks() {
    SuccessAcks.prepareAll();
  }

  private MqttPacket pubAckFamily(PacketType type) {
    int packetId = packetId();
    int reasonCode = ReasonCodes.SUCCESS;
    MqttProperties props = MqttProperties.EMPTY;
    if (version.isV5()) {
      if (body.isReadable()) {
        reasonCode = reasonCode(type);
        if (body.isReadable()) {
          props = properties(type, false);
        }
      }
    }
    if (reasonCode == ReasonCodes.SUCCESS && props.isEmpty()) {
      return SuccessAcks.of(type, packetId);
    }
    return MqttPacket.ack(type, packetId, reasonCode, props);
  }

  /**
   * The acks of the PUBLISH flow with Success and no properties, by type and packet id, made on
   * first use (or all at once, {@link #prepareAll}) and shared by every decoder: immutable values,
   * like the boxed small integers. A QoS 1/2 message costs its receiver's ack no object; the tables
   * hold at most 65,535 packets a type (about 1.8 MB each when every packet id has been seen).
   */
  private static final class SuccessAcks {
    private static final MqttPacket[][] TABLES = new MqttPacket[4][];

    /** Fills every table (see {@link MqttDecoder#prepareSharedAcks}). */
    static synchronized void prepareAll() {
      for (PacketType type : new PacketType[] {PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL,
          PacketType.PUBCOMP}) {
        for (int id = 1; id <= 65535; id++) {
          of(type, id);
        }
      }
    }

    static MqttPacket of(PacketType type, int packetId) {
      int t = type.value() - PacketType.PUBACK.value(); // PUBACK, PUBREC, PUBREL, PUBCOMP: 4 to 7
      MqttPacket[] table = TABLES[t];
      if (table == null) {
        table = new MqttPacket[65536];
        TABLES[t] = table; // a race makes a second table: harmless, its entries are equal values
      }
      MqttPacket p = table[packetId];
      if (p == null) {
        // Records have final fields only: safely published through a plain array write.
        p = MqttPacket.ack(type, packetId, ReasonCodes.SUCCESS, MqttProperties.EMPTY);
        table[packetId] = p;
      }
      return p;
    }
  }

  private Subscribe subscribe() {
    int packetId = packetId();
    MqttProperties props = version.isV5() ? properties(PacketType.SUBSCRIBE, false) : MqttProperties.EMPTY;
    List<Subscription> subs = new ArrayList<>(2);
    while (body.isReadable()) {
      String filter = utf8("topic filter");
      int options = u8();
      int qos = options & 0x03;
      if (qos == 3) {
        // 3.1.1: malformed (MQTT-3-8.3-4); 5.0 section 3.8.3.1: "It is a Protocol Error if the
        // Maximum QoS field has the value 3".
        String message = "SUBSCRIBE requested QoS 3 for '" + filter + "'";
        throw version.isV5() ? protocolError(message) : malformed(message);
      }
      if (!Topics.isValidFilter(filter)) {
        throw new MqttDecodeException(ReasonCodes.TOPIC_FILTER_INVALID, "invalid topic filter '" + filter + "'");
      }
      if (version.isV5()) {
        if ((options & 0xC0) != 0) {
          throw malformed("SUBSCRIBE options reserved bits are set"); // MQTT-3.8.3-5
        }
        boolean noLocal = (options & 0x04) != 0;
        boolean retainAsPublished = (options & 0x08) != 0;
        int retainHandling = (options >> 4) & 0x03;
        if (retainHandling == 3) {
          throw protocolError("SUBSCRIBE Retain Handling is 3");
        }
        if (noLocal && Topics.isShared(filter)) {
          throw protocolError("No Local set on shared subscription '" + filter + "'"); // MQTT-3.8.3-4
        }
        subs.add(new Subscription(filter, qos, noLocal, retainAsPublished, retainHandling));
      } else {
        if ((options & 0xFC) != 0) {
          throw malformed("SUBSCRIBE requested QoS byte has reserved bits set"); // MQTT-3-8.3-4
        }
        subs.add(new Subscription(filter, qos));
      }
    }
    if (subs.isEmpty()) {
      throw protocolError("SUBSCRIBE with no topic filter"); // MQTT-3.8.3-3
    }
    return new Subscribe(packetId, subs, props);
  }

  private SubAck subAck() {
    int packetId = packetId();
    MqttProperties props = version.isV5() ? properties(PacketType.SUBACK, false) : MqttProperties.EMPTY;
    List<Integer> codes = new ArrayList<>(2);
    while (body.isReadable()) {
      codes.add(u8());
    }
    if (codes.isEmpty()) {
      throw protocolError("SUBACK with no return code");
    }
    return new SubAck(packetId, codes, props);
  }

  private Unsubscribe unsubscribe() {
    int packetId = packetId();
    MqttProperties props = version.isV5() ? properties(PacketType.UNSUBSCRIBE, false) : MqttProperties.EMPTY;
    List<String> filters = new ArrayList<>(2);
    while (body.isReadable()) {
      String filter = utf8("topic filter");
      if (!Topics.isValidFilter(filter)) {
        throw new MqttDecodeException(ReasonCodes.TOPIC_FILTER_INVALID, "invalid topic filter '" + filter + "'");
      }
      filters.add(filter);
    }
    if (filters.isEmpty()) {
      throw protocolError("UNSUBSCRIBE with no topic filter"); // MQTT-3.10.3-2
    }
    return new Unsubscribe(packetId, filters, props);
  }

  private UnsubAck unsubAck() {
    int packetId = packetId();
    if (!version.isV5()) {
      return new UnsubAck(packetId, List.of(), MqttProperties.EMPTY);
    }
    MqttProperties props = properties(PacketType.UNSUBACK, false);
    List<Integer> codes = new ArrayList<>(2);
    while (body.isReadable()) {
      codes.add(u8());
    }
    if (codes.isEmpty()) {
      throw protocolError("UNSUBACK with no reason code");
    }
    return new UnsubAck(packetId, codes, props);
  }

  private void empty(PacketType type) {
    if (body.isReadable()) {
      throw malformed(type + " must have no body");
    }
  }

  private Disconnect disconnect() {
    if (!version.isV5()) {
      empty(PacketType.DISCONNECT);
      return Disconnect.NORMAL;
    }
    if (!body.isReadable()) {
      return Disconnect.NORMAL;
    }
    int reasonCode = reasonCode(PacketType.DISCONNECT);
    MqttProperties props = body.isReadable() ? properties(PacketType.DISCONNECT, false) : MqttProperties.EMPTY;
    return new Disconnect(reasonCode, props);
  }

  private Auth auth() {
    if (!body.isReadable()) {
      return new Auth(ReasonCodes.SUCCESS, MqttProperties.EMPTY);
    }
    int reasonCode = reasonCode(PacketType.AUTH);
    MqttProperties props = body.isReadable() ? properties(PacketType.AUTH, false) : MqttProperties.EMPTY;
    return new Auth(reasonCode, props);
  }

  /** A reason code that this type of packet may carry; any other makes the packet malformed. */
  private int reasonCode(PacketType type) {
    int code = u8();
    if (!ReasonCodes.allowedIn(type, code)) {
      throw malformed(type + " with reason code 0x" + Integer.toHexString(code) + ", not one it may carry");
    }
    return code;
  }

  // ---------------------------------------------------------------- properties

  private MqttProperties properties(PacketType type, boolean will) {
    int length = varint("property length");
    need(length, "properties");
    if (length == 0) {
      return MqttProperties.EMPTY;
    }
    int end = body.readerIndex() + length;
    Object[] values = new Object[Property.MAX_ID + 1];
    List<UserProperty> userProps = null;
    List<Integer> subIds = null;
    long seen = 0;
    while (body.readerIndex() < end) {
      int id = varint("property identifier");
      Property p = Property.of(id);
      if (p == null) {
        throw malformed(String.format("unknown property identifier 0x%02X", id));
      }
      if (will ? !p.isWillProperty() : !p.allowedIn(type)) {
        throw malformed(p + " is not allowed in " + (will ? "Will Properties" : type.toString()));
      }
      if (!p.repeatable(type)) {
        long bit = 1L << id;
        if ((seen & bit) != 0) {
          throw protocolError(p + " appears more than once");
        }
        seen |= bit;
      }
      switch (p.type()) {
        case BYTE: {
          int v = u8();
          if (v > 1) { // every byte property is a 0/1 flag, Maximum QoS included
            throw protocolError(p + " must be 0 or 1, was " + v);
          }
          values[id] = v;
          break;
        }
        case TWO_BYTE_INT: {
          int v = u16();
          if (v == 0 && p == Property.RECEIVE_MAXIMUM) {
            throw protocolError("Receive Maximum is 0");
          }
          if (v == 0 && p == Property.TOPIC_ALIAS) {
            // MQTT-3.3.2-8; the receiver answers with DISCONNECT 0x94 (section 3.3.2.3.4).
            throw new MqttDecodeException(ReasonCodes.TOPIC_ALIAS_INVALID, "Topic Alias is 0");
          }
          values[id] = v;
          break;
        }
        case FOUR_BYTE_INT: {
          long v = u32();
          if (v == 0 && p == Property.MAXIMUM_PACKET_SIZE) {
            throw protocolError("Maximum Packet Size is 0");
          }
          values[id] = v;
          break;
        }
        case VARIABLE_BYTE_INT: {
          int v = varint(p.toString());
          if (v == 0) {
            throw protocolError("Subscription Identifier is 0"); // the only varint property
          }
          if (subIds == null) {
            subIds = new ArrayList<>(1);
          }
          subIds.add(v);
          break;
        }
        case UTF8_STRING: {
          String v = utf8(p.toString());
          if (p == Property.RESPONSE_TOPIC && !Topics.isValidName(v)) {
            throw protocolError("Response Topic is not a valid topic name"); // MQTT-3.3.2-14
          }
          values[id] = v;
          break;
        }
        case BINARY:
          values[id] = binary(p.toString());
          break;
        case UTF8_PAIR: {
          String name = utf8("user property name");
          String value = utf8("user property value");
          if (userProps == null) {
            userProps = new ArrayList<>(2);
          }
          userProps.add(new UserProperty(name, value));
          break;
        }
        default:
          throw new AssertionError(p);
      }
      if (body.readerIndex() > end) {
        throw malformed(p + " runs past the end of the properties");
      }
    }
    return MqttProperties.of(values, userProps, subIds, MqttEncoder.varintSize(length) + length);
  }

  // ---------------------------------------------------------------- fields

  private void need(int n, String what) {
    if (n < 0 || body.readableBytes() < n) {
      throw malformed(what + " runs past the end of the packet");
    }
  }

  private int u8() {
    need(1, "byte field");
    return body.readUnsignedByte();
  }

  private int u16() {
    need(2, "two byte integer");
    return body.readUnsignedShort();
  }

  private long u32() {
    need(4, "four byte integer");
    return body.readUnsignedInt();
  }

  private int packetId() {
    int id = u16();
    if (id == 0) {
      throw protocolError("packet identifier 0"); // MQTT-2.2.1-3 / MQTT-2.3.1-1
    }
    return id;
  }

  private int varint(String what) {
    int value = 0;
    int multiplier = 1;
    for (int i = 0; i < 4; i++) {
      int b = u8();
      value += (b & 0x7F) * multiplier;
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw malformed(what + " is not encoded in the minimum number of bytes"); // MQTT-1.5.5-1
        }
        return value;
      }
      multiplier *= 128;
    }
    throw malformed(what + " is longer than four bytes");
  }

  private byte[] binary(String what) {
    int len = u16();
    need(len, what);
    byte[] b = new byte[len];
    body.readBytes(b);
    return b;
  }

  /**
   * The topic name at the reader's position when its bytes are those of the connection's last
   * topic name, which was checked then (the reader is moved past it); otherwise null and nothing read.
   */
  private String sameTopic() {
    if (topics == null || topics.lastTopicBytes == null || body.readableBytes() < 2) {
      return null;
    }
    byte[] last = topics.lastTopicBytes;
    int n = last.length;
    int start = body.readerIndex();
    if (body.getUnsignedShort(start) != n || body.readableBytes() - 2 < n) {
      return null;
    }
    int at = start + 2;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      if (body.getLong(at + i) != (long) LONGS.get(last, i)) {
        return null;
      }
    }
    for (; i < n; i++) {
      if (body.getByte(at + i) != last[i]) {
        return null;
      }
    }
    body.skipBytes(2 + n);
    return topics.lastTopic;
  }

  /** A UTF-8 Encoded String (section 1.5.4): well-formed, no U+0000, no surrogates. */
  private String utf8(String what) {
    int len = u16();
    need(len, what);
    int start = body.readerIndex();
    // One bulk copy out of the buffer, then the checks on the array: per-byte getByte on a sliced
    // buffer (an index check and an offset each) was the largest single cost of decoding a PUBLISH.
    byte[] bytes = copy(start, len);
    boolean ascii = true;
    for (int i = 0; i < len; i++) {
      byte b = bytes[i];
      if (b <= 0) {
        if (b == 0) {
          throw malformed(what + " contains U+0000"); // MQTT-1.5.4-2
        }
        ascii = false;
      }
    }
    String s;
    if (ascii) {
      s = new String(bytes, StandardCharsets.ISO_8859_1); // ASCII: one byte per char, stored compact
    } else {
      // The JDK's decoder rejects overlong forms, encoded surrogates (MQTT-1.5.4-1) and bad sequences.
      try {
        s = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
      } catch (CharacterCodingException e) {
        throw malformed(what + " is not well-formed UTF-8");
      }
    }
    body.skipBytes(len);
    lastUtf8 = bytes;
    return s;
  }

  private byte[] copy(int start, int len) {
    byte[] b = new byte[len];
    body.getBytes(start, b);
    return b;
  }
}
