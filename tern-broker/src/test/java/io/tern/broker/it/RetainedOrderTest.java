package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.hook.DeliverDecision;
import io.tern.broker.hook.DeliverHook;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT-4.6.0-6 across a SUBSCRIBE and a retained publish racing on two threads: the new subscriber
 * never gets the topic's older retained message after the newer one. (A black-box probe saw it in
 * 1 of 40-60 tries: the retained store was read on the subscriber's loop, a newer message stored
 * and routed to the new subscription from a publisher's loop, and only then the older one queued.)
 */
@Timeout(30)
class RetainedOrderTest {
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void aNewerRetainedMessageRoutedWhileTheOlderIsReadForANewSubscriptionIsNotFollowedByTheOlder() throws Exception {
    assertThat(race("state", List.of("state"))).as("never the older after the newer").containsExactly("state=new");
  }

  @Test
  void theSameForOneTopicOfSeveralThatAWildcardSubscriptionGets() throws Exception {
    // Several retained messages go to the session as one batch, looked up again only when the store changed.
    assertThat(race("state/#", List.of("state/a", "state/b", "state/c")))
        .containsExactlyInAnyOrder("state/a=new", "state/b=old", "state/c=old")
        .doesNotContain("state/a=old");
  }

  /**
   * Retains "old" on each topic, then subscribes "late" to {@code filter}; while the first topic's
   * retained message is read for it, "new" is published retained on that topic from another thread
   * and routed to the new subscriber. What "late" gets, as topic=payload, in order.
   */
  private List<String> race(String filter, List<String> topics) throws Exception {
    String raced = topics.get(0);
    AtomicBoolean once = new AtomicBoolean();
    CountDownLatch newerRouted = new CountDownLatch(1);
    // The deliver hook runs where the retained message is read for the new subscription (the
    // subscriber's loop): there, the race is made to happen every time, by publishing the newer
    // message from another thread and waiting until it has been routed to the new subscriber.
    DeliverHook race = (subscriber, m) -> {
      if (!subscriber.clientId().equals("late") || !m.topic().equals(raced)) {
        return DeliverDecision.CONTINUE;
      }
      String value = m.payloadAsString();
      if (value.equals("new")) {
        newerRouted.countDown();
      } else if (value.equals("old") && once.compareAndSet(false, true)) {
        Thread publisher = new Thread(() -> broker.publish(raced, "new".getBytes(StandardCharsets.UTF_8), 1, true));
        publisher.start();
        try {
          assertThat(newerRouted.await(5, TimeUnit.SECONDS)).isTrue();
          publisher.join(5_000); // routed and handed to the session's mailbox
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return DeliverDecision.CONTINUE;
    };
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).hook(race).build().start();
    for (String t : topics) {
      broker.publish(t, "old".getBytes(StandardCharsets.UTF_8), 1, true);
    }
    Mqtt5BlockingClient late = Mqtt5Client.builder().identifier("late").serverHost("127.0.0.1")
        .serverPort(broker.port()).buildBlocking();
    late.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes in = late.publishes(MqttGlobalPublishFilter.ALL)) {
      late.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
      List<String> got = new ArrayList<>();
      Optional<Mqtt5Publish> p;
      while ((p = in.receive(1, TimeUnit.SECONDS)).isPresent()) {
        got.add(p.get().getTopic() + "=" + StandardCharsets.UTF_8.decode(p.get().getPayload().orElseThrow()));
      }
      assertThat(once).as("the race happened").isTrue();
      return got;
    } finally {
      late.disconnect();
    }
  }
}
