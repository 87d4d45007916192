package io.tern.broker.plugins;

import io.tern.broker.Broker;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.Registration;
import java.util.ArrayList;
import java.util.List;

/**
 * Auto-subscribe on connect: every client that connects is subscribed to the configured filters,
 * as if it had sent SUBSCRIBE itself (it gets no SUBACK; retained messages are sent). In a filter,
 * {@code %c} stands for the client id and {@code %u} for the user name (a filter with {@code %u}
 * is skipped for clients without one). The subscriptions are made just after the CONNACK (from the
 * {@link BrokerEvent.Connected} event), so a message published in the first milliseconds may be
 * missed.
 *
 * <pre>{@code
 * Broker.builder().plugin(AutoSubscribe.builder().filter("commands/%c", 1).filter("broadcast/#", 0).build())...
 * }</pre>
 */
public final class AutoSubscribe implements Plugin {
  private record Entry(String filter, int qos) {}

  private final List<Entry> entries;
  private Registration registration;

  private AutoSubscribe(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(Broker broker) {
    registration = broker.onEvent(e -> {
      if (e instanceof BrokerEvent.Connected c) {
        for (Entry entry : entries) {
          String f = entry.filter;
          if (f.contains("%u")) {
            if (c.username() == null || c.username().contains("+") || c.username().contains("#")) {
              continue;
            }
            f = f.replace("%u", c.username());
          }
          if (f.contains("%c")) {
            if (c.clientId().contains("+") || c.clientId().contains("#")) {
              continue;
            }
            f = f.replace("%c", c.clientId());
          }
          try {
            broker.subscribe(c.clientId(), f, entry.qos);
          } catch (IllegalArgumentException invalid) {
            // a client id or user name that makes the filter invalid: skipped for this client
          }
        }
      }
    });
  }

  @Override
  public void stop() {
    if (registration != null) {
      registration.remove();
    }
  }

  @Override
  public String toString() {
    return "auto-subscribe " + entries;
  }

  /** Builds an {@link AutoSubscribe}. */
  public static final class Builder {
    private final List<Entry> entries = new ArrayList<>();

    private Builder() {}

    /** Subscribes every client to {@code filter} ({@code %c}, {@code %u} allowed) at {@code qos}. */
    public Builder filter(String filter, int qos) {
      if (qos < 0 || qos > 2 || filter.isEmpty()) {
        throw new IllegalArgumentException("invalid auto-subscription " + filter + " QoS " + qos);
      }
      entries.add(new Entry(filter, qos));
      return this;
    }

    public AutoSubscribe build() {
      return new AutoSubscribe(entries);
    }
  }
}
