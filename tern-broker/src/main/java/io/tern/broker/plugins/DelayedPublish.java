package io.tern.broker.plugins;

import io.tern.broker.Broker;
import io.tern.broker.MqttMessage;
import io.tern.broker.auth.Action;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.broker.hook.Registration;
import io.tern.codec.Property;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delayed publish: a PUBLISH to {@code $delayed/{seconds}/{topic}} is acknowledged at once and
 * published to {@code {topic}} (same payload, QoS, retain flag and properties) after {@code seconds}.
 * Delayed messages live in memory: they are lost if the broker stops first. A malformed topic is
 * refused with {@code 0x90 Topic Name invalid}; more than {@code maxPending} waiting messages, or a
 * delay over {@code maxDelaySeconds}, with {@code 0x97 Quota exceeded}; a target topic the
 * broker's {@link Authorizer} does not let the client publish to, with {@code 0x87 Not authorized}
 * (the authorizer is asked about both topics, {@code $delayed/...} first). It goes as the client's
 * own message: not to its subscriptions with No Local, a retained one held to the retained quotas
 * (over them: published with RETAIN 0), its Message Expiry Interval less the delay (one that
 * ends before the delay does is not published).
 *
 * <pre>{@code
 * Broker.builder().plugin(new DelayedPublish())...
 * // mosquitto_pub -t '$delayed/10/alarm/wake' -m 'ring'   → on alarm/wake ten seconds later
 * }</pre>
 */
public final class DelayedPublish implements Plugin, PublishHook {
  /** The topic prefix. */
  public static final String PREFIX = "$delayed/";
  private static final Logger log = LoggerFactory.getLogger(DelayedPublish.class);

  private final long maxDelaySeconds;
  private final int maxPending;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile Broker broker;
  private volatile ScheduledExecutorService timer;
  private Registration registration;

  /** At most one day of delay and 100,000 waiting messages. */
  public DelayedPublish() {
    this(86_400, 100_000);
  }

  public DelayedPublish(long maxDelaySeconds, int maxPending) {
    this.maxDelaySeconds = maxDelaySeconds;
    this.maxPending = maxPending;
  }

  @Override
  public void start(Broker b) {
    broker = b;
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tern-delayed-publish");
      t.setDaemon(true);
      return t;
    });
    registration = b.addHook(this);
  }

  @Override
  public void stop() {
    if (registration != null) {
      registration.remove();
    }
    ScheduledExecutorService t = timer;
    if (t != null) {
      t.shutdownNow();
    }
    pending.set(0);
  }

  /** Messages waiting for their time. */
  public int pending() {
    return pending.get();
  }

  @Override
  public PublishDecision onPublish(ClientInfo client, MqttMessage message) {
    String topic = message.topic();
    if (!topic.startsWith(PREFIX)) {
      return PublishDecision.CONTINUE;
    }
    int slash = topic.indexOf('/', PREFIX.length());
    long seconds;
    try {
      seconds = slash < 0 ? -1 : Long.parseLong(topic.substring(PREFIX.length(), slash));
    } catch (NumberFormatException e) {
      seconds = -1;
    }
    String target = slash < 0 ? "" : topic.substring(slash + 1);
    if (seconds < 0 || target.isEmpty() || target.startsWith("$") || target.contains("+") || target.contains("#")) {
      return PublishDecision.refuse(0x90);
    }
    // The broker's authorizer checked the $delayed/ topic; the message goes to the target, so the
    // client must be allowed to publish there too (a throw is the hook's failure: refused, logged).
    Authorizer authorizer = broker.config().authorizer();
    if (authorizer != Authorizer.ALLOW_ALL
        && !authorizer.authorize(client, Action.PUBLISH, target, message.qos()).allowed()) {
      return PublishDecision.refuse(0x87);
    }
    if (seconds > maxDelaySeconds || pending.incrementAndGet() > maxPending) {
      if (seconds <= maxDelaySeconds) {
        pending.decrementAndGet();
      }
      return PublishDecision.refuse(0x97);
    }
    MqttMessage later = message.withTopic(target);
    long expiry = message.properties().getLong(Property.MESSAGE_EXPIRY_INTERVAL, -1);
    if (expiry >= 0 && seconds > 0) {
      if (expiry <= seconds) { // it would be gone before its time (MQTT-3.3.2-5): acknowledged, not sent
        pending.decrementAndGet();
        return PublishDecision.handled();
      }
      // What is left of its lifetime when it goes (MQTT-3.3.2-6: less the time it waited here).
      later = later.withProperties(
          message.properties().toBuilder().set(Property.MESSAGE_EXPIRY_INTERVAL, expiry - seconds).build());
    }
    MqttMessage delayed = later;
    String clientId = client.clientId();
    timer.schedule(() -> {
      pending.decrementAndGet();
      try {
        broker.publish(delayed, clientId); // as the client: its No Local, the retained quotas
      } catch (RuntimeException e) {
        log.warn("Delayed publish to {} failed", target, e);
      }
    }, seconds, TimeUnit.SECONDS);
    return PublishDecision.handled();
  }

  @Override
  public String name() {
    return "delayed publish";
  }

  @Override
  public String toString() {
    return name();
  }
}
