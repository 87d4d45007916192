package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end with {@code mosquitto_pub} and {@code mosquitto_sub} (Debian package
 * mosquitto-clients). Skipped when they are missing, unless {@code -Dtern.requireMosquittoClients=true}
 * (set by CI), which makes a missing binary a failure.
 */
class MosquittoClientsTest {
  @RegisterExtension final TestBroker tb = new TestBroker();
  @RegisterExtension final MosquittoClients mosquitto = new MosquittoClients();

  @BeforeAll
  static void needsMosquittoClients() {
    MosquittoClients.requireInstalled();
  }

  private void awaitSubscriptions(int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().subscriptions() >= n);
  }

  @ParameterizedTest(name = "{0} QoS {1}")
  @CsvSource({"mqttv31,0", "mqttv31,1", "mqttv31,2", "mqttv311,0", "mqttv311,1", "mqttv311,2"})
  void mosquittoPubReachesMosquittoSub(String version, int qos) throws Exception {
    tb.start();
    String port = Integer.toString(tb.port());
    Process sub = mosquitto.start("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-V", version, "-q", "2",
        "-t", "m/+/v", "-C", "1", "-W", "10", "-v");
    awaitSubscriptions(1);
    mosquitto.run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", version, "-q", Integer.toString(qos),
        "-t", "m/1/v", "-m", "hello " + qos);
    assertThat(sub.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
        .isEqualTo("m/1/v hello " + qos);
  }

  @Test
  void retainedMessageFromMosquittoPubIsDeliveredToALateSubscriber() throws Exception {
    tb.start();
    String port = Integer.toString(tb.port());
    mosquitto.run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-r", "-t", "r/t", "-m", "kept");
    String out = mosquitto.run("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "r/#", "-C", "1", "-W", "10",
        "-F", "%t %r %p");
    assertThat(out.trim()).isEqualTo("r/t 1 kept");
    mosquitto.run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-r", "-t", "r/t", "-n");
    await().atMost(Duration.ofSeconds(5)).until(() -> tb.broker().stats().retainedMessages() == 0);
  }

  @Test
  void willOfAKilledMosquittoSubIsPublished() throws Exception {
    tb.start();
    String port = Integer.toString(tb.port());
    Process watcher = mosquitto.start("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "wills/#", "-C", "1",
        "-W", "10", "-v");
    awaitSubscriptions(1);
    Process victim = mosquitto.start("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-i", "victim", "-t", "nothing",
        "--will-topic", "wills/victim", "--will-payload", "died", "--will-qos", "1");
    awaitSubscriptions(2);
    victim.destroyForcibly(); // SIGKILL: no DISCONNECT
    assertThat(watcher.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(watcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
        .isEqualTo("wills/victim died");
  }

  @Test
  void persistentMosquittoSubReceivesQueuedMessagesAfterReconnecting() throws Exception {
    tb.start();
    String port = Integer.toString(tb.port());
    // -c: clean session off; -E: exit as soon as the subscription is acknowledged.
    mosquitto.run("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-i", "keeper", "-c", "-q", "1", "-t", "q/#", "-E");
    for (int i = 0; i < 3; i++) {
      mosquitto.run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "q/" + i, "-m", "msg" + i);
    }
    String out = mosquitto.run("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-i", "keeper", "-c", "-q", "1",
        "-t", "q/#", "-C", "3", "-W", "10");
    assertThat(out.trim().split("\n")).containsExactly("msg0", "msg1", "msg2");
  }
}
