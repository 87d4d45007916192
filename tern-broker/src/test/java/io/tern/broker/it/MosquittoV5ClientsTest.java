package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 end to end with {@code mosquitto_pub -V 5} and {@code mosquitto_sub -V 5}. Skipped when
 * they are missing, unless {@code -Dtern.requireMosquittoClients=true} (set by CI).
 */
class MosquittoV5ClientsTest {
  @RegisterExtension final TestBroker tb = new TestBroker();
  @RegisterExtension final MosquittoClients mosquitto = new MosquittoClients();

  @BeforeAll
  static void needsMosquittoClients() {
    MosquittoClients.requireInstalled();
  }

  private static String output(Process p) throws Exception {
    assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  private String[] cmd(String tool, String... args) {
    List<String> c = new ArrayList<>(List.of(tool, "-h", "127.0.0.1", "-p", Integer.toString(tb.port()), "-V", "5"));
    c.addAll(Arrays.asList(args));
    return c.toArray(new String[0]);
  }

  private void awaitSubscriptions(int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> tb.broker().stats().subscriptions() >= n);
  }

  @Test
  void publishPropertiesReachMosquittoSub() throws Exception {
    tb.start();
    Process sub = mosquitto.start(cmd("mosquitto_sub", "-t", "props/#", "-C", "1", "-W", "10", "-F", "%t|%C|%R|%P|%p"));
    awaitSubscriptions(1);
    mosquitto.run(cmd("mosquitto_pub", "-t", "props/1", "-m", "body", "-q", "1",
        "-D", "publish", "content-type", "text/plain",
        "-D", "publish", "response-topic", "reply/1",
        "-D", "publish", "user-property", "k", "v"));
    assertThat(output(sub)).isEqualTo("props/1|text/plain|reply/1|k:v|body");
  }

  @Test
  void messageExpiryIsForwarded() throws Exception {
    tb.start();
    Process sub = mosquitto.start(cmd("mosquitto_sub", "-t", "exp", "-C", "1", "-W", "10", "-F", "%E %p"));
    awaitSubscriptions(1);
    mosquitto.run(cmd("mosquitto_pub", "-t", "exp", "-m", "x", "-D", "publish", "message-expiry-interval", "300"));
    assertThat(output(sub)).matches("(300|299) x");
  }

  @Test
  void sharedSubscriptionSplitsBetweenTwoMosquittoSubs() throws Exception {
    tb.start();
    Process a = mosquitto.start(cmd("mosquitto_sub", "-t", "$share/g/work", "-q", "1", "-C", "2", "-W", "10"));
    Process b = mosquitto.start(cmd("mosquitto_sub", "-t", "$share/g/work", "-q", "1", "-C", "2", "-W", "10"));
    awaitSubscriptions(2);
    for (int i = 0; i < 4; i++) {
      mosquitto.run(cmd("mosquitto_pub", "-t", "work", "-q", "1", "-m", "w" + i));
    }
    List<String> all = new ArrayList<>(List.of(output(a).split("\n")));
    all.addAll(List.of(output(b).split("\n")));
    assertThat(all).containsExactlyInAnyOrder("w0", "w1", "w2", "w3");
  }

  @Test
  void persistentV5SessionWithExpiryGetsQueuedMessages() throws Exception {
    tb.start();
    // -c with -x: clean start off and a session expiry interval; -E exits once subscribed.
    mosquitto.run(cmd("mosquitto_sub", "-i", "keeper5", "-c", "-x", "60", "-q", "1", "-t", "q/#", "-E"));
    mosquitto.run(cmd("mosquitto_pub", "-q", "1", "-t", "q/1", "-m", "waiting"));
    String out = mosquitto.run(cmd("mosquitto_sub", "-i", "keeper5", "-c", "-x", "60", "-q", "1", "-t", "q/#", "-C", "1",
        "-W", "10"));
    assertThat(out.trim()).isEqualTo("waiting");
  }

  @Test
  void v311PublisherReachesV5Subscriber() throws Exception {
    tb.start();
    Process sub = mosquitto.start(cmd("mosquitto_sub", "-t", "mix", "-C", "1", "-W", "10", "-v"));
    awaitSubscriptions(1);
    mosquitto.run("mosquitto_pub", "-h", "127.0.0.1", "-p", Integer.toString(tb.port()), "-V", "mqttv311", "-t", "mix",
        "-m", "from 3.1.1");
    assertThat(output(sub)).isEqualTo("mix from 3.1.1");
  }

  @Test
  void delayedWillOfAKilledV5ClientIsPublished() throws Exception {
    tb.start();
    Process watcher = mosquitto.start(cmd("mosquitto_sub", "-t", "wills/#", "-C", "1", "-W", "10", "-v"));
    awaitSubscriptions(1);
    Process victim = mosquitto.start(cmd("mosquitto_sub", "-i", "victim5", "-c", "-x", "60", "-t", "nothing",
        "--will-topic", "wills/victim5", "--will-payload", "died", "-D", "will", "will-delay-interval", "1"));
    awaitSubscriptions(2);
    victim.destroyForcibly(); // SIGKILL: no DISCONNECT
    assertThat(output(watcher)).isEqualTo("wills/victim5 died");
  }
}
