package io.tern.test;

import io.tern.broker.Broker;
import io.tern.broker.MqttMessage;
import io.tern.broker.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The messages a {@link TernTestBroker#capture capture} has seen, in the order the broker routed
 * them, with waits bounded by a timeout. Iterable, so AssertJ reads it directly; the accessors
 * ({@link #topics()}, {@link #payloads()}) give lists to assert on.
 *
 * <pre>{@code
 * TernMessages readings = broker.capture("sensors/+/temperature");
 * // ... the code under test publishes ...
 * readings.await(3, Duration.ofSeconds(5));
 * assertThat(readings.payloads()).containsExactly("20.5", "21.0", "21.5");
 * assertThat(readings).allSatisfy(m -> assertThat(m.qos()).isEqualTo(1));
 * }</pre>
 *
 * <p>Thread-safe. Built on an in-process rule of the broker: messages reach it on the rule's own
 * thread through a bounded queue; a test that floods one capture faster than it can be recorded may
 * lose messages ({@link #dropped()} says how many).
 */
public final class TernMessages implements Iterable<MqttMessage>, AutoCloseable {
  private final String filter;
  private final List<MqttMessage> messages = new ArrayList<>();
  private final Rule rule;
  private final Consumer<TernMessages> onClose;

  TernMessages(Broker broker, String filter, Consumer<TernMessages> onClose) {
    this.filter = filter;
    this.onClose = onClose;
    this.rule = broker.rule(filter, 2, this::add); // QoS 2: each message at the QoS it was published with
  }

  private void add(MqttMessage m) {
    synchronized (messages) {
      messages.add(m);
      messages.notifyAll();
    }
  }

  /** The topic filter captured. */
  public String filter() {
    return filter;
  }

  /** How many messages have arrived so far. */
  public int size() {
    synchronized (messages) {
      return messages.size();
    }
  }

  /** A snapshot of the messages so far. */
  public List<MqttMessage> all() {
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  /** The topics of the messages so far, in order. */
  public List<String> topics() {
    return all().stream().map(MqttMessage::topic).toList();
  }

  /** The payloads of the messages so far, decoded as UTF-8, in order. */
  public List<String> payloads() {
    return all().stream().map(MqttMessage::payloadAsString).toList();
  }

  /**
   * Waits until at least {@code count} messages have arrived and returns the first {@code count}.
   *
   * @throws AssertionError when fewer arrived within {@code timeout}, listing those that did
   */
  public List<MqttMessage> await(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (messages) {
      while (messages.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("expected " + count + " message(s) on " + filter + " within "
              + timeout.toMillis() + " ms, but " + describe(messages));
        }
        waitNanos(left);
      }
      return List.copyOf(messages.subList(0, count));
    }
  }

  /** Waits for the first message. @throws AssertionError when none arrives within {@code timeout} */
  public MqttMessage awaitFirst(Duration timeout) {
    return await(1, timeout).get(0);
  }

  /**
   * Waits until a message (one that arrived before, or a new one) matches {@code condition}, and
   * returns the first that does.
   *
   * @throws AssertionError when none does within {@code timeout}
   */
  public MqttMessage awaitMatching(Predicate<MqttMessage> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int checked = 0;
    synchronized (messages) {
      while (true) {
        for (; checked < messages.size(); checked++) {
          if (condition.test(messages.get(checked))) {
            return messages.get(checked);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("expected a matching message on " + filter + " within " + timeout.toMillis()
              + " ms, but " + describe(messages));
        }
        waitNanos(left);
      }
    }
  }

  /**
   * Asserts that no message arrives for {@code duration} (and none had arrived before): for "this
   * must not be published". It waits the whole duration, so keep it short.
   *
   * @throws AssertionError at the first message
   */
  public void assertNone(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    synchronized (messages) {
      while (messages.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        waitNanos(left);
      }
      throw new AssertionError("expected no message on " + filter + ", but " + describe(messages));
    }
  }

  /** Forgets the messages so far (for example between the steps of a test). */
  public void clear() {
    synchronized (messages) {
      messages.clear();
    }
  }

  /** Messages the broker could not hand to this capture because its queue was full. */
  public long dropped() {
    return rule.dropped();
  }

  @Override
  public Iterator<MqttMessage> iterator() {
    return all().iterator();
  }

  /** Stops capturing; the messages so far stay readable. Idempotent. */
  @Override
  public void close() {
    rule.remove();
    onClose.accept(this);
  }

  private void waitNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.timedWait(messages, nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for messages on " + filter, e);
    }
  }

  private static String describe(List<MqttMessage> got) {
    if (got.isEmpty()) {
      return "none arrived";
    }
    StringBuilder b = new StringBuilder().append(got.size()).append(" arrived: ");
    int shown = Math.min(got.size(), 10);
    for (int i = 0; i < shown; i++) {
      MqttMessage m = got.get(i);
      String payload = m.payloadAsString();
      b.append(i == 0 ? "" : ", ").append(m.topic()).append('=')
          .append(payload.length() > 40 ? payload.substring(0, 40) + "..." : payload);
    }
    return b.append(got.size() > shown ? ", ..." : "").toString();
  }

  @Override
  public String toString() {
    synchronized (messages) {
      return "TernMessages[" + filter + ": " + describe(new ArrayList<>(messages)) + "]";
    }
  }
}
