package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A decoder reuses the topic name of its connection's last PUBLISH when the bytes are the same:
 * what it decodes must be exactly what a fresh decode gives, whatever comes before.
 */
class TopicReuseTest {
  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void theSameTopicIsDecodedOnceAndReused(MqttVersion version) {
    String t = "sensors/room-1/temperature";
    List<Object> out = decode(version, publish(t, 1), publish(t, 2));
    Publish first = (Publish) out.get(0);
    Publish second = (Publish) out.get(1);
    assertThat(second).isEqualTo(publish(t, 2));
    assertThat(second.topic()).isSameAs(first.topic());
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void topicsThatDifferAnywhereAreDecodedAfresh(MqttVersion version) {
    // Same length, different in the first 8-byte word, in a later word and in the tail; shorter,
    // longer, a prefix, non-ASCII and back to the first one.
    String[] topics = {"sensors/room-1/temperature", "Sensors/room-1/temperature", "sensors/room-2/temperature",
        "sensors/room-1/temperaturE", "sensors/room-1", "sensors/room-1/temperature/x", "a", "a/ü/c", "a/ü/c", "b",
        "sensors/room-1/temperature"};
    Publish[] in = new Publish[topics.length];
    for (int i = 0; i < topics.length; i++) {
      in[i] = publish(topics[i], i + 1);
    }
    List<Object> out = decode(version, in);
    assertThat(out).containsExactly((Object[]) in);
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void aWildcardAfterAValidTopicOfTheSameLengthIsStillRefused(MqttVersion version) {
    List<Object> out = decode(version, publish("a/b", 1), publish("a/+", 2));
    assertThat(out.get(0)).isEqualTo(publish("a/b", 1));
    assertThat(out.get(1)).isInstanceOfSatisfying(MqttDecodeException.class,
        e -> assertThat(e.reasonCode()).isEqualTo(ReasonCodes.TOPIC_NAME_INVALID));
  }

  @Test
  void anEmptyTopicWithAnAliasIsNotTakenForTheLastTopic() {
    MqttProperties alias = MqttProperties.builder().topicAlias(3).build();
    Publish named = new Publish("a/b", 1, false, false, 1, new byte[] {1}, alias);
    Publish aliased = new Publish("", 1, false, false, 2, new byte[] {2}, alias);
    List<Object> out = decode(MqttVersion.V5, named, aliased, named);
    assertThat(out).containsExactly(named, aliased, named);
  }

  @Test
  void aStringPropertyAfterTheTopicIsNotTakenForIt() {
    // The topic's bytes were remembered after the properties were read: with a User Property or
    // Content Type last, the next PUBLISH whose topic matched that string's bytes (an empty topic
    // with an alias, against an empty value) was given the last topic name (found by a fuzz probe:
    // an alias ignored, an empty topic without alias accepted).
    MqttProperties emptyValue = MqttProperties.builder().userProperty("k", "").build();
    MqttProperties contentType = MqttProperties.builder().set(Property.CONTENT_TYPE, "x/y").build();
    MqttProperties alias = MqttProperties.builder().topicAlias(5).build();
    Publish c = new Publish("al/c", 1, false, false, 1, new byte[] {1}, emptyValue);
    Publish aliased = new Publish("", 1, false, false, 2, new byte[] {2}, alias);
    Publish typed = new Publish("al/d", 1, false, false, 3, new byte[] {3}, contentType);
    Publish xy = new Publish("x/y", 1, false, false, 4, new byte[] {4}, MqttProperties.EMPTY);
    List<Object> out = decode(MqttVersion.V5, c, aliased, typed, xy);
    assertThat(out.subList(0, 4)).containsExactly(c, aliased, typed, xy);
    Publish noAlias = new Publish("", 1, false, false, 5, new byte[] {5}, MqttProperties.EMPTY);
    assertThat(decode(MqttVersion.V5, c, noAlias).get(1)).isInstanceOfSatisfying(MqttDecodeException.class,
        e -> assertThat(e.reasonCode()).isEqualTo(ReasonCodes.PROTOCOL_ERROR));
  }

  private static Publish publish(String topic, int packetId) {
    return new Publish(topic, 1, false, false, packetId, new byte[] {(byte) packetId}, MqttProperties.EMPTY);
  }

  private static List<Object> decode(MqttVersion version, Publish... packets) {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttDecoder(MqttDecoder.PROTOCOL_MAX_PACKET_SIZE, version));
    List<Object> out = new ArrayList<>();
    for (Publish p : packets) {
      ByteBuf b = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, p, version);
      ch.writeInbound(b); // one read per packet, as separate reads of the connection
      Object o;
      while ((o = ch.readInbound()) != null) {
        out.add(o);
      }
    }
    ch.finishAndReleaseAll();
    return out;
  }
}
