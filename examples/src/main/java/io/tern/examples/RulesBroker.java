package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.Rule;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rules: in-process subscribers. Every temperature reading on {@code sensors/{id}/temperature} is
 * kept as the sensor's latest value; a reading over 30 raises an alert on {@code alerts/{id}}.
 */
public final class RulesBroker {
  private final Broker broker;
  private final Map<String, Double> latest = new ConcurrentHashMap<>();
  private final Rule rule;

  private RulesBroker(int port) {
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", port)).build().start();
    rule = broker.rule("sensors/+/temperature", 1, message -> {
      String sensor = message.topic().split("/")[1];
      double value = Double.parseDouble(message.payloadAsString().trim());
      latest.put(sensor, value);
      if (value > 30) {
        broker.publish("alerts/" + sensor, ("too hot: " + value).getBytes(StandardCharsets.UTF_8), 1, false);
      }
    });
  }

  public static RulesBroker start(int port) {
    return new RulesBroker(port);
  }

  public Broker broker() {
    return broker;
  }

  /** The latest reading of each sensor. */
  public Map<String, Double> latest() {
    return Map.copyOf(latest);
  }

  public Rule rule() {
    return rule;
  }

  public void stop() {
    rule.remove();
    broker.stop();
  }

  public static void main(String[] args) {
    RulesBroker b = start(args.length > 0 ? Integer.parseInt(args[0]) : 1883);
    Runtime.getRuntime().addShutdownHook(new Thread(b::stop));
    System.out.println("Listening on port " + b.broker().port());
  }
}
