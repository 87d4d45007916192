package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.event.BrokerEvent;
import java.nio.charset.StandardCharsets;

/**
 * Publishes AWS-IoT-style lifecycle messages: JSON on {@code $events/presence/connected/{clientId}},
 * {@code $events/presence/disconnected/{clientId}}, {@code $events/subscriptions/subscribed/{clientId}}
 * and {@code $events/subscriptions/unsubscribed/{clientId}}. Subscribe to {@code $events/#} to watch.
 */
public final class LifecycleEventsBroker {
  private LifecycleEventsBroker() {}

  public static Broker start(int port) {
    Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", port)).build();
    broker.onEvent(event -> {
      String topic = null;
      String json = null;
      if (event instanceof BrokerEvent.Connected c) {
        topic = "$events/presence/connected/" + c.clientId();
        json = "{\"clientId\":" + quote(c.clientId()) + ",\"timestamp\":" + c.timestamp()
            + ",\"eventType\":\"connected\",\"principalIdentifier\":" + quote(c.username())
            + ",\"ipAddress\":" + quote(c.remoteAddress() == null ? null : c.remoteAddress().getAddress().getHostAddress())
            + ",\"versionNumber\":" + c.protocolVersion() + ",\"cleanStart\":" + c.cleanStart() + "}";
      } else if (event instanceof BrokerEvent.Disconnected d) {
        topic = "$events/presence/disconnected/" + d.clientId();
        json = "{\"clientId\":" + quote(d.clientId()) + ",\"timestamp\":" + d.timestamp()
            + ",\"eventType\":\"disconnected\",\"principalIdentifier\":" + quote(d.username())
            + ",\"disconnectReason\":" + quote(d.reason().name()) + "}";
      } else if (event instanceof BrokerEvent.Subscribed s) {
        topic = "$events/subscriptions/subscribed/" + s.clientId();
        json = "{\"clientId\":" + quote(s.clientId()) + ",\"timestamp\":" + s.timestamp()
            + ",\"eventType\":\"subscribed\",\"topics\":[" + quote(s.filter()) + "]}";
      } else if (event instanceof BrokerEvent.Unsubscribed u) {
        topic = "$events/subscriptions/unsubscribed/" + u.clientId();
        json = "{\"clientId\":" + quote(u.clientId()) + ",\"timestamp\":" + u.timestamp()
            + ",\"eventType\":\"unsubscribed\",\"topics\":[" + quote(u.filter()) + "]}";
      }
      if (topic != null && broker.isRunning() && validTopic(topic)) {
        broker.publish(topic, json.getBytes(StandardCharsets.UTF_8), 1, false);
      }
    });
    return broker.start();
  }

  private static boolean validTopic(String topic) {
    return topic.indexOf('+') < 0 && topic.indexOf('#') < 0;
  }

  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (ch < 0x20) {
            b.append(String.format("\\u%04x", (int) ch));
          } else {
            b.append(ch);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  public static void main(String[] args) {
    Broker broker = start(args.length > 0 ? Integer.parseInt(args[0]) : 1883);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
    System.out.println("Listening on port " + broker.port() + "; lifecycle events on $events/#");
  }
}
