package io.tern.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code limits.max_heap_usage} in the jar with a small heap: persistent sessions with the longest
 * client ids, which every per-client bound allows, are opened until the heap is over the mark.
 * Before it, the broker ran into OutOfMemoryErrors (each further CONNECT failed somewhere on its
 * way, a probe saw the heap at 497 of 512 MB); now new clients get CONNACK Server busy, and a
 * client connected before still publishes and receives.
 */
class HeapLimitJarIT {
  private static final int MAX_SESSIONS = 5000;

  @Test
  void overMaxHeapUsageNewClientsGetServerBusyAndConnectedOnesAreServed(@TempDir Path dir) throws Exception {
    int port = TernProcess.freePort();
    Path file = dir.resolve("tern.yaml");
    Files.writeString(file, """
        listeners:
          - {name: mqtt, bind: 127.0.0.1, port: %d}
        storage: {durability: none}
        limits: {max_heap_usage: 60%%}
        """.formatted(port));
    try (TernProcess tern = TernProcess.startWithJvmOptions(List.of("-Xmx96m"), "--config", file.toString())
        .awaitStarted()) {
      MqttClient watcher = new MqttClient("tcp://127.0.0.1:" + port, "watcher", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      o.setKeepAliveInterval(0);
      watcher.connect(o);
      BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
      watcher.subscribe("w", 1, (t, m) -> got.add(new String(m.getPayload(), StandardCharsets.UTF_8)));

      int opened = 0;
      int refusedWith = 0;
      while (opened < MAX_SESSIONS) {
        int code = persistentSession(port, opened);
        if (code != 0) {
          refusedWith = code;
          break;
        }
        opened++;
      }
      assertThat(refusedWith).as("after %d sessions", opened).isEqualTo(0x89);
      assertThat(opened).isGreaterThan(50);

      watcher.publish("w", "still served".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("still served");
      watcher.disconnect();
      watcher.close();
      assertThat(tern.output()).contains("above max_heap_usage 60%").doesNotContain("OutOfMemoryError");
      assertThat(tern.terminate()).isZero();
    }
  }

  /**
   * An MQTT 5 CONNECT of a session that never expires, with a client id of 65,535 characters;
   * returns the CONNACK's reason code.
   */
  private static int persistentSession(int port, int n) throws IOException {
    byte[] id = new byte[65535];
    Arrays.fill(id, (byte) 'S');
    byte[] number = String.format("%08d", n).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(number, 0, id, 0, number.length);
    byte[] variable = {0, 4, 'M', 'Q', 'T', 'T', 5, 0 /* clean start 0 */, 0, 60,
        5, 0x11, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF /* session expiry: never */};
    int remaining = variable.length + 2 + id.length;
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(new byte[] {0x10, (byte) (0x80 | (remaining & 0x7F)), (byte) (0x80 | ((remaining >> 7) & 0x7F)),
          (byte) (remaining >> 14)}); // 65,553: three bytes
      out.write(variable);
      out.write(new byte[] {(byte) 0xFF, (byte) 0xFF});
      out.write(id);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      assertThat(in.readUnsignedByte()).isEqualTo(0x20);
      while ((in.readUnsignedByte() & 0x80) != 0) {
        // the remaining length
      }
      in.readUnsignedByte(); // session present
      return in.readUnsignedByte();
    }
  }
}
