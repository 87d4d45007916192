package io.tern.broker.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PubAck;
import io.tern.codec.PubComp;
import io.tern.codec.PubRec;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import io.tern.codec.UnsubAck;
import io.tern.codec.Unsubscribe;
import io.tern.codec.Will;
import java.util.Arrays;
import java.util.List;

/** Short constructors for the MQTT 3.x packets the conformance tests send and expect. */
final class Packets {
  private Packets() {}

  /** A CONNECT being built: MQTT 3.1.1, Clean Session 1, Keep Alive 60 s, no will, no credentials. */
  static ConnectBuilder connectPacket(String clientId) {
    return new ConnectBuilder(clientId);
  }

  static final class ConnectBuilder {
    private MqttVersion version = MqttVersion.V3_1_1;
    private final String clientId;
    private boolean cleanSession = true;
    private int keepAlive = 60;
    private String username;
    private byte[] password;
    private Will will;
    private MqttProperties properties = MqttProperties.EMPTY;

    private ConnectBuilder(String clientId) {
      this.clientId = clientId;
    }

    ConnectBuilder version(MqttVersion v) {
      this.version = v;
      return this;
    }

    ConnectBuilder cleanSession(boolean clean) {
      this.cleanSession = clean;
      return this;
    }

    ConnectBuilder keepAlive(int seconds) {
      this.keepAlive = seconds;
      return this;
    }

    ConnectBuilder credentials(String user, String pass) {
      this.username = user;
      this.password = pass == null ? null : pass.getBytes(UTF_8);
      return this;
    }

    ConnectBuilder will(String topic, String payload, int qos, boolean retain) {
      this.will = new Will(topic, payload.getBytes(UTF_8), qos, retain, MqttProperties.EMPTY);
      return this;
    }

    /** The CONNECT properties (MQTT 5.0). */
    ConnectBuilder properties(MqttProperties p) {
      this.properties = p;
      return this;
    }

    /** A will with properties (MQTT 5.0). */
    ConnectBuilder will(Will w) {
      this.will = w;
      return this;
    }

    MqttVersion version() {
      return version;
    }

    String clientId() {
      return clientId;
    }

    Connect build() {
      return new Connect(version, clientId, cleanSession, keepAlive, username, password, will, properties);
    }
  }

  /** An MQTT 5.0 CONNECT being built: Clean Start 1, Keep Alive 60 s, no properties. */
  static ConnectBuilder v5(String clientId) {
    return new ConnectBuilder(clientId).version(MqttVersion.V5);
  }

  static ConnAck connAck(boolean sessionPresent, int returnCode) {
    return new ConnAck(sessionPresent, returnCode);
  }

  /** A PUBLISH with RETAIN 0 and DUP 0. */
  static Publish publish(String topic, int qos, int packetId, String payload) {
    return publish(topic, qos, false, false, packetId, payload);
  }

  static Publish publish(String topic, int qos, boolean retain, boolean dup, int packetId, String payload) {
    return new Publish(topic, qos, retain, dup, packetId, payload.getBytes(UTF_8), MqttProperties.EMPTY);
  }

  static PubAck pubAck(int packetId) {
    return new PubAck(packetId);
  }

  static PubRec pubRec(int packetId) {
    return new PubRec(packetId, 0, MqttProperties.EMPTY);
  }

  static PubRel pubRel(int packetId) {
    return new PubRel(packetId, 0, MqttProperties.EMPTY);
  }

  static PubComp pubComp(int packetId) {
    return new PubComp(packetId, 0, MqttProperties.EMPTY);
  }

  static Subscription sub(String filter, int qos) {
    return new Subscription(filter, qos);
  }

  static Subscribe subscribe(int packetId, String filter, int qos) {
    return subscribe(packetId, sub(filter, qos));
  }

  static Subscribe subscribe(int packetId, Subscription... subs) {
    return new Subscribe(packetId, Arrays.asList(subs), MqttProperties.EMPTY);
  }

  static SubAck subAck(int packetId, Integer... returnCodes) {
    return new SubAck(packetId, Arrays.asList(returnCodes), MqttProperties.EMPTY);
  }

  static Unsubscribe unsubscribe(int packetId, String... filters) {
    return new Unsubscribe(packetId, Arrays.asList(filters), MqttProperties.EMPTY);
  }

  static UnsubAck unsubAck(int packetId) {
    return new UnsubAck(packetId, List.of(), MqttProperties.EMPTY);
  }

  /**
   * The bytes of a CONNECT written field by field, for CONNECTs the encoder would refuse to build:
   * any protocol name, level and flags; Keep Alive 60; each payload field as a two-byte length and
   * its UTF-8 bytes (client id, then will topic and message, user name, password as the flags say).
   */
  static byte[] rawConnect(String protocolName, int level, int flags, String... payloadFields) {
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    writeField(body, protocolName.getBytes(UTF_8));
    body.write(level);
    body.write(flags);
    body.write(0);
    body.write(60);
    for (String f : payloadFields) {
      writeField(body, f.getBytes(UTF_8));
    }
    return withFixedHeader(0x10, body.toByteArray());
  }

  /** The packet's bytes as the encoder writes them for {@code version}. */
  static byte[] bytes(io.tern.codec.MqttPacket packet, MqttVersion version) {
    io.netty.buffer.ByteBuf buf = io.tern.codec.MqttEncoder.encode(
        io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, packet, version);
    try {
      return io.netty.buffer.ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** A packet of the given first byte around a body, with its Remaining Length. */
  static byte[] withFixedHeader(int firstByte, byte[] body) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(firstByte);
    int n = body.length;
    do {
      int b = n & 0x7F;
      n >>>= 7;
      out.write(n > 0 ? b | 0x80 : b);
    } while (n > 0);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static void writeField(java.io.ByteArrayOutputStream out, byte[] b) {
    out.write(b.length >> 8);
    out.write(b.length & 0xFF);
    out.writeBytes(b);
  }

  static String text(Publish p) {
    return new String(p.payload(), UTF_8);
  }
}
