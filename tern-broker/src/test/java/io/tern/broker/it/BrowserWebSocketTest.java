package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.TlsConfig;
import io.tern.broker.testsupport.ExternalTools;
import io.tern.broker.testsupport.TestCertificates;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT over WebSocket from a real browser: headless Chromium (Debian's {@code /usr/bin/chromium},
 * driven by npm {@code playwright-core}) loads a page that connects with MQTT.js's browser bundle,
 * subscribes, and receives a message published by Paho over TCP. The Node side is {@code
 * src/test/js/browser.js}, pinned with MQTT.js in {@code src/test/js/package-lock.json} and
 * installed with {@code npm ci} on first use. Skipped when Node, npm or Chromium is missing or the
 * install fails, unless {@code -Dtern.requireChromium=true} (set by CI), which makes that a failure.
 */
class BrowserWebSocketTest {
  private static final Path JS = Path.of("src", "test", "js");
  private static final boolean REQUIRED = Boolean.getBoolean("tern.requireChromium");

  @TempDir Path dir;
  private Broker broker;
  private MqttClient publisher;

  @BeforeAll
  static void needsNodeAndChromium() throws Exception {
    ExternalTools.requireNode(REQUIRED);
    ExternalTools.requireChromium(REQUIRED);
    ExternalTools.npmCi(JS, REQUIRED, "mqtt", "playwright-core");
  }

  @AfterEach
  void stop() throws Exception {
    if (publisher != null && publisher.isConnected()) {
      publisher.disconnect();
    }
    if (broker != null) {
      broker.stop();
    }
  }

  /**
   * Runs the page against {@code url}, publishes with Paho once it has subscribed, and returns the
   * JSON line of what the page received.
   */
  private String browserReceives(String url, String topic, String text) throws Exception {
    File err = dir.resolve("node.err").toFile();
    Process node = new ProcessBuilder("node", "browser.js", url, topic)
        .directory(JS.toFile()).redirectError(err).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
      // browser.js gives up after 20 s, so these reads end.
      String first = out.readLine();
      assertThat(first).as("browser: %s", new Object() {
        @Override
        public String toString() {
          return readQuietly(err);
        }
      }).isEqualTo("subscribed");
      publisher = new MqttClient("tcp://127.0.0.1:" + broker.port("tcp"), "paho-pub", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setConnectionTimeout(5);
      publisher.setTimeToWait(5000);
      publisher.connect(o);
      publisher.publish(topic, text.getBytes(StandardCharsets.UTF_8), 1, false);
      String received = out.readLine();
      assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(node.exitValue()).as("browser: %s", readQuietly(err)).isZero();
      return received;
    } finally {
      node.destroyForcibly();
    }
  }

  private static String readQuietly(File f) {
    try {
      return Files.readString(f.toPath());
    } catch (java.io.IOException e) {
      return "(no stderr: " + e + ")";
    }
  }

  @Test
  void chromiumReceivesOverWebSocketWhatPahoPublishesOverTcp() throws Exception {
    broker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0).withName("tcp"))
        .listener(Listener.ws("127.0.0.1", 0).withName("ws"))
        .build().start();
    String json = browserReceives("ws://127.0.0.1:" + broker.port("ws") + "/mqtt", "browser/ws", "hello, browser");
    assertThat(json).contains("\"granted\":1", "\"topic\":\"browser/ws\"", "\"payload\":\"hello, browser\"",
        "\"qos\":1", "HeadlessChrome");
  }

  @Test
  void chromiumReceivesOverSecureWebSocketWithATestCertificate() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    broker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0).withName("tcp"))
        .listener(Listener.wss("127.0.0.1", 0, TlsConfig.builder(certs.serverCert, certs.serverKey).build())
            .withName("wss"))
        .build().start();
    String json = browserReceives("wss://127.0.0.1:" + broker.port("wss") + "/mqtt", "browser/wss", "over TLS");
    assertThat(json).contains("\"topic\":\"browser/wss\"", "\"payload\":\"over TLS\"", "\"qos\":1");
  }
}
