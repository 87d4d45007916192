package io.tern.test;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Listener;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A broker started for a test: where to connect ({@link #uri()}, {@link #port()}), the {@link Broker}
 * itself, publishing from the test, and {@link #capture capturing} what clients publish.
 *
 * <p>Thread-safe. Closing it stops the broker and ends its captures; the {@link TernExtension} does
 * that when the test class or method is done.
 */
public final class TernTestBroker implements AutoCloseable {
  private final Broker broker;
  private final List<TernMessages> captures = new CopyOnWriteArrayList<>();

  private TernTestBroker(Broker broker) {
    this.broker = broker;
  }

  /**
   * Builds and starts a broker with a TCP listener on {@code 127.0.0.1} and a free port, changed by
   * {@code customizer}. For use without the extension; close it when done.
   */
  public static TernTestBroker start(BrokerCustomizer customizer) {
    Broker.Builder b = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0))
        .configure(c -> c.ioThreads(2)); // a test broker needs few threads, however many cores
    customizer.customize(b);
    return new TernTestBroker(b.build().start());
  }

  /** A started broker with the defaults. */
  public static TernTestBroker start() {
    return start(new BrokerCustomizer.None());
  }

  /** The broker, for anything this class does not offer. */
  public Broker broker() {
    return broker;
  }

  /** The host clients connect to: {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The bound port of the first listener. */
  public int port() {
    return broker.port();
  }

  /** {@code tcp://127.0.0.1:port}, the form Paho and most clients take. */
  public String uri() {
    return "tcp://" + host() + ":" + port();
  }

  /** {@link #uri()} as a {@link URI}. */
  public URI asUri() {
    return URI.create(uri());
  }

  public BrokerConfig config() {
    return broker.config();
  }

  /**
   * Captures every message published from now on to a topic matching {@code filter} ({@code +},
   * {@code #} allowed), in-process: no network client, nothing a client can see. Messages keep
   * their QoS, retain flag and MQTT 5 properties. Close the capture when done, or let the broker's
   * end close it.
   *
   * @throws IllegalArgumentException for an invalid filter
   */
  public TernMessages capture(String filter) {
    TernMessages m = new TernMessages(broker, Objects.requireNonNull(filter, "filter"), captures::remove);
    captures.add(m);
    return m;
  }

  /** Publishes a QoS 0 message with a UTF-8 payload, as if a client had. */
  public void publish(String topic, String payload) {
    broker.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 0, false);
  }

  /** Publishes a message, as if a client had. */
  public void publish(String topic, byte[] payload, int qos, boolean retain) {
    broker.publish(topic, payload, qos, retain);
  }

  /** The broker's counters (connections, sessions, subscriptions, messages). */
  public Broker.Stats stats() {
    return broker.stats();
  }

  /** Whether the broker still runs. */
  public boolean isRunning() {
    return broker.isRunning();
  }

  /** Ends the captures and stops the broker. Idempotent. */
  @Override
  public void close() {
    for (TernMessages m : captures) {
      m.close();
    }
    broker.stop();
  }

  @Override
  public String toString() {
    return "TernTestBroker[" + (broker.isRunning() ? uri() : "stopped") + "]";
  }
}
