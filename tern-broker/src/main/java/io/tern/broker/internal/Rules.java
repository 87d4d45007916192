package io.tern.broker.internal;

import io.tern.broker.MqttMessage;
import io.tern.broker.Rule;
import io.tern.broker.RuleHandler;
import io.tern.broker.event.BrokerEvent;
import io.tern.broker.event.DropReason;
import io.tern.codec.Topics;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules: in-process subscribers. Each rule is a subscription in the trie like a client's, held by
 * a session of its own that no connection ever attaches to; the session hands what routing gives it
 * to the rule's bounded queue instead of queueing it for a client (see {@link Session#enqueue}), and
 * a thread per rule runs the handler. Routing cost is shared with the clients' subscriptions.
 */
final class Rules {
  private static final Logger log = LoggerFactory.getLogger(Rules.class);
  static final int QUEUE_CAPACITY = 10_000;

  private final BrokerCore core;

  Rules(BrokerCore core) {
    this.core = core;
  }

  Rule add(String filter, int qos, RuleHandler handler) {
    if (!Topics.isValidFilter(filter) || Topics.isShared(filter)) {
      throw new IllegalArgumentException("invalid topic filter for a rule: '" + filter + "'");
    }
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("QoS " + qos);
    }
    RuleSink sink = new RuleSink(filter, qos, handler, core);
    sink.start();
    return sink;
  }

  /** The receiving end of a rule: its session's deliveries go to {@link #offer}. */
  static final class RuleSink implements Rule {
    private final String filter;
    private final int qos;
    private final RuleHandler handler;
    private final BrokerCore core;
    private final BlockingQueue<Delivery> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Session session;
    private final Thread thread;
    private volatile boolean removed;

    RuleSink(String filter, int qos, RuleHandler handler, BrokerCore core) {
      this.filter = filter;
      this.qos = qos;
      this.handler = handler;
      this.core = core;
      this.session = Session.forRule("$rule/" + filter, core, this);
      this.thread = new Thread(this::run, "tern-rule " + filter);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
      core.subscriptions().subscribe(Subscriber.of(session, filter, qos, false, false, 2, 0));
    }

    /** From the publishing thread: never blocks; drops (counted) when the queue is full. */
    void offer(Delivery d) {
      if (removed) {
        return;
      }
      if (!queue.offer(d)) {
        dropped.incrementAndGet();
        core.stats().messagesDropped.increment();
        if (core.events().active()) {
          core.events().emit(new BrokerEvent.MessageDropped(System.currentTimeMillis(), session.clientId,
              d.message().topic(), d.qos(), DropReason.RULE_QUEUE_FULL, 1));
        }
      }
    }

    void offerAll(List<Delivery> batch) {
      for (int i = 0, n = batch.size(); i < n; i++) {
        offer(batch.get(i));
      }
    }

    private void run() {
      while (!removed) {
        Delivery d;
        try {
          d = queue.take();
        } catch (InterruptedException e) {
          return;
        }
        if (removed) {
          return;
        }
        Message m = d.message();
        MqttMessage view = MqttMessage.wrap(m.publish().withDelivery(d.qos(), m.retain(), false, 0));
        try {
          handler.onMessage(view);
        } catch (Exception e) {
          log.warn("Rule {}: handler failed on a message to {}", filter, m.topic(), e);
        }
        delivered.incrementAndGet();
      }
    }

    @Override
    public String filter() {
      return filter;
    }

    @Override
    public int qos() {
      return qos;
    }

    @Override
    public long delivered() {
      return delivered.get();
    }

    @Override
    public long dropped() {
      return dropped.get();
    }

    @Override
    public void remove() {
      if (removed) {
        return;
      }
      removed = true;
      core.subscriptions().unsubscribe(session, filter);
      thread.interrupt();
      if (Thread.currentThread() != thread) {
        try {
          thread.join(5000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      queue.clear();
    }

    @Override
    public String toString() {
      return "rule " + filter + " (QoS " + qos + ")";
    }
  }
}
