package io.tern.codec;

import static io.tern.codec.MqttVersion.V3_1;
import static io.tern.codec.MqttVersion.V3_1_1;
import static io.tern.codec.MqttVersion.V5;
import static io.tern.codec.ReasonCodes.MALFORMED_PACKET;
import static io.tern.codec.ReasonCodes.PROTOCOL_ERROR;
import static io.tern.codec.ReasonCodes.TOPIC_FILTER_INVALID;
import static io.tern.codec.ReasonCodes.TOPIC_NAME_INVALID;
import static io.tern.codec.ReasonCodes.UNSUPPORTED_PROTOCOL_VERSION;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalogue of test packets: raw bytes written by hand from the MQTT 3.1, 3.1.1 and 5.0 specs,
 * beside the packet they decode to or the reason code of the error they must raise (in the spirit
 * of Mochi MQTT's {@code tpackets.go}). Shared by the codec tests and, later, the broker's tests:
 * every new rule adds a row here.
 *
 * <p>Bytes are written with {@link #hex(String...)}: two-digit hex bytes, and {@code 'text'} for
 * ASCII text, so that every length prefix stays visible, e.g. {@code "00 04 'MQTT'"}.
 *
 * <pre>{@code
 * for (TestPackets.Row row : TestPackets.VALID) {
 *   MqttPacket p = MqttDecoder.decode(Unpooled.wrappedBuffer(row.bytes()), row.version(), max);
 *   assertThat(p).isEqualTo(row.packet());
 * }
 * }</pre>
 */
public final class TestPackets {
  private TestPackets() {}

  /**
   * One catalogue row.
   *
   * @param name unique; for an error row {@code "<rule>: <detail>"}, the rule naming the
   *     malformation a test checks
   * @param version the version the decoder runs with; {@code null} for a server-side decoder that
   *     has not seen a CONNECT yet (CONNECT rows carry their own version)
   * @param packet the decoded packet, or {@code null} for an error row
   * @param reasonCode for an error row, the {@link MqttDecodeException#reasonCode()}
   * @param canonical true when encoding {@code packet} gives exactly these bytes back
   */
  public record Row(String name, MqttVersion version, byte[] bytes, MqttPacket packet, int reasonCode, boolean canonical) {
    public boolean isValid() {
      return packet != null;
    }

    /** A copy of the raw bytes. */
    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    /** The size of the row, without copying. */
    public int length() {
      return bytes.length;
    }

    /** For an error row, the rule part of its name. */
    public String rule() {
      int colon = name.indexOf(':');
      return colon < 0 ? name : name.substring(0, colon);
    }

    /** The version the packet's own bytes speak: the row's, or for a CONNECT the one it carries. */
    public MqttVersion packetVersion() {
      return packet instanceof Connect c ? c.version() : version;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final Map<String, Row> BY_NAME = new LinkedHashMap<>();

  // --------------------------------------------------------------------------------------------
  // Shared values
  // --------------------------------------------------------------------------------------------

  private static final MqttProperties EMPTY = MqttProperties.EMPTY;
  private static final MqttProperties USER_KV = MqttProperties.builder().userProperty("k", "v").build();
  private static final MqttProperties REASON_OK_USER_KV =
      MqttProperties.builder().reasonString("ok").userProperty("k", "v").build();

  // --------------------------------------------------------------------------------------------
  // MQTT 3.1 and 3.1.1
  // --------------------------------------------------------------------------------------------

  static {
    // CONNECT, MQTT 3.1.1 section 3.1; MQTT 3.1 uses protocol name MQIsdp and level 3.
    valid("3.1.1 CONNECT clean session, client id", V3_1_1,
        hex("10 10",                   // CONNECT, remaining length 16
            "00 04 'MQTT' 04",          // protocol name, level 4
            "02 00 3C",                 // flags: clean session; keep alive 60
            "00 04 'tern'"),            // client identifier
        new Connect(V3_1_1, "tern", true, 60, null, null, null, EMPTY));
    valid("3.1.1 CONNECT empty client id", V3_1_1,
        hex("10 0C 00 04 'MQTT' 04 02 00 00 00 00"),
        new Connect(V3_1_1, "", true, 0, null, null, null, EMPTY));
    valid("3.1.1 CONNECT will QoS 1 retained, user name, password", V3_1_1,
        hex("10 27 00 04 'MQTT' 04",
            "EE 00 0A",                 // user name, password, will retain, will QoS 1, will, clean
            "00 04 'tern'",
            "00 05 'a/b/c'",            // will topic
            "00 03 'bye'",              // will payload
            "00 04 'user'",
            "00 03 01 02 03"),          // password
        new Connect(V3_1_1, "tern", true, 10, "user", new byte[] {1, 2, 3},
            new Will("a/b/c", b("bye"), 1, true, EMPTY), EMPTY));
    valid("3.1.1 CONNECT will QoS 2, persistent session", V3_1_1,
        hex("10 13 00 04 'MQTT' 04 14 FF FF 00 02 'c1' 00 01 't' 00 00"),
        new Connect(V3_1_1, "c1", false, 65535, null, null, new Will("t", new byte[0], 2, false, EMPTY), EMPTY));
    valid("3.1.1 CONNECT user name without password", V3_1_1,
        hex("10 16 00 04 'MQTT' 04 82 00 3C 00 04 'tern' 00 04 'user'"),
        new Connect(V3_1_1, "tern", true, 60, "user", null, null, EMPTY));
    valid("3.1.1 CONNECT UTF-8 client id", V3_1_1,
        hex("10 15 00 04 'MQTT' 04 02 00 3C 00 09 C3 BC E2 82 AC F0 9F 98 80"), // "ü€😀"
        new Connect(V3_1_1, "ü€\uD83D\uDE00", true, 60, null, null, null, EMPTY));
    valid("3.1 CONNECT clean session, client id", V3_1,
        hex("10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'tern'"),
        new Connect(V3_1, "tern", true, 60, null, null, null, EMPTY));
    valid("3.1 CONNECT will QoS 1 retained, user name, password", V3_1,
        hex("10 29 00 06 'MQIsdp' 03 EE 00 0A 00 04 'tern' 00 05 'a/b/c' 00 03 'bye' 00 04 'user' 00 03 01 02 03"),
        new Connect(V3_1, "tern", true, 10, "user", new byte[] {1, 2, 3},
            new Will("a/b/c", b("bye"), 1, true, EMPTY), EMPTY));

    // CONNACK (3.1: the first byte is reserved, 0)
    valid("3.1.1 CONNACK accepted", V3_1_1, hex("20 02 00 00"), new ConnAck(false, 0));
    valid("3.1.1 CONNACK session present", V3_1_1, hex("20 02 01 00"), new ConnAck(true, 0));
    valid("3.1.1 CONNACK not authorized", V3_1_1, hex("20 02 00 05"), new ConnAck(false, ReasonCodes.V3_NOT_AUTHORIZED));
    valid("3.1 CONNACK accepted", V3_1, hex("20 02 00 00"), new ConnAck(false, 0));
    valid("3.1 CONNACK unacceptable protocol version", V3_1, hex("20 02 00 01"),
        new ConnAck(false, ReasonCodes.V3_UNACCEPTABLE_PROTOCOL_VERSION));

    // The rest is the same on the wire in 3.1 and 3.1.1.
    v3("PUBLISH QoS 0", hex("30 0C 00 05 'a/b/c' 'hello'"),
        new Publish("a/b/c", 0, false, false, 0, b("hello"), EMPTY));
    v3("PUBLISH QoS 0 retained, empty payload", hex("31 07 00 05 'a/b/c'"),
        new Publish("a/b/c", 0, true, false, 0, new byte[0], EMPTY));
    v3("PUBLISH QoS 1", hex("32 0E 00 05 'a/b/c' 00 07 'hello'"),
        new Publish("a/b/c", 1, false, false, 7, b("hello"), EMPTY));
    v3("PUBLISH QoS 1 DUP", hex("3A 0E 00 05 'a/b/c' 00 07 'hello'"),
        new Publish("a/b/c", 1, false, true, 7, b("hello"), EMPTY));
    v3("PUBLISH QoS 2 DUP retained", hex("3D 0E 00 05 'a/b/c' 12 34 'hello'"),
        new Publish("a/b/c", 2, true, true, 0x1234, b("hello"), EMPTY));
    v3("PUBLISH UTF-8 topic, binary payload", hex("30 0D 00 08 C3 BC 2F F0 9F 98 80 2F 00 FF 80"),
        new Publish("ü/\uD83D\uDE00/", 0, false, false, 0, new byte[] {0, (byte) 0xFF, (byte) 0x80}, EMPTY));
    v3("PUBLISH $SYS topic, levels with spaces", hex("30 0F 00 0D '$SYS/a b/ /x/'"),
        new Publish("$SYS/a b/ /x/", 0, false, false, 0, new byte[0], EMPTY));
    v3("PUBACK", hex("40 02 00 01"), new PubAck(1));
    v3("PUBREC", hex("50 02 FF FF"), new PubRec(65535));
    v3("PUBREL", hex("62 02 00 02"), new PubRel(2));
    v3("PUBCOMP", hex("70 02 00 03"), new PubComp(3));
    v3("SUBSCRIBE one filter", hex("82 0A 00 01 00 05 'a/b/c' 01"),
        new Subscribe(1, List.of(new Subscription("a/b/c", 1)), EMPTY));
    v3("SUBSCRIBE wildcard filters", hex("82 12 00 0A 00 03 'a/#' 00 00 03 '+/b' 02 00 01 '#' 00"),
        new Subscribe(10, List.of(new Subscription("a/#", 0), new Subscription("+/b", 2), new Subscription("#", 0)), EMPTY));
    v3("SUBACK", hex("90 05 00 0A 00 02 80"), new SubAck(10, List.of(0, 2, 0x80), EMPTY));
    v3("UNSUBSCRIBE", hex("A2 0C 00 0B 00 03 'a/#' 00 03 '+/b'"),
        new Unsubscribe(11, List.of("a/#", "+/b"), EMPTY));
    v3("UNSUBACK", hex("B0 02 00 0B"), new UnsubAck(11, List.of(), EMPTY));
    v3("PINGREQ", hex("C0 00"), PingReq.INSTANCE);
    v3("PINGRESP", hex("D0 00"), PingResp.INSTANCE);
    v3("DISCONNECT", hex("E0 00"), Disconnect.NORMAL);
    // MQTT 3.1 sets DUP on a PUBREL, SUBSCRIBE or UNSUBSCRIBE it sends again (3.1 section 2.1;
    // 3.1.1 reserved the bit), and has no rule against it at QoS 0, where it means nothing.
    valid("3.1 PUBREL DUP", V3_1, hex("6A 02 00 02"), new PubRel(2), false);
    valid("3.1 SUBSCRIBE DUP", V3_1, hex("8A 0A 00 01 00 05 'a/b/c' 01"),
        new Subscribe(1, List.of(new Subscription("a/b/c", 1)), EMPTY), false);
    valid("3.1 UNSUBSCRIBE DUP", V3_1, hex("AA 07 00 0B 00 03 'a/#'"), new Unsubscribe(11, List.of("a/#"), EMPTY), false);
    valid("3.1 PUBLISH QoS 0 DUP", V3_1, hex("38 0C 00 05 'a/b/c' 'hello'"),
        new Publish("a/b/c", 0, false, false, 0, b("hello"), EMPTY), false);

    // Remaining Length at the edges of its 1, 2, 3 and 4 byte forms (section 2.2.3 / 2.1.4).
    large(V3_1_1, 127, "7F");
    large(V3_1_1, 128, "80 01");
    large(V3_1_1, 16_383, "FF 7F");
    large(V3_1_1, 16_384, "80 80 01");
    large(V3_1_1, 2_097_151, "FF FF 7F");
    large(V3_1_1, 2_097_152, "80 80 80 01");
  }

  // --------------------------------------------------------------------------------------------
  // MQTT 5.0
  // --------------------------------------------------------------------------------------------

  static {
    valid("5.0 CONNECT clean start, client id", V5,
        hex("10 11 00 04 'MQTT' 05 02 00 3C",
            "00",                       // property length
            "00 04 'tern'"),
        new Connect(V5, "tern", true, 60, null, null, null, EMPTY));
    valid("5.0 CONNECT every property, will with every will property", V5,
        hex("10 84 01",                 // remaining length 132
            "00 04 'MQTT' 05",
            "CE 00 1E",                 // user name, password, will QoS 1, will, clean start; keep alive 30
            "2F",                       // property length 47
            "11 00 00 0E 10",           //   Session Expiry Interval 3600
            "15 00 05 'SCRAM'",         //   Authentication Method
            "16 00 02 01 02",           //   Authentication Data
            "17 00",                    //   Request Problem Information 0
            "19 01",                    //   Request Response Information 1
            "21 00 14",                 //   Receive Maximum 20
            "22 00 0A",                 //   Topic Alias Maximum 10
            "26 00 01 'k' 00 01 'v'",   //   User Property k=v
            "26 00 01 'k' 00 01 'w'",   //   User Property k=w (same name again)
            "27 00 00 10 00",           //   Maximum Packet Size 4096
            "00 04 'tern'",             // client identifier
            "2D",                       // will property length 45
            "01 01",                    //   Payload Format Indicator 1
            "02 00 00 00 3C",           //   Message Expiry Interval 60
            "03 00 0A 'text/plain'",    //   Content Type
            "08 00 05 'reply'",         //   Response Topic
            "09 00 02 CA FE",           //   Correlation Data
            "18 00 00 00 05",           //   Will Delay Interval 5
            "26 00 01 'a' 00 01 'b'",   //   User Property
            "00 05 'a/b/c'",            // will topic
            "00 03 'bye'",              // will payload
            "00 04 'user'",
            "00 02 'pw'"),
        new Connect(V5, "tern", true, 30, "user", b("pw"),
            new Will("a/b/c", b("bye"), 1, false, MqttProperties.builder()
                .set(Property.PAYLOAD_FORMAT_INDICATOR, 1)
                .messageExpiryInterval(60)
                .set(Property.CONTENT_TYPE, "text/plain")
                .set(Property.RESPONSE_TOPIC, "reply")
                .set(Property.CORRELATION_DATA, new byte[] {(byte) 0xCA, (byte) 0xFE})
                .set(Property.WILL_DELAY_INTERVAL, 5L)
                .userProperty("a", "b")
                .build()),
            MqttProperties.builder()
                .sessionExpiryInterval(3600)
                .set(Property.AUTHENTICATION_METHOD, "SCRAM")
                .set(Property.AUTHENTICATION_DATA, new byte[] {1, 2})
                .set(Property.REQUEST_PROBLEM_INFORMATION, 0)
                .set(Property.REQUEST_RESPONSE_INFORMATION, 1)
                .receiveMaximum(20)
                .set(Property.TOPIC_ALIAS_MAXIMUM, 10)
                .userProperty("k", "v")
                .userProperty("k", "w")
                .maximumPacketSize(4096)
                .build()));
    valid("5.0 CONNECT password without user name", V5,
        hex("10 15 00 04 'MQTT' 05 42 00 3C 00 00 04 'tern' 00 02 'pw'"),
        new Connect(V5, "tern", true, 60, null, b("pw"), null, EMPTY));
    valid("5.0 CONNECT will QoS 2 retained, no will properties", V5,
        hex("10 16 00 04 'MQTT' 05 34 00 00 00 00 00 00 00 01 't' 00 03 01 02 03"),
        new Connect(V5, "", false, 0, null, null, new Will("t", new byte[] {1, 2, 3}, 2, true, EMPTY), EMPTY));

    valid("5.0 CONNACK success", V5, hex("20 03 00 00 00"), new ConnAck(false, 0, EMPTY));
    valid("5.0 CONNACK not authorized", V5, hex("20 03 00 87 00"), new ConnAck(false, ReasonCodes.NOT_AUTHORIZED, EMPTY));
    valid("5.0 CONNACK every property", V5,
        hex("20 4D 01 00",              // session present, success
            "4A",                       // property length 74
            "11 00 00 00 78",           //   Session Expiry Interval 120
            "12 00 03 'abc'",           //   Assigned Client Identifier
            "13 00 3C",                 //   Server Keep Alive 60
            "15 00 05 'SCRAM'",         //   Authentication Method
            "16 00 01 FF",              //   Authentication Data
            "1A 00 04 'resp'",          //   Response Information
            "1C 00 05 'other'",         //   Server Reference
            "1F 00 02 'ok'",            //   Reason String
            "21 00 0A",                 //   Receive Maximum 10
            "22 00 05",                 //   Topic Alias Maximum 5
            "24 01",                    //   Maximum QoS 1
            "25 00",                    //   Retain Available 0
            "26 00 01 'k' 00 01 'v'",   //   User Property
            "27 00 01 00 00",           //   Maximum Packet Size 65536
            "28 01",                    //   Wildcard Subscription Available
            "29 00",                    //   Subscription Identifier Available
            "2A 01"),                   //   Shared Subscription Available
        new ConnAck(true, 0, MqttProperties.builder()
            .sessionExpiryInterval(120)
            .set(Property.ASSIGNED_CLIENT_IDENTIFIER, "abc")
            .set(Property.SERVER_KEEP_ALIVE, 60)
            .set(Property.AUTHENTICATION_METHOD, "SCRAM")
            .set(Property.AUTHENTICATION_DATA, new byte[] {(byte) 0xFF})
            .set(Property.RESPONSE_INFORMATION, "resp")
            .set(Property.SERVER_REFERENCE, "other")
            .reasonString("ok")
            .receiveMaximum(10)
            .set(Property.TOPIC_ALIAS_MAXIMUM, 5)
            .set(Property.MAXIMUM_QOS, 1)
            .set(Property.RETAIN_AVAILABLE, 0)
            .userProperty("k", "v")
            .maximumPacketSize(65536)
            .set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, 1)
            .set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0)
            .set(Property.SHARED_SUBSCRIPTION_AVAILABLE, 1)
            .build()));

    valid("5.0 PUBLISH QoS 0", V5, hex("30 0D 00 05 'a/b/c' 00 'hello'"),
        new Publish("a/b/c", 0, false, false, 0, b("hello"), EMPTY));
    valid("5.0 PUBLISH QoS 2 retained", V5, hex("35 0A 00 03 'a/b' 00 09 00 'xy'"),
        new Publish("a/b", 2, true, false, 9, b("xy"), EMPTY));
    valid("5.0 PUBLISH every property, three subscription identifiers", V5,
        hex("32 43 00 05 'a/b/c' 00 01",
            "37",                       // property length 55
            "01 01",                    //   Payload Format Indicator 1
            "02 00 00 0E 10",           //   Message Expiry Interval 3600
            "03 00 04 'json'",          //   Content Type
            "08 00 05 'reply'",         //   Response Topic
            "09 00 03 01 02 03",        //   Correlation Data
            "0B 01",                    //   Subscription Identifier 1
            "0B 80 01",                 //   Subscription Identifier 128
            "0B FF FF FF 7F",           //   Subscription Identifier 268,435,455
            "23 00 05",                 //   Topic Alias 5
            "26 00 01 'k' 00 01 'v'",   //   User Property
            "26 00 01 'k' 00 01 'v'",   //   the same User Property again
            "'hi'"),                    // payload
        new Publish("a/b/c", 1, false, false, 1, b("hi"), MqttProperties.builder()
            .set(Property.PAYLOAD_FORMAT_INDICATOR, 1)
            .messageExpiryInterval(3600)
            .set(Property.CONTENT_TYPE, "json")
            .set(Property.RESPONSE_TOPIC, "reply")
            .set(Property.CORRELATION_DATA, new byte[] {1, 2, 3})
            .subscriptionIdentifier(1)
            .subscriptionIdentifier(128)
            .subscriptionIdentifier(268_435_455)
            .topicAlias(5)
            .userProperty("k", "v")
            .userProperty("k", "v")
            .build()));
    valid("5.0 PUBLISH empty topic with Topic Alias", V5, hex("30 07 00 00 03 23 00 01 'x'"),
        new Publish("", 0, false, false, 0, b("x"), MqttProperties.builder().topicAlias(1).build()));
    valid("5.0 PUBLISH properties out of identifier order", V5,
        hex("30 14 00 03 'a/b' 0E 23 00 02 26 00 01 'k' 00 00 02 00 00 00 0A"),
        new Publish("a/b", 0, false, false, 0, new byte[0],
            MqttProperties.builder().topicAlias(2).userProperty("k", "").messageExpiryInterval(10).build()),
        false);

    // PUBACK family: Reason Code and Properties may be left out (section 3.4.2.1 and alike).
    valid("5.0 PUBACK remaining length 2", V5, hex("40 02 00 01"), new PubAck(1));
    valid("5.0 PUBACK remaining length 3", V5, hex("40 03 00 01 10"),
        new PubAck(1, ReasonCodes.NO_MATCHING_SUBSCRIBERS, EMPTY));
    valid("5.0 PUBACK remaining length 3, success", V5, hex("40 03 00 01 00"), new PubAck(1), false);
    valid("5.0 PUBACK remaining length 4, no properties", V5, hex("40 04 00 01 10 00"),
        new PubAck(1, ReasonCodes.NO_MATCHING_SUBSCRIBERS, EMPTY), false);
    valid("5.0 PUBACK reason string, user property", V5,
        hex("40 12 00 01 10 0E 1F 00 04 'none' 26 00 01 'k' 00 01 'v'"),
        new PubAck(1, ReasonCodes.NO_MATCHING_SUBSCRIBERS,
            MqttProperties.builder().reasonString("none").userProperty("k", "v").build()));
    valid("5.0 PUBACK success with properties", V5, hex("40 0A 00 01 00 06 1F 00 03 'yes'"),
        new PubAck(1, 0, MqttProperties.builder().reasonString("yes").build()));
    valid("5.0 PUBREC remaining length 2", V5, hex("50 02 00 02"), new PubRec(2));
    valid("5.0 PUBREC remaining length 3", V5, hex("50 03 00 02 80"), new PubRec(2, ReasonCodes.UNSPECIFIED_ERROR, EMPTY));
    valid("5.0 PUBREC reason string, user property", V5, hex("50 10 00 02 97 0C 1F 00 02 'ok' 26 00 01 'k' 00 01 'v'"),
        new PubRec(2, ReasonCodes.QUOTA_EXCEEDED, REASON_OK_USER_KV));
    valid("5.0 PUBREL remaining length 2", V5, hex("62 02 00 03"), new PubRel(3));
    valid("5.0 PUBREL remaining length 3", V5, hex("62 03 00 03 92"),
        new PubRel(3, ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND, EMPTY));
    valid("5.0 PUBREL reason string, user property", V5, hex("62 10 00 03 92 0C 1F 00 02 'ok' 26 00 01 'k' 00 01 'v'"),
        new PubRel(3, ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND, REASON_OK_USER_KV));
    valid("5.0 PUBCOMP remaining length 2", V5, hex("70 02 00 04"), new PubComp(4));
    valid("5.0 PUBCOMP remaining length 3", V5, hex("70 03 00 04 92"),
        new PubComp(4, ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND, EMPTY));
    valid("5.0 PUBCOMP reason string, user property", V5, hex("70 10 00 04 00 0C 1F 00 02 'ok' 26 00 01 'k' 00 01 'v'"),
        new PubComp(4, 0, REASON_OK_USER_KV));

    valid("5.0 SUBSCRIBE one filter", V5, hex("82 0B 00 01 00 00 05 'sport' 00"),
        new Subscribe(1, List.of(new Subscription("sport", 0)), EMPTY));
    valid("5.0 SUBSCRIBE options, shared subscription, properties", V5,
        hex("82 29 00 0C",
            "09 0B 0A 26 00 01 'k' 00 01 'v'",     // Subscription Identifier 10, User Property
            "00 05 'a/b/c' 01",                    // QoS 1
            "00 03 'a/#' 2E",                      // QoS 2, No Local, Retain As Published, Retain Handling 2
            "00 0C '$share/g/x/+' 11"),            // QoS 1, Retain Handling 1
        new Subscribe(12, List.of(
                new Subscription("a/b/c", 1),
                new Subscription("a/#", 2, true, true, 2),
                new Subscription("$share/g/x/+", 1, false, false, 1)),
            MqttProperties.builder().subscriptionIdentifier(10).userProperty("k", "v").build()));
    valid("5.0 SUBACK one reason code", V5, hex("90 04 00 01 00 01"), new SubAck(1, List.of(1), EMPTY));
    valid("5.0 SUBACK reason codes, properties", V5,
        hex("90 18 00 0C 0C 1F 00 02 'ok' 26 00 01 'k' 00 01 'v' 00 01 02 80 87 8F 9E A1 A2"),
        new SubAck(12, List.of(0, 1, 2, 0x80, 0x87, 0x8F, 0x9E, 0xA1, 0xA2), REASON_OK_USER_KV));
    valid("5.0 UNSUBSCRIBE one filter", V5, hex("A2 06 00 01 00 00 01 '#'"),
        new Unsubscribe(1, List.of("#"), EMPTY));
    valid("5.0 UNSUBSCRIBE filters, user property", V5,
        hex("A2 1B 00 0D 07 26 00 01 'k' 00 01 'v' 00 03 'a/#' 00 0A '$share/g/#'"),
        new Unsubscribe(13, List.of("a/#", "$share/g/#"), USER_KV));
    valid("5.0 UNSUBACK one reason code", V5, hex("B0 04 00 01 00 00"), new UnsubAck(1, List.of(0), EMPTY));
    valid("5.0 UNSUBACK reason codes, properties", V5,
        hex("B0 11 00 0D 0C 1F 00 02 'ok' 26 00 01 'k' 00 01 'v' 00 11"),
        new UnsubAck(13, List.of(0, ReasonCodes.NO_SUBSCRIPTION_EXISTED), REASON_OK_USER_KV));
    valid("5.0 PINGREQ", V5, hex("C0 00"), PingReq.INSTANCE);
    valid("5.0 PINGRESP", V5, hex("D0 00"), PingResp.INSTANCE);

    // DISCONNECT: reason code and properties may be left out (section 3.14.2.1).
    valid("5.0 DISCONNECT remaining length 0", V5, hex("E0 00"), Disconnect.NORMAL);
    valid("5.0 DISCONNECT remaining length 1", V5, hex("E0 01 04"),
        new Disconnect(ReasonCodes.DISCONNECT_WITH_WILL_MESSAGE));
    valid("5.0 DISCONNECT remaining length 1, normal", V5, hex("E0 01 00"), Disconnect.NORMAL, false);
    valid("5.0 DISCONNECT remaining length 2, no properties", V5, hex("E0 02 8E 00"),
        new Disconnect(ReasonCodes.SESSION_TAKEN_OVER), false);
    valid("5.0 DISCONNECT every property", V5,
        hex("E0 1D 9C 1B",
            "11 00 00 00 00",           // Session Expiry Interval 0
            "1C 00 05 'other'",         // Server Reference
            "1F 00 04 'bye!'",          // Reason String
            "26 00 01 'k' 00 01 'v'"),  // User Property
        new Disconnect(ReasonCodes.USE_ANOTHER_SERVER, MqttProperties.builder()
            .sessionExpiryInterval(0)
            .set(Property.SERVER_REFERENCE, "other")
            .reasonString("bye!")
            .userProperty("k", "v")
            .build()));

    // AUTH (section 3.15): empty means Success without properties.
    valid("5.0 AUTH empty", V5, hex("F0 00"), new Auth(0, EMPTY));
    valid("5.0 AUTH re-authenticate, no properties", V5, hex("F0 02 19 00"), new Auth(ReasonCodes.RE_AUTHENTICATE, EMPTY));
    valid("5.0 AUTH reason code only", V5, hex("F0 01 18"), new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, EMPTY), false);
    valid("5.0 AUTH every property", V5,
        hex("F0 1F 18 1D",
            "15 00 05 'SCRAM'",         // Authentication Method
            "16 00 04 01 02 03 04",     // Authentication Data
            "1F 00 04 'more'",          // Reason String
            "26 00 01 'k' 00 01 'v'"),  // User Property
        new Auth(ReasonCodes.CONTINUE_AUTHENTICATION, MqttProperties.builder()
            .set(Property.AUTHENTICATION_METHOD, "SCRAM")
            .set(Property.AUTHENTICATION_DATA, new byte[] {1, 2, 3, 4})
            .reasonString("more")
            .userProperty("k", "v")
            .build()));

    large(V5, 128, "80 01");
    large(V5, 16_384, "80 80 01");
    large(V5, 2_097_152, "80 80 80 01");
  }

  // --------------------------------------------------------------------------------------------
  // Malformed packets and protocol errors. Name: "<rule>: <detail>".
  // --------------------------------------------------------------------------------------------

  static {
    // Fixed header flags (section 2.1.3 / 2.2.2): reserved bits must carry the listed values.
    error("fixed header flags: 3.1.1 CONNECT 0001", null, hex("11 0C 00 04 'MQTT' 04 02 00 00 00 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 CONNACK 0001", V3_1_1, hex("21 02 00 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PUBACK 0001", V3_1_1, hex("41 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PUBREC 1000", V3_1_1, hex("58 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PUBREL 0000", V3_1_1, hex("60 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PUBREL 0011", V3_1_1, hex("63 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PUBCOMP 0010", V3_1_1, hex("72 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 SUBSCRIBE 0000", V3_1_1, hex("80 08 00 01 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 SUBSCRIBE 1010", V3_1_1, hex("8A 08 00 01 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 SUBACK 0001", V3_1_1, hex("91 03 00 01 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 UNSUBSCRIBE 0000", V3_1_1, hex("A0 07 00 01 00 03 'a/b'"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 UNSUBSCRIBE 0011", V3_1_1, hex("A3 07 00 01 00 03 'a/b'"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 UNSUBACK 0100", V3_1_1, hex("B4 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PINGREQ 0001", V3_1_1, hex("C1 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 PINGRESP 1000", V3_1_1, hex("D8 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1.1 DISCONNECT 0010", V3_1_1, hex("E2 00"), MALFORMED_PACKET);
    error("fixed header flags: 3.1 PUBREL 0000", V3_1, hex("60 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 3.1 SUBSCRIBE 1000", V3_1, hex("88 08 00 01 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 CONNECT 1000", null, hex("18 0D 00 04 'MQTT' 05 02 00 00 00 00 00"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 CONNACK 0100", V5, hex("24 03 00 00 00"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 PUBACK 0010", V5, hex("42 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 PUBREL 0110", V5, hex("66 02 00 01"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 SUBSCRIBE 0110", V5, hex("86 09 00 01 00 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 DISCONNECT 0001", V5, hex("E1 00"), MALFORMED_PACKET);
    error("fixed header flags: 5.0 AUTH 0001", V5, hex("F1 00"), MALFORMED_PACKET);

    error("reserved packet type: 0 in 3.1.1", V3_1_1, hex("00 00"), MALFORMED_PACKET);
    error("reserved packet type: 0 with flags in 5.0", V5, hex("0F 00"), MALFORMED_PACKET);
    error("reserved packet type: 0 before CONNECT", null, hex("00 02 00 00"), MALFORMED_PACKET);
    error("reserved packet type: AUTH in 3.1.1", V3_1_1, hex("F0 00"), MALFORMED_PACKET);
    error("reserved packet type: AUTH in 3.1", V3_1, hex("F0 00"), MALFORMED_PACKET);
    error("reserved packet type: AUTH before CONNECT", null, hex("F0 00"), MALFORMED_PACKET); // found by fuzzing

    // Variable Byte Integers (section 1.5.5): at most four bytes, minimal encoding (MQTT-1.5.5-1).
    error("remaining length too long: five bytes", V3_1_1, hex("30 FF FF FF FF 7F"), MALFORMED_PACKET);
    error("remaining length too long: five bytes of 0x80", V5, hex("C0 80 80 80 80 00"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: remaining length 0 in two bytes", V3_1_1, hex("C0 80 00"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: remaining length 5 in three bytes", V3_1_1,
        hex("30 85 80 00 00 03 'a/b'"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: property length", V5, hex("30 08 00 03 'a/b' 80 00 'x'"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: property identifier", V5, hex("30 09 00 03 'a/b' 03 81 00 01"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: Subscription Identifier", V5,
        hex("82 0C 00 01 03 0B 81 00 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("non-minimal variable byte integer: Subscription Identifier of five bytes", V5,
        hex("82 0F 00 01 06 0B FF FF FF FF 01 00 03 'a/b' 00"), MALFORMED_PACKET);

    // A field running past the end of the packet (the Remaining Length shorter than the fields).
    error("field past the end: topic length", V3_1_1, hex("30 05 00 09 'a/b'"), MALFORMED_PACKET);
    error("field past the end: QoS 1 PUBLISH without packet id", V3_1_1, hex("32 05 00 03 'a/b'"), MALFORMED_PACKET);
    error("field past the end: PUBACK of one byte", V3_1_1, hex("40 01 00"), MALFORMED_PACKET);
    error("field past the end: PUBACK of no byte", V5, hex("40 00"), MALFORMED_PACKET);
    error("field past the end: CONNACK of one byte", V5, hex("20 01 00"), MALFORMED_PACKET);
    error("field past the end: CONNECT without keep alive", null, hex("10 08 00 04 'MQTT' 04 02"), MALFORMED_PACKET);
    error("field past the end: CONNECT without client id", null, hex("10 0A 00 04 'MQTT' 04 02 00 3C"), MALFORMED_PACKET);
    error("field past the end: 5.0 CONNECT without properties", null, hex("10 0A 00 04 'MQTT' 05 02 00 3C"), MALFORMED_PACKET);
    error("field past the end: CONNECT password", null,
        hex("10 13 00 04 'MQTT' 04 C2 00 00 00 00 00 01 'u' 00 05 'ab'"), MALFORMED_PACKET);
    error("field past the end: CONNECT will payload", null,
        hex("10 12 00 04 'MQTT' 04 06 00 00 00 00 00 01 't' 00 02 'x'"), MALFORMED_PACKET);
    error("field past the end: SUBSCRIBE without options byte", V3_1_1, hex("82 07 00 01 00 03 'a/b'"), MALFORMED_PACKET);
    error("field past the end: property length", V5, hex("30 07 00 03 'a/b' 05 01"), MALFORMED_PACKET);
    error("field past the end: property value past the property length", V5,
        hex("30 0B 00 03 'a/b' 01 02 00 00 00 3C"), MALFORMED_PACKET);
    error("field past the end: User Property value", V5, hex("40 09 00 01 00 05 26 00 01 'k' 00"), MALFORMED_PACKET);
    error("field past the end: binary property", V5, hex("30 0B 00 03 'a/b' 05 09 00 05 'xy'"), MALFORMED_PACKET);

    // Bytes after the last field.
    error("trailing bytes: 3.1.1 PINGREQ with a body", V3_1_1, hex("C0 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 PINGREQ with a body", V5, hex("C0 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 PINGRESP with a body", V3_1_1, hex("D0 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 DISCONNECT with a body", V3_1_1, hex("E0 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1 DISCONNECT with a body", V3_1, hex("E0 02 00 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 PUBACK with a reason code", V3_1_1, hex("40 03 00 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 PUBREL with a reason code", V3_1_1, hex("62 03 00 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 CONNACK of three bytes", V3_1_1, hex("20 03 00 00 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 UNSUBACK with a reason code", V3_1_1, hex("B0 03 00 01 00"), MALFORMED_PACKET);
    error("trailing bytes: 3.1.1 CONNECT", null, hex("10 0D 00 04 'MQTT' 04 02 00 00 00 00 FF"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 CONNECT", null, hex("10 0E 00 04 'MQTT' 05 02 00 00 00 00 00 FF"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 PUBACK after properties", V5, hex("40 05 00 01 00 00 FF"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 CONNACK after properties", V5, hex("20 04 00 00 00 FF"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 DISCONNECT after properties", V5, hex("E0 03 00 00 FF"), MALFORMED_PACKET);
    error("trailing bytes: 5.0 AUTH after properties", V5, hex("F0 03 00 00 FF"), MALFORMED_PACKET);

    // UTF-8 Encoded Strings (section 1.5.4): well-formed UTF-8 (MQTT-1.5.4-1), no U+0000 (MQTT-1.5.4-2).
    error("invalid UTF-8: bad continuation byte", V3_1_1, hex("30 04 00 02 C3 28"), MALFORMED_PACKET);
    error("invalid UTF-8: lone continuation byte", V3_1_1, hex("30 03 00 01 80"), MALFORMED_PACKET);
    error("invalid UTF-8: byte FF", V3_1_1, hex("30 03 00 01 FF"), MALFORMED_PACKET);
    error("invalid UTF-8: lead byte F5", V3_1_1, hex("30 06 00 04 F5 80 80 80"), MALFORMED_PACKET);
    error("invalid UTF-8: truncated sequence at the end", V3_1_1, hex("30 04 00 02 E2 82"), MALFORMED_PACKET);
    error("invalid UTF-8: truncated sequence before ASCII", V3_1_1, hex("30 05 00 03 E2 82 'A'"), MALFORMED_PACKET);
    error("invalid UTF-8: overlong '/' in two bytes", V3_1_1, hex("30 04 00 02 C0 AF"), MALFORMED_PACKET);
    error("invalid UTF-8: overlong U+0000 in two bytes", V3_1_1, hex("30 04 00 02 C0 80"), MALFORMED_PACKET);
    error("invalid UTF-8: overlong '/' in three bytes", V3_1_1, hex("30 05 00 03 E0 80 AF"), MALFORMED_PACKET);
    error("invalid UTF-8: overlong U+20AC in four bytes", V3_1_1, hex("30 06 00 04 F0 82 82 AC"), MALFORMED_PACKET);
    error("invalid UTF-8: encoded surrogate U+D800", V3_1_1, hex("30 05 00 03 ED A0 80"), MALFORMED_PACKET);
    error("invalid UTF-8: encoded surrogate U+DFFF", V3_1_1, hex("30 05 00 03 ED BF BF"), MALFORMED_PACKET);
    error("invalid UTF-8: encoded surrogate pair (CESU-8)", V3_1_1, hex("30 08 00 06 ED A0 BD ED B8 80"), MALFORMED_PACKET);
    error("invalid UTF-8: code point above U+10FFFF", V3_1_1, hex("30 06 00 04 F4 90 80 80"), MALFORMED_PACKET);
    error("invalid UTF-8: in the protocol name", null, hex("10 0C 00 04 'MQT' FF 04 02 00 00 00 00"), MALFORMED_PACKET);
    error("invalid UTF-8: in the user name", null,
        hex("10 10 00 04 'MQTT' 04 82 00 00 00 00 00 02 C3 28"), MALFORMED_PACKET);
    error("invalid UTF-8: in a topic filter", V3_1_1, hex("82 07 00 01 00 02 C3 28 00"), MALFORMED_PACKET);
    error("invalid UTF-8: in a User Property", V5, hex("30 0D 00 03 'a/b' 07 26 00 01 'k' 00 01 FF"), MALFORMED_PACKET);
    error("U+0000: in a topic name", V3_1_1, hex("30 05 00 03 'a' 00 'b'"), MALFORMED_PACKET);
    error("U+0000: in a client id", null, hex("10 0F 00 04 'MQTT' 04 02 00 00 00 03 'a' 00 'b'"), MALFORMED_PACKET);
    error("U+0000: in a will topic", null,
        hex("10 11 00 04 'MQTT' 04 06 00 00 00 00 00 01 00 00 00"), MALFORMED_PACKET);
    error("U+0000: in a Reason String", V5, hex("40 09 00 01 00 05 1F 00 02 'a' 00"), MALFORMED_PACKET);

    // Topic names (section 4.7): no wildcards (MQTT-3.3.2-2, MQTT-3.1.3-11), not empty.
    error("topic name: '+' in a 3.1.1 PUBLISH", V3_1_1, hex("30 05 00 03 'a/+'"), TOPIC_NAME_INVALID);
    error("topic name: '#' in a 3.1.1 PUBLISH", V3_1_1, hex("30 03 00 01 '#'"), TOPIC_NAME_INVALID);
    error("topic name: '#' inside a level in a 3.1 PUBLISH", V3_1, hex("30 06 00 04 'a/b#'"), TOPIC_NAME_INVALID);
    error("topic name: '+' in a 5.0 PUBLISH with Topic Alias", V5, hex("30 09 00 03 'a/+' 03 23 00 01"), TOPIC_NAME_INVALID);
    error("topic name: '#' in a 3.1.1 will topic", null,
        hex("10 13 00 04 'MQTT' 04 06 00 00 00 00 00 03 'a/#' 00 00"), TOPIC_NAME_INVALID);
    error("topic name: '+' in a 5.0 will topic", null,
        hex("10 15 00 04 'MQTT' 05 06 00 00 00 00 00 00 00 03 '+/b' 00 00"), TOPIC_NAME_INVALID);
    error("topic name: empty in a 3.1.1 PUBLISH", V3_1_1, hex("30 02 00 00"), TOPIC_NAME_INVALID);
    error("topic name: empty in a 3.1 PUBLISH", V3_1, hex("30 02 00 00"), TOPIC_NAME_INVALID);
    error("topic name: empty in a 3.1.1 will topic", null,
        hex("10 10 00 04 'MQTT' 04 06 00 00 00 00 00 00 00 00"), TOPIC_NAME_INVALID);
    // MQTT 5.0 section 3.3.2.3.4: "a Protocol Error if the Topic Name is zero length and there is no Topic Alias".
    error("topic name: empty without Topic Alias in 5.0", V5, hex("30 03 00 00 00"), PROTOCOL_ERROR);
    error("topic name: empty with other properties in 5.0", V5, hex("30 05 00 00 02 01 01"), PROTOCOL_ERROR);

    // Topic filters (section 4.7.1, 4.8.2).
    filterError("a/#/b");
    filterError("a+");
    filterError("#/a");
    filterError("+a");
    filterError("a/b#");
    filterError("a/+b/c");
    filterError("");
    filterError("$share/");
    filterError("$share//a");
    filterError("$share/g");
    filterError("$share/g/");
    filterError("$share/g+/x");
    filterError("$share/#/x");
    error("topic filter: 'a/#/b' in a 5.0 SUBSCRIBE", V5, hex("82 0B 00 01 00 00 05 'a/#/b' 00"), TOPIC_FILTER_INVALID);
    error("topic filter: 'a+' in a 3.1.1 UNSUBSCRIBE", V3_1_1, hex("A2 06 00 01 00 02 'a+'"), TOPIC_FILTER_INVALID);
    error("topic filter: empty in a 5.0 UNSUBSCRIBE", V5, hex("A2 05 00 01 00 00 00"), TOPIC_FILTER_INVALID);

    // QoS 3 (MQTT-3.3.1-4, MQTT-3.1.2-14 / 5.0 MQTT-3.1.2-12, MQTT-3-8.3-4).
    error("QoS 3: 3.1.1 PUBLISH", V3_1_1, hex("36 07 00 03 'a/b' 00 01"), MALFORMED_PACKET);
    error("QoS 3: 5.0 PUBLISH", V5, hex("36 08 00 03 'a/b' 00 01 00"), MALFORMED_PACKET);
    error("QoS 3: 3.1.1 will", null, hex("10 11 00 04 'MQTT' 04 1E 00 00 00 00 00 01 't' 00 00"), MALFORMED_PACKET);
    error("QoS 3: 5.0 will", null, hex("10 13 00 04 'MQTT' 05 1E 00 00 00 00 00 00 00 01 't' 00 00"), MALFORMED_PACKET);
    error("QoS 3: 3.1.1 SUBSCRIBE", V3_1_1, hex("82 08 00 01 00 03 'a/b' 03"), MALFORMED_PACKET);
    // MQTT 5.0 section 3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
    error("QoS 3: 5.0 SUBSCRIBE", V5, hex("82 09 00 01 00 00 03 'a/b' 03"), PROTOCOL_ERROR);

    error("DUP on QoS 0: 3.1.1 PUBLISH", V3_1_1, hex("38 05 00 03 'a/b'"), MALFORMED_PACKET);
    error("DUP on QoS 0: 5.0 PUBLISH", V5, hex("39 06 00 03 'a/b' 00"), MALFORMED_PACKET);

    // Packet Identifier 0 (MQTT-2.3.1-1 / 5.0 MQTT-2.2.1-3).
    error("packet identifier 0: 3.1.1 PUBLISH QoS 1", V3_1_1, hex("32 07 00 03 'a/b' 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: 5.0 PUBLISH QoS 2", V5, hex("34 08 00 03 'a/b' 00 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: PUBACK", V3_1_1, hex("40 02 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: PUBREC", V5, hex("50 02 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: PUBREL", V3_1_1, hex("62 02 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: PUBCOMP", V5, hex("70 03 00 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: SUBSCRIBE", V3_1_1, hex("82 08 00 00 00 03 'a/b' 00"), PROTOCOL_ERROR);
    error("packet identifier 0: SUBACK", V3_1_1, hex("90 03 00 00 00"), PROTOCOL_ERROR);
    error("packet identifier 0: UNSUBSCRIBE", V5, hex("A2 08 00 00 00 00 03 'a/b'"), PROTOCOL_ERROR);
    error("packet identifier 0: UNSUBACK", V3_1_1, hex("B0 02 00 00"), PROTOCOL_ERROR);

    // A reason code the packet's table does not list (MQTT-3.4.2-1, -3.5.2-1, -3.6.2-1, -3.7.2-1,
    // -3.14.2-1, -3.15.2-1): the packet cannot be read as the specification defines it.
    error("reason code not allowed: PUBACK 0x01", V5, hex("40 03 00 01 01"), MALFORMED_PACKET);
    error("reason code not allowed: PUBACK 0x92", V5, hex("40 04 00 01 92 00"), MALFORMED_PACKET);
    error("reason code not allowed: PUBREC 0x81", V5, hex("50 03 00 01 81"), MALFORMED_PACKET);
    error("reason code not allowed: PUBREL 0x81", V5, hex("62 03 00 01 81"), MALFORMED_PACKET);
    error("reason code not allowed: PUBREL 0x10", V5, hex("62 03 00 01 10"), MALFORMED_PACKET);
    error("reason code not allowed: PUBCOMP 0x80", V5, hex("70 03 00 01 80"), MALFORMED_PACKET);
    error("reason code not allowed: DISCONNECT 0x01", V5, hex("E0 01 01"), MALFORMED_PACKET);
    error("reason code not allowed: DISCONNECT 0x91", V5, hex("E0 02 91 00"), MALFORMED_PACKET);
    error("reason code not allowed: DISCONNECT 0xFF", V5, hex("E0 01 FF"), MALFORMED_PACKET);
    error("reason code not allowed: AUTH 0x80", V5, hex("F0 02 80 00"), MALFORMED_PACKET);

    // MQTT-3.8.3-3, MQTT-3.10.3-2 (5.0: "a Protocol Error"), and the acks that answer them.
    error("no topic filter: 3.1.1 SUBSCRIBE", V3_1_1, hex("82 02 00 01"), PROTOCOL_ERROR);
    error("no topic filter: 5.0 SUBSCRIBE", V5, hex("82 03 00 01 00"), PROTOCOL_ERROR);
    error("no topic filter: 3.1.1 UNSUBSCRIBE", V3_1_1, hex("A2 02 00 01"), PROTOCOL_ERROR);
    error("no topic filter: 5.0 UNSUBSCRIBE", V5, hex("A2 03 00 01 00"), PROTOCOL_ERROR);
    error("no topic filter: 3.1.1 SUBACK without return code", V3_1_1, hex("90 02 00 01"), PROTOCOL_ERROR);
    error("no topic filter: 5.0 UNSUBACK without reason code", V5, hex("B0 03 00 01 00"), PROTOCOL_ERROR);

    // Subscription options (MQTT-3-8.3-4 in 3.1.1, MQTT-3.8.3-5 in 5.0, section 3.8.3.1).
    error("subscription options reserved bits: 3.1.1 bit 2", V3_1_1, hex("82 08 00 01 00 03 'a/b' 04"), MALFORMED_PACKET);
    error("subscription options reserved bits: 3.1.1 bit 7", V3_1_1, hex("82 08 00 01 00 03 'a/b' 80"), MALFORMED_PACKET);
    error("subscription options reserved bits: 3.1 bit 4", V3_1, hex("82 08 00 01 00 03 'a/b' 10"), MALFORMED_PACKET);
    error("subscription options reserved bits: 5.0 bit 6", V5, hex("82 09 00 01 00 00 03 'a/b' 40"), MALFORMED_PACKET);
    error("subscription options reserved bits: 5.0 bit 7", V5, hex("82 09 00 01 00 00 03 'a/b' 81"), MALFORMED_PACKET);
    error("retain handling 3: 5.0 SUBSCRIBE", V5, hex("82 09 00 01 00 00 03 'a/b' 30"), PROTOCOL_ERROR);
    error("no local on a shared subscription: 5.0 SUBSCRIBE", V5,
        hex("82 10 00 01 00 00 0A '$share/g/a' 04"), PROTOCOL_ERROR);

    // Properties (section 2.2.2.2): "A Control Packet which contains an Identifier which is not
    // valid for its packet type ... is a Malformed Packet"; "a Protocol Error to include the ...
    // more than once" for each single-valued property.
    error("duplicate property: Message Expiry Interval in PUBLISH", V5,
        hex("30 10 00 03 'a/b' 0A 02 00 00 00 01 02 00 00 00 02"), PROTOCOL_ERROR);
    error("duplicate property: Session Expiry Interval in CONNECT", null,
        hex("10 17 00 04 'MQTT' 05 02 00 00 0A 11 00 00 00 01 11 00 00 00 02 00 00"), PROTOCOL_ERROR);
    error("duplicate property: Subscription Identifier in SUBSCRIBE", V5,
        hex("82 0D 00 01 04 0B 01 0B 02 00 03 'a/b' 00"), PROTOCOL_ERROR);
    error("duplicate property: Will Delay Interval in will properties", null,
        hex("10 1D 00 04 'MQTT' 05 06 00 00 00 00 00 0A 18 00 00 00 01 18 00 00 00 02 00 01 't' 00 00"),
        PROTOCOL_ERROR);
    error("duplicate property: Maximum QoS in CONNACK", V5, hex("20 07 00 00 04 24 00 24 01"), PROTOCOL_ERROR);
    error("duplicate property: Reason String in DISCONNECT", V5,
        hex("E0 0A 00 08 1F 00 01 'a' 1F 00 01 'b'"), PROTOCOL_ERROR);
    error("unknown property: identifier 0x00", V5, hex("30 07 00 03 'a/b' 01 00"), MALFORMED_PACKET);
    error("unknown property: identifier 0x04", V5, hex("30 07 00 03 'a/b' 01 04"), MALFORMED_PACKET);
    error("unknown property: identifier 0x2B", V5, hex("30 07 00 03 'a/b' 01 2B"), MALFORMED_PACKET);
    error("unknown property: identifier 0x7F", V5, hex("40 05 00 01 00 01 7F"), MALFORMED_PACKET);
    error("unknown property: identifier 128", V5, hex("30 08 00 03 'a/b' 02 80 01"), MALFORMED_PACKET);
    error("property not allowed: Session Expiry Interval in PUBLISH", V5,
        hex("30 0B 00 03 'a/b' 05 11 00 00 00 01"), MALFORMED_PACKET);
    error("property not allowed: Topic Alias in CONNECT", null,
        hex("10 10 00 04 'MQTT' 05 02 00 00 03 23 00 01 00 00"), MALFORMED_PACKET);
    error("property not allowed: Will Delay Interval in CONNECT", null,
        hex("10 12 00 04 'MQTT' 05 02 00 00 05 18 00 00 00 05 00 00"), MALFORMED_PACKET);
    error("property not allowed: Topic Alias in PUBACK", V5, hex("40 07 00 01 00 03 23 00 01"), MALFORMED_PACKET);
    error("property not allowed: Reason String in SUBSCRIBE", V5,
        hex("82 0D 00 01 04 1F 00 01 'x' 00 03 'a/b' 00"), MALFORMED_PACKET);
    error("property not allowed: Subscription Identifier in UNSUBSCRIBE", V5,
        hex("A2 0A 00 01 02 0B 01 00 03 'a/b'"), MALFORMED_PACKET);
    error("property not allowed: Request Problem Information in CONNACK", V5, hex("20 05 00 00 02 17 01"), MALFORMED_PACKET);
    error("property not allowed: Receive Maximum in DISCONNECT", V5, hex("E0 05 00 03 21 00 0A"), MALFORMED_PACKET);
    error("property not allowed: Session Expiry Interval in AUTH", V5, hex("F0 07 18 05 11 00 00 00 01"), MALFORMED_PACKET);
    error("property not allowed: Session Expiry Interval in will properties", null,
        hex("10 18 00 04 'MQTT' 05 06 00 00 00 00 00 05 11 00 00 00 01 00 01 't' 00 00"), MALFORMED_PACKET);
    error("property not allowed: Topic Alias in will properties", null,
        hex("10 16 00 04 'MQTT' 05 06 00 00 00 00 00 03 23 00 01 00 01 't' 00 00"), MALFORMED_PACKET);
    error("property not allowed: Subscription Identifier in will properties", null,
        hex("10 15 00 04 'MQTT' 05 06 00 00 00 00 00 02 0B 01 00 01 't' 00 00"), MALFORMED_PACKET);
    error("property value: Receive Maximum 0 in CONNECT", null,
        hex("10 10 00 04 'MQTT' 05 02 00 00 03 21 00 00 00 00"), PROTOCOL_ERROR);
    error("property value: Receive Maximum 0 in CONNACK", V5, hex("20 06 00 00 03 21 00 00"), PROTOCOL_ERROR);
    error("property value: Maximum Packet Size 0 in CONNECT", null,
        hex("10 12 00 04 'MQTT' 05 02 00 00 05 27 00 00 00 00 00 00"), PROTOCOL_ERROR);
    error("property value: Maximum Packet Size 0 in CONNACK", V5, hex("20 08 00 00 05 27 00 00 00 00"), PROTOCOL_ERROR);
    error("property value: Subscription Identifier 0 in SUBSCRIBE", V5,
        hex("82 0B 00 01 02 0B 00 00 03 'a/b' 00"), PROTOCOL_ERROR);
    error("property value: Subscription Identifier 0 in PUBLISH", V5, hex("30 08 00 03 'a/b' 02 0B 00"), PROTOCOL_ERROR);
    error("property value: Payload Format Indicator 2", V5, hex("30 08 00 03 'a/b' 02 01 02"), PROTOCOL_ERROR);
    error("property value: Payload Format Indicator 2 in will properties", null,
        hex("10 15 00 04 'MQTT' 05 06 00 00 00 00 00 02 01 02 00 01 't' 00 00"), PROTOCOL_ERROR);
    error("property combination: Authentication Data without Authentication Method in CONNECT", null,
        hex("10 12 00 04 'MQTT' 05 02 00 00 05 16 00 02 'xx' 00 00"), PROTOCOL_ERROR);
    error("property value: Request Problem Information 2", null,
        hex("10 0F 00 04 'MQTT' 05 02 00 00 02 17 02 00 00"), PROTOCOL_ERROR);
    error("property value: Request Response Information 2", null,
        hex("10 0F 00 04 'MQTT' 05 02 00 00 02 19 02 00 00"), PROTOCOL_ERROR);
    error("property value: Maximum QoS 2", V5, hex("20 05 00 00 02 24 02"), PROTOCOL_ERROR);
    error("property value: Retain Available 2", V5, hex("20 05 00 00 02 25 02"), PROTOCOL_ERROR);
    error("property value: Wildcard Subscription Available 2", V5, hex("20 05 00 00 02 28 02"), PROTOCOL_ERROR);
    error("property value: Subscription Identifier Available 2", V5, hex("20 05 00 00 02 29 02"), PROTOCOL_ERROR);
    error("property value: Shared Subscription Available 2", V5, hex("20 05 00 00 02 2A 02"), PROTOCOL_ERROR);
    error("property value: Topic Alias 0", V5, hex("30 09 00 03 'a/b' 03 23 00 00"), ReasonCodes.TOPIC_ALIAS_INVALID);
    error("property value: Topic Alias 0 on an empty topic", V5, hex("30 06 00 00 03 23 00 00"),
        ReasonCodes.TOPIC_ALIAS_INVALID);
    error("property value: Response Topic with a wildcard", V5, hex("30 0C 00 03 'a/b' 06 08 00 03 'a/#'"), PROTOCOL_ERROR);

    // CONNECT flags (section 3.1.2.3).
    error("connect flags: reserved flag in 3.1.1", null, hex("10 0C 00 04 'MQTT' 04 03 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: reserved flag in 3.1", null, hex("10 0E 00 06 'MQIsdp' 03 03 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: reserved flag in 5.0", null, hex("10 0D 00 04 'MQTT' 05 01 00 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: will QoS without will flag in 3.1.1", null,
        hex("10 0C 00 04 'MQTT' 04 0A 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: will QoS without will flag in 5.0", null,
        hex("10 0D 00 04 'MQTT' 05 12 00 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: will retain without will flag in 3.1.1", null,
        hex("10 0C 00 04 'MQTT' 04 22 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: will retain without will flag in 5.0", null,
        hex("10 0D 00 04 'MQTT' 05 20 00 00 00 00 00"), MALFORMED_PACKET);
    error("connect flags: password without user name in 3.1.1", null,
        hex("10 10 00 04 'MQTT' 04 42 00 00 00 00 00 02 'pw'"), MALFORMED_PACKET);
    error("connect flags: password without user name in 3.1", null,
        hex("10 12 00 06 'MQIsdp' 03 42 00 00 00 00 00 02 'pw'"), MALFORMED_PACKET);
    error("connack flags: reserved bit", V3_1_1, hex("20 02 02 00"), MALFORMED_PACKET);
    error("connack flags: reserved bit in 5.0", V5, hex("20 03 80 00 00"), MALFORMED_PACKET);

    // Protocol name and level (MQTT-3.1.2-1, MQTT-3.1.2-2).
    error("protocol name: MQTX", null, hex("10 0C 00 04 'MQTX' 04 02 00 00 00 00"), PROTOCOL_ERROR);
    error("protocol name: lower case mqtt", null, hex("10 0C 00 04 'mqtt' 04 02 00 00 00 00"), PROTOCOL_ERROR);
    error("protocol name: empty", null, hex("10 08 00 00 04 02 00 00 00 00"), PROTOCOL_ERROR);
    error("protocol level: MQTT 6", null, hex("10 0D 00 04 'MQTT' 06 02 00 00 00 00 00"), UNSUPPORTED_PROTOCOL_VERSION);
    error("protocol level: MQTT 3", null, hex("10 0C 00 04 'MQTT' 03 02 00 00 00 00"), UNSUPPORTED_PROTOCOL_VERSION);
    error("protocol level: MQTT 0", null, hex("10 0C 00 04 'MQTT' 00 02 00 00 00 00"), UNSUPPORTED_PROTOCOL_VERSION);
    error("protocol level: MQIsdp 4", null, hex("10 0E 00 06 'MQIsdp' 04 02 00 00 00 00"), UNSUPPORTED_PROTOCOL_VERSION);
  }

  /** Every valid row, in catalogue order. */
  public static final List<Row> VALID;
  /** Every error row, in catalogue order. */
  public static final List<Row> ERRORS;
  /** Every row. */
  public static final List<Row> ALL;

  static {
    List<Row> valid = new ArrayList<>();
    List<Row> errors = new ArrayList<>();
    for (Row r : BY_NAME.values()) {
      (r.isValid() ? valid : errors).add(r);
    }
    VALID = Collections.unmodifiableList(valid);
    ERRORS = Collections.unmodifiableList(errors);
    ALL = List.copyOf(BY_NAME.values());
  }

  /** The row of that name. */
  public static Row row(String name) {
    Row r = BY_NAME.get(name);
    if (r == null) {
      throw new IllegalArgumentException("no catalogue row '" + name + "'");
    }
    return r;
  }

  /** The error rows of one rule (the part of their name before the colon). */
  public static List<Row> errors(String rule) {
    List<Row> rows = ERRORS.stream().filter(r -> r.rule().equals(rule)).toList();
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no catalogue rows for rule '" + rule + "'");
    }
    return rows;
  }

  // --------------------------------------------------------------------------------------------
  // Helpers
  // --------------------------------------------------------------------------------------------

  /**
   * Bytes from hex pairs and quoted ASCII text: {@code hex("00 04 'MQTT' 04")}. Whitespace is
   * ignored; the parts are concatenated.
   */
  public static byte[] hex(String... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String part : parts) {
      int i = 0;
      while (i < part.length()) {
        char c = part.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '\'') {
          int end = part.indexOf('\'', i + 1);
          if (end < 0) {
            throw new IllegalArgumentException("unterminated text in " + part);
          }
          for (int j = i + 1; j < end; j++) {
            char t = part.charAt(j);
            if (t >= 0x80) {
              throw new IllegalArgumentException("non-ASCII text in " + part + ": write it in hex");
            }
            out.write(t);
          }
          i = end + 1;
        } else {
          out.write(Integer.parseInt(part.substring(i, i + 2), 16));
          i += 2;
        }
      }
    }
    return out.toByteArray();
  }

  /** UTF-8 bytes of a string. */
  public static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A deterministic payload of {@code n} bytes. */
  public static byte[] payload(int n) {
    byte[] p = new byte[n];
    for (int i = 0; i < n; i++) {
      p[i] = (byte) (i * 31 + (i >>> 8));
    }
    return p;
  }

  private static void add(Row row) {
    if (BY_NAME.putIfAbsent(row.name(), row) != null) {
      throw new IllegalStateException("duplicate catalogue row name: " + row.name());
    }
  }

  private static void valid(String name, MqttVersion version, byte[] bytes, MqttPacket packet) {
    valid(name, version, bytes, packet, true);
  }

  private static void valid(String name, MqttVersion version, byte[] bytes, MqttPacket packet, boolean canonical) {
    add(new Row(name, version, bytes, packet, 0, canonical));
  }

  /** A packet that is the same on the wire in MQTT 3.1 and 3.1.1: one row for each. */
  private static void v3(String name, byte[] bytes, MqttPacket packet) {
    valid("3.1 " + name, V3_1, bytes, packet);
    valid("3.1.1 " + name, V3_1_1, bytes, packet);
  }

  private static void error(String name, MqttVersion version, byte[] bytes, int reasonCode) {
    if (name.indexOf(':') < 0) {
      throw new IllegalArgumentException("error row names are '<rule>: <detail>': " + name);
    }
    add(new Row(name, version, bytes, null, reasonCode, false));
  }

  /** A 3.1.1 SUBSCRIBE of one invalid filter. */
  private static void filterError(String filter) {
    byte[] f = filter.getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[7 + f.length];
    bytes[0] = (byte) 0x82;
    bytes[1] = (byte) (5 + f.length); // packet id, filter length, filter, options
    bytes[3] = 1;
    bytes[5] = (byte) f.length;
    System.arraycopy(f, 0, bytes, 6, f.length);
    error("topic filter: '" + filter + "' in a 3.1.1 SUBSCRIBE", V3_1_1, bytes, TOPIC_FILTER_INVALID);
  }

  /**
   * A QoS 0 PUBLISH to {@code a/b} whose Remaining Length is {@code remaining}, written as
   * {@code lengthHex}; the payload fills what the topic (and, for 5.0, the empty property length)
   * leave.
   */
  private static void large(MqttVersion version, int remaining, String lengthHex) {
    int overhead = version.isV5() ? 6 : 5;
    byte[] payload = payload(remaining - overhead);
    byte[] head = hex("30", lengthHex, "00 03 'a/b'", version.isV5() ? "00" : "");
    byte[] bytes = new byte[head.length + payload.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    System.arraycopy(payload, 0, bytes, head.length, payload.length);
    String v = version == V3_1_1 ? "3.1.1" : version == V3_1 ? "3.1" : "5.0";
    valid(v + " PUBLISH remaining length " + remaining + " (" + lengthHex + ")", version, bytes,
        new Publish("a/b", 0, false, false, 0, payload, EMPTY));
  }
}
