package io.tern.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * MQTT encoder: {@link MqttPacket} to bytes for one protocol version. Sizes are computed first, so
 * each packet is written once into a buffer of exactly its size.
 *
 * <p>Fields a version does not have are left out: an MQTT 3.x PUBACK is just its packet id whatever
 * its reason code says; an MQTT 3.x UNSUBACK has no reason codes. Properties are written only for
 * MQTT 5.0. A packet that cannot be expressed or that the peer must refuse (a string over 65,535
 * bytes, a packet id outside 1..65,535, a QoS 1 PUBLISH without packet id, a QoS 0 PUBLISH with
 * DUP, a property value outside its range, a SUBSCRIBE without filter, AUTH before MQTT 5.0)
 * raises {@link IllegalArgumentException} before anything is written: that is a bug of the sender,
 * not of the peer. Topic names and filters are not checked here: see {@link Topics}.
 *
 * <p>The handler's version can be changed on the channel's event loop (the server sets it once the
 * CONNECT is read). Not sharable.
 */
public final class MqttEncoder extends MessageToMessageEncoder<MqttPacket> {
  private volatile MqttVersion version;

  public MqttEncoder(MqttVersion version) {
    super(MqttPacket.class);
    this.version = version;
  }

  public MqttVersion version() {
    return version;
  }

  public void setVersion(MqttVersion version) {
    this.version = version;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MqttPacket msg, List<Object> out) {
    out.add(encode(ctx.alloc(), msg, version));
  }

  /** Encodes one packet into a new buffer of exactly its size. */
  public static ByteBuf encode(ByteBufAllocator alloc, MqttPacket packet, MqttVersion version) {
    int size = encodedSize(packet, version);
    ByteBuf buf = alloc.ioBuffer(size, size);
    try {
      encode(packet, version, buf);
      return buf;
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /** The number of bytes {@link #encode(MqttPacket, MqttVersion, ByteBuf)} writes for this packet. */
  public static int encodedSize(MqttPacket packet, MqttVersion version) {
    int remaining = remainingLength(packet, version);
    return 1 + varintSize(remaining) + remaining;
  }

  /**
   * Writes a PUBLISH of {@code message} as sent to one receiver, with that receiver's QoS, RETAIN,
   * DUP and packet id, without building a packet per receiver: the broker's delivery path calls this
   * for every subscriber of a message. The message's own flags and packet id are ignored.
   */
  public static void encodePublish(
      Publish message, int qos, boolean retain, boolean dup, int packetId, MqttVersion version, ByteBuf out) {
    writePublishHeader(message, qos, retain, dup, packetId, version, out, true);
    out.writeBytes(message.payload());
  }

  /**
   * Writes all of {@link #encodePublish} but the payload: the fixed header (whose Remaining Length
   * counts the payload), the topic, the packet id and the properties. The caller writes the
   * payload's bytes next, from a buffer of its own: a server sending one large message to many
   * subscribers can then share one copy of the payload among their writes.
   */
  public static void encodePublishHeader(
      Publish message, int qos, boolean retain, boolean dup, int packetId, MqttVersion version, ByteBuf out) {
    writePublishHeader(message, qos, retain, dup, packetId, version, out, false);
  }

  /** The header of a PUBLISH, with room made for the payload after it when {@code roomForPayload}. */
  private static void writePublishHeader(Publish message, int qos, boolean retain, boolean dup, int packetId,
      MqttVersion version, ByteBuf out, boolean roomForPayload) {
    if (qos > 0 && (packetId < 1 || packetId > 0xFFFF)) {
      throw new IllegalArgumentException("QoS " + qos + " PUBLISH needs a packet id in 1..65535");
    }
    boolean v5 = version.isV5();
    byte[] payload = message.payload();
    int remaining = utf8Size(message.topic()) + (qos > 0 ? 2 : 0)
        + (v5 ? propertiesSize(message.properties()) : 0) + payload.length;
    out.ensureWritable(1 + varintSize(remaining) + remaining - (roomForPayload ? 0 : payload.length));
    out.writeByte(0x30 | (dup && qos > 0 ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0));
    writeVarint(out, remaining);
    writeUtf8(out, message.topic());
    if (qos > 0) {
      out.writeShort(packetId);
    }
    if (v5) {
      writeProperties(out, message.properties());
    }
  }

  /**
   * Writes a PUBACK, PUBREC, PUBREL or PUBCOMP without properties, as {@link #encode(MqttPacket,
   * MqttVersion, ByteBuf)} writes the packet with the same fields, without building the packet: the
   * broker acknowledges every QoS 1/2 message it receives through this.
   */
  public static void encodeAck(PacketType type, int packetId, int reasonCode, MqttVersion version, ByteBuf out) {
    if (type != PacketType.PUBACK && type != PacketType.PUBREC && type != PacketType.PUBREL
        && type != PacketType.PUBCOMP) {
      throw new IllegalArgumentException(type + " is not an acknowledgement of the PUBLISH flow");
    }
    checkPacketId(packetId);
    // Section 3.4.2.1: the reason code may be left out when it is Success (MQTT 5.0); MQTT 3.x has none.
    boolean withCode = version.isV5() && reasonCode != ReasonCodes.SUCCESS;
    if (withCode) {
      checkByte(reasonCode, type + " reason code");
    }
    out.ensureWritable(withCode ? 5 : 4);
    out.writeByte((type.value() << 4) | (type == PacketType.PUBREL ? 0x02 : 0));
    out.writeByte(withCode ? 3 : 2);
    out.writeShort(packetId);
    if (withCode) {
      out.writeByte(reasonCode);
    }
  }

  /** Writes one packet at the writer index of {@code out}. */
  public static void encode(MqttPacket packet, MqttVersion version, ByteBuf out) {
    boolean v5 = version.isV5();
    int remaining = remainingLength(packet, version);
    varintSize(remaining); // refuses a packet over 256 MB before writing anything
    switch (packet.type()) {
      case CONNECT: {
        Connect c = (Connect) packet;
        out.writeByte(0x10);
        writeVarint(out, remaining);
        MqttVersion cv = c.version();
        writeUtf8(out, cv.protocolName());
        out.writeByte(cv.level());
        int flags = (c.cleanStart() ? 0x02 : 0);
        Will w = c.will();
        if (w != null) {
          flags |= 0x04 | (w.qos() << 3) | (w.retain() ? 0x20 : 0);
        }
        flags |= (c.password() != null ? 0x40 : 0) | (c.username() != null ? 0x80 : 0);
        out.writeByte(flags);
        out.writeShort(c.keepAlive());
        if (cv.isV5()) {
          writeProperties(out, c.properties());
        }
        writeUtf8(out, c.clientId());
        if (w != null) {
          if (cv.isV5()) {
            writeProperties(out, w.properties());
          }
          writeUtf8(out, w.topic());
          writeBinary(out, w.payload());
        }
        if (c.username() != null) {
          writeUtf8(out, c.username());
        }
        if (c.password() != null) {
          writeBinary(out, c.password());
        }
        break;
      }
      case CONNACK: {
        ConnAck a = (ConnAck) packet;
        out.writeByte(0x20);
        writeVarint(out, remaining);
        out.writeByte(a.sessionPresent() ? 1 : 0);
        out.writeByte(a.reasonCode());
        if (v5) {
          writeProperties(out, a.properties());
        }
        break;
      }
      case PUBLISH: {
        Publish p = (Publish) packet;
        out.writeByte(0x30 | (p.dup() ? 0x08 : 0) | (p.qos() << 1) | (p.retain() ? 0x01 : 0));
        writeVarint(out, remaining);
        writeUtf8(out, p.topic());
        if (p.qos() > 0) {
          out.writeShort(p.packetId());
        }
        if (v5) {
          writeProperties(out, p.properties());
        }
        out.writeBytes(p.payload());
        break;
      }
      case PUBACK:
      case PUBREC:
      case PUBREL:
      case PUBCOMP: {
        int packetId;
        int reasonCode;
        MqttProperties props;
        if (packet instanceof PubAck a) {
          packetId = a.packetId(); reasonCode = a.reasonCode(); props = a.properties();
        } else if (packet instanceof PubRec r) {
          packetId = r.packetId(); reasonCode = r.reasonCode(); props = r.properties();
        } else if (packet instanceof PubRel r) {
          packetId = r.packetId(); reasonCode = r.reasonCode(); props = r.properties();
        } else {
          PubComp c = (PubComp) packet;
          packetId = c.packetId(); reasonCode = c.reasonCode(); props = c.properties();
        }
        out.writeByte((packet.type().value() << 4) | (packet.type() == PacketType.PUBREL ? 0x02 : 0));
        writeVarint(out, remaining);
        out.writeShort(packetId);
        if (v5 && remaining > 2) {
          out.writeByte(reasonCode);
          if (remaining > 3) {
            writeProperties(out, props);
          }
        }
        break;
      }
      case SUBSCRIBE: {
        Subscribe s = (Subscribe) packet;
        out.writeByte(0x82);
        writeVarint(out, remaining);
        out.writeShort(s.packetId());
        if (v5) {
          writeProperties(out, s.properties());
        }
        for (Subscription sub : s.subscriptions()) {
          writeUtf8(out, sub.filter());
          int options = sub.qos();
          if (v5) {
            options |= (sub.noLocal() ? 0x04 : 0) | (sub.retainAsPublished() ? 0x08 : 0) | (sub.retainHandling() << 4);
          }
          out.writeByte(options);
        }
        break;
      }
      case SUBACK: {
        SubAck s = (SubAck) packet;
        out.writeByte(0x90);
        writeVarint(out, remaining);
        out.writeShort(s.packetId());
        if (v5) {
          writeProperties(out, s.properties());
        }
        for (int code : s.reasonCodes()) {
          out.writeByte(code);
        }
        break;
      }
      case UNSUBSCRIBE: {
        Unsubscribe u = (Unsubscribe) packet;
        out.writeByte(0xA2);
        writeVarint(out, remaining);
        out.writeShort(u.packetId());
        if (v5) {
          writeProperties(out, u.properties());
        }
        for (String f : u.filters()) {
          writeUtf8(out, f);
        }
        break;
      }
      case UNSUBACK: {
        UnsubAck u = (UnsubAck) packet;
        out.writeByte(0xB0);
        writeVarint(out, remaining);
        out.writeShort(u.packetId());
        if (v5) {
          writeProperties(out, u.properties());
          for (int code : u.reasonCodes()) {
            out.writeByte(code);
          }
        }
        break;
      }
      case PINGREQ:
        out.writeByte(0xC0).writeByte(0);
        break;
      case PINGRESP:
        out.writeByte(0xD0).writeByte(0);
        break;
      case DISCONNECT: {
        Disconnect d = (Disconnect) packet;
        out.writeByte(0xE0);
        writeVarint(out, remaining);
        if (remaining > 0) {
          out.writeByte(d.reasonCode());
          if (remaining > 1) {
            writeProperties(out, d.properties());
          }
        }
        break;
      }
      case AUTH: {
        Auth a = (Auth) packet;
        out.writeByte(0xF0);
        writeVarint(out, remaining);
        if (remaining > 0) {
          out.writeByte(a.reasonCode());
          writeProperties(out, a.properties());
        }
        break;
      }
      default:
        throw new AssertionError(packet.type());
    }
  }

  private static int remainingLength(MqttPacket packet, MqttVersion version) {
    boolean v5 = version.isV5();
    switch (packet.type()) {
      case CONNECT: {
        Connect c = (Connect) packet;
        MqttVersion cv = c.version();
        if (!cv.isV5() && c.password() != null && c.username() == null) {
          throw new IllegalArgumentException(cv + " CONNECT with a password needs a user name"); // MQTT-3.1.2-22
        }
        int n = utf8Size(cv.protocolName()) + 1 + 1 + 2 + utf8Size(c.clientId());
        if (cv.isV5()) {
          n += propertiesSize(c.properties());
        }
        Will w = c.will();
        if (w != null) {
          n += (cv.isV5() ? propertiesSize(w.properties()) : 0) + utf8Size(w.topic()) + binarySize(w.payload());
        }
        if (c.username() != null) {
          n += utf8Size(c.username());
        }
        if (c.password() != null) {
          n += binarySize(c.password());
        }
        return n;
      }
      case CONNACK:
        checkByte(((ConnAck) packet).reasonCode(), "CONNACK reason code");
        return 2 + (v5 ? propertiesSize(((ConnAck) packet).properties()) : 0);
      case PUBLISH: {
        Publish p = (Publish) packet;
        if (p.qos() > 0 && p.packetId() == 0) {
          throw new IllegalArgumentException("QoS " + p.qos() + " PUBLISH needs a packet id");
        }
        if (p.qos() > 0) {
          checkPacketId(p.packetId());
        } else if (p.dup()) {
          throw new IllegalArgumentException("QoS 0 PUBLISH with DUP set"); // MQTT-3.3.1-2
        }
        return utf8Size(p.topic()) + (p.qos() > 0 ? 2 : 0) + (v5 ? propertiesSize(p.properties()) : 0)
            + p.payload().length;
      }
      case PUBACK:
      case PUBREC:
      case PUBREL:
      case PUBCOMP: {
        int packetId;
        int reasonCode;
        MqttProperties props;
        if (packet instanceof PubAck a) {
          packetId = a.packetId(); reasonCode = a.reasonCode(); props = a.properties();
        } else if (packet instanceof PubRec r) {
          packetId = r.packetId(); reasonCode = r.reasonCode(); props = r.properties();
        } else if (packet instanceof PubRel r) {
          packetId = r.packetId(); reasonCode = r.reasonCode(); props = r.properties();
        } else {
          PubComp c = (PubComp) packet;
          packetId = c.packetId(); reasonCode = c.reasonCode(); props = c.properties();
        }
        checkPacketId(packetId);
        if (!v5) {
          return 2;
        }
        checkByte(reasonCode, packet.type() + " reason code");
        // Section 3.4.2.1: reason code and properties may be left out when Success and none.
        if (props.isEmpty()) {
          return reasonCode == ReasonCodes.SUCCESS ? 2 : 3;
        }
        return 3 + propertiesSize(props);
      }
      case SUBSCRIBE: {
        Subscribe s = (Subscribe) packet;
        checkPacketId(s.packetId());
        checkNotEmpty(s.subscriptions(), "SUBSCRIBE without topic filter"); // MQTT-3.8.3-3
        int n = 2 + (v5 ? propertiesSize(s.properties()) : 0);
        for (Subscription sub : s.subscriptions()) {
          n += utf8Size(sub.filter()) + 1;
        }
        return n;
      }
      case SUBACK: {
        SubAck s = (SubAck) packet;
        checkPacketId(s.packetId());
        checkNotEmpty(s.reasonCodes(), "SUBACK without reason code"); // one per topic filter
        for (int code : s.reasonCodes()) {
          checkByte(code, "SUBACK reason code");
        }
        return 2 + (v5 ? propertiesSize(s.properties()) : 0) + s.reasonCodes().size();
      }
      case UNSUBSCRIBE: {
        Unsubscribe u = (Unsubscribe) packet;
        checkPacketId(u.packetId());
        checkNotEmpty(u.filters(), "UNSUBSCRIBE without topic filter"); // MQTT-3.10.3-2
        int n = 2 + (v5 ? propertiesSize(u.properties()) : 0);
        for (String f : u.filters()) {
          n += utf8Size(f);
        }
        return n;
      }
      case UNSUBACK: {
        UnsubAck u = (UnsubAck) packet;
        checkPacketId(u.packetId());
        if (!v5) {
          return 2;
        }
        checkNotEmpty(u.reasonCodes(), "MQTT 5.0 UNSUBACK without reason code"); // one per topic filter
        for (int code : u.reasonCodes()) {
          checkByte(code, "UNSUBACK reason code");
        }
        return 2 + propertiesSize(u.properties()) + u.reasonCodes().size();
      }
      case PINGREQ:
      case PINGRESP:
        return 0;
      case DISCONNECT: {
        Disconnect d = (Disconnect) packet;
        if (!v5) {
          return 0;
        }
        checkByte(d.reasonCode(), "DISCONNECT reason code");
        if (d.reasonCode() == 0 && d.properties().isEmpty()) {
          return 0;
        }
        return d.properties().isEmpty() ? 1 : 1 + propertiesSize(d.properties());
      }
      case AUTH: {
        Auth a = (Auth) packet;
        if (!v5) {
          throw new IllegalArgumentException("AUTH does not exist in " + version);
        }
        checkByte(a.reasonCode(), "AUTH reason code");
        if (a.reasonCode() == 0 && a.properties().isEmpty()) {
          return 0;
        }
        return 1 + propertiesSize(a.properties());
      }
      default:
        throw new AssertionError(packet.type());
    }
  }

  // ---------------------------------------------------------------- properties

  /** Size of a property block including its length prefix. */
  /** Every property, in the order they are written: {@code Property.values()} copies its array at each call. */
  private static final Property[] PROPERTIES = Property.values();

  static int propertiesSize(MqttProperties props) {
    int n = propertiesContentSize(props);
    return varintSize(n) + n;
  }

  private static int propertiesContentSize(MqttProperties props) {
    if (props == MqttProperties.EMPTY) {
      return 0;
    }
    int n = 0;
    for (Property p : PROPERTIES) {
      switch (p) {
        case USER_PROPERTY:
          for (UserProperty u : props.userProperties()) {
            n += 1 + utf8Size(u.name()) + utf8Size(u.value());
          }
          break;
        case SUBSCRIPTION_IDENTIFIER:
          for (int id : props.subscriptionIdentifiers()) {
            if (id < 1) {
              throw new IllegalArgumentException("Subscription Identifier " + id + " is not in 1..268,435,455");
            }
            n += 1 + varintSize(id);
          }
          break;
        default: {
          Object v = props.rawValue(p.id());
          if (v != null) {
            n += 1 + valueSize(p, v);
          }
        }
      }
    }
    return n;
  }

  /** The size of a value, after the range checks the decoder makes on the other side. */
  private static int valueSize(Property p, Object v) {
    switch (p.type()) {
      case BYTE:
        // Every byte property is a 0/1 flag (Maximum QoS included): section 3.1.2.11, 3.2.2.3.
        checkRange(p, (Integer) v, 0, 1);
        return 1;
      case TWO_BYTE_INT:
        // Receive Maximum 0 is a Protocol Error (3.1.2.11.3), Topic Alias 0 not permitted (MQTT-3.3.2-8).
        checkRange(p, (Integer) v, p == Property.RECEIVE_MAXIMUM || p == Property.TOPIC_ALIAS ? 1 : 0, 0xFFFF);
        return 2;
      case FOUR_BYTE_INT:
        checkRange(p, (Long) v, p == Property.MAXIMUM_PACKET_SIZE ? 1 : 0, 0xFFFF_FFFFL);
        return 4;
      case UTF8_STRING: return utf8Size((String) v);
      case BINARY: return binarySize((byte[]) v);
      default: throw new AssertionError(p);
    }
  }

  private static void writeProperties(ByteBuf out, MqttProperties props) {
    int n = propertiesContentSize(props);
    writeVarint(out, n);
    if (n == 0) {
      return;
    }
    for (Property p : PROPERTIES) {
      switch (p) {
        case USER_PROPERTY:
          for (UserProperty u : props.userProperties()) {
            out.writeByte(p.id());
            writeUtf8(out, u.name());
            writeUtf8(out, u.value());
          }
          break;
        case SUBSCRIPTION_IDENTIFIER:
          for (int id : props.subscriptionIdentifiers()) {
            out.writeByte(p.id());
            writeVarint(out, id);
          }
          break;
        default: {
          Object v = props.rawValue(p.id());
          if (v == null) {
            break;
          }
          out.writeByte(p.id());
          switch (p.type()) {
            case BYTE: out.writeByte((Integer) v); break;
            case TWO_BYTE_INT: out.writeShort((Integer) v); break;
            case FOUR_BYTE_INT: out.writeInt((int) (long) (Long) v); break;
            case UTF8_STRING: writeUtf8(out, (String) v); break;
            case BINARY: writeBinary(out, (byte[]) v); break;
            default: throw new AssertionError(p);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- checks

  private static void checkRange(Property p, long v, long min, long max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(p + " " + v + " is not in " + min + ".." + max);
    }
  }

  private static void checkPacketId(int packetId) {
    if (packetId < 1 || packetId > 0xFFFF) {
      throw new IllegalArgumentException("packet identifier " + packetId + " is not in 1..65535");
    }
  }

  private static void checkNotEmpty(List<?> list, String what) {
    if (list.isEmpty()) {
      throw new IllegalArgumentException(what);
    }
  }

  private static void checkByte(int value, String what) {
    if (value < 0 || value > 0xFF) {
      throw new IllegalArgumentException(what + " " + value + " does not fit a byte");
    }
  }

  // ---------------------------------------------------------------- fields

  /** Bytes of a Variable Byte Integer. */
  public static int varintSize(int value) {
    if (value < 0 || value > 268_435_455) {
      throw new IllegalArgumentException("variable byte integer out of range: " + value);
    }
    return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
  }

  static void writeVarint(ByteBuf out, int value) {
    do {
      int b = value & 0x7F;
      value >>>= 7;
      out.writeByte(value > 0 ? b | 0x80 : b);
    } while (value > 0);
  }

  private static int utf8Size(String s) {
    int n = ByteBufUtil.utf8Bytes(s);
    if (n > 0xFFFF) {
      throw new IllegalArgumentException("string of " + n + " bytes exceeds 65535");
    }
    return 2 + n;
  }

  private static void writeUtf8(ByteBuf out, String s) {
    int n = ByteBufUtil.utf8Bytes(s);
    out.writeShort(n);
    ByteBufUtil.reserveAndWriteUtf8(out, s, n);
  }

  private static int binarySize(byte[] b) {
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("binary of " + b.length + " bytes exceeds 65535");
    }
    return 2 + b.length;
  }

  private static void writeBinary(ByteBuf out, byte[] b) {
    out.writeShort(b.length);
    out.writeBytes(b);
  }
}
