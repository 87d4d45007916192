package io.tern.codec.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tern.codec.ConnAck;
import io.tern.codec.Connect;
import io.tern.codec.Disconnect;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttProperties;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.PubAck;
import io.tern.codec.PubRel;
import io.tern.codec.Publish;
import io.tern.codec.SubAck;
import io.tern.codec.Subscribe;
import io.tern.codec.Subscription;
import io.tern.codec.Unsubscribe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding and encoding one packet of each type the message path sees, in MQTT 3.1.1 and 5.0:
 * {@link MqttDecoder#decode} from a buffer holding the encoded packet, and {@link MqttEncoder#encode}
 * into a reused buffer.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {
  @Param({"PUBLISH_QOS0", "PUBLISH_QOS1", "PUBACK", "PUBREL", "CONNECT", "CONNACK", "SUBSCRIBE", "SUBACK",
      "UNSUBSCRIBE", "PINGREQ", "DISCONNECT"})
  public String packet;

  @Param({"3.1.1", "5"})
  public String mqtt;

  private MqttVersion version;
  private MqttPacket value;
  private ByteBuf encoded;
  private ByteBuf out;

  static MqttPacket packet(String type) {
    byte[] payload = new byte[64];
    switch (type) {
      case "PUBLISH_QOS0": return new Publish("sensors/building-7/floor-3/temperature", 0, false, false, 0, payload,
          MqttProperties.EMPTY);
      case "PUBLISH_QOS1": return new Publish("sensors/building-7/floor-3/temperature", 1, false, false, 4711, payload,
          MqttProperties.EMPTY);
      case "PUBACK": return new PubAck(4711);
      case "PUBREL": return new PubRel(4711);
      case "CONNECT": return new Connect(MqttVersion.V3_1_1, "bench-client-0001", true, 60, "user",
          "secret".getBytes(StandardCharsets.UTF_8), null, MqttProperties.EMPTY);
      case "CONNACK": return new ConnAck(false, 0);
      case "SUBSCRIBE": return new Subscribe(7, List.of(new Subscription("sensors/+/floor-3/#", 1),
          new Subscription("alerts/#", 0)), MqttProperties.EMPTY);
      case "SUBACK": return new SubAck(7, List.of(1, 0), MqttProperties.EMPTY);
      case "UNSUBSCRIBE": return new Unsubscribe(8, List.of("sensors/+/floor-3/#"), MqttProperties.EMPTY);
      case "PINGREQ": return PingReq.INSTANCE;
      case "DISCONNECT": return Disconnect.NORMAL;
      default: throw new IllegalArgumentException(type);
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    version = mqtt.equals("5") ? MqttVersion.V5 : MqttVersion.V3_1_1;
    value = packet(packet);
    if (value instanceof Connect c) {
      value = new Connect(version, c.clientId(), c.cleanStart(), c.keepAlive(), c.username(), c.password(), null,
          MqttProperties.EMPTY);
    }
    encoded = Unpooled.directBuffer(256);
    MqttEncoder.encode(value, version, encoded);
    out = Unpooled.directBuffer(256);
    MqttPacket back = MqttDecoder.decode(encoded.duplicate(), version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
    if (back == null || back.type() != value.type()) {
      throw new IllegalStateException(packet + " does not round-trip: " + back);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    encoded.release();
    out.release();
  }

  @Benchmark
  public MqttPacket decode() {
    encoded.readerIndex(0);
    return MqttDecoder.decode(encoded, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
  }

  @Benchmark
  public int encode() {
    out.clear();
    MqttEncoder.encode(value, version, out);
    return out.writerIndex();
  }
}
