package io.tern.broker.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Broker-wide counters. LongAdders: written from every event loop, read rarely. */
public final class BrokerStats {
  final LongAdder messagesDropped = new LongAdder();
  final LongAdder connectionsTotal = new LongAdder();
  final AtomicLong connectionsCurrent = new AtomicLong();
  final LongAdder protocolErrors = new LongAdder();
  /** Messages dropped because their Message Expiry Interval passed before they were sent. */
  final LongAdder messagesExpired = new LongAdder();
  /** Messages not sent to a client because they exceed its Maximum Packet Size (MQTT-3.1.2-25). */
  final LongAdder messagesTooLarge = new LongAdder();
  final LongAdder connectionsRefusedLimit = new LongAdder();
  final LongAdder connectionsRefusedRate = new LongAdder();
  /** CONNECTs refused with Server busy: the heap over {@code max_heap_usage} ({@link HeapGuard}). */
  final LongAdder connectionsRefusedMemory = new LongAdder();
  final LongAdder authFailures = new LongAdder();
  final LongAdder publishesDenied = new LongAdder();
  final LongAdder subscriptionsDenied = new LongAdder();
  final LongAdder deliveriesDenied = new LongAdder();
  final LongAdder topicLimitRefusals = new LongAdder();
  final LongAdder subscriptionLimitRefusals = new LongAdder();
  final LongAdder tlsHandshakeFailures = new LongAdder();
  /** Reads whose packets took a connection past its turn on its loop ({@link MqttConnection#TURN_NANOS}). */
  final LongAdder turnsEnded = new LongAdder();
  /**
   * The counters of the per-message path, striped per event loop ({@link StripedCounters}): by
   * QoS, messages routed ({@code RECEIVED + qos}) and their payload bytes, messages sent and their
   * payload bytes; and bytes read from and written to client connections (on the wire).
   */
  static final int RECEIVED = 0;
  static final int RECEIVED_BYTES = 3;
  static final int SENT = 6;
  static final int SENT_BYTES = 9;
  static final int BYTES_IN = 12;
  static final int BYTES_OUT = 13;
  final StripedCounters traffic = new StripedCounters(14);
  /** The counter the connections' decoders report to: one instance, shared. */
  final java.util.function.LongConsumer bytesReceivedCounter = n -> traffic.add(BYTES_IN, n);
  /** Publish-to-deliver latency, sampled by the sessions. */
  final LatencyHistogram deliveryLatency = new LatencyHistogram();

  /** A message routed: counted with its QoS and payload size. */
  void received(int qos, int payloadBytes) {
    traffic.add2(RECEIVED + qos, RECEIVED_BYTES + qos, payloadBytes);
  }

  /** A PUBLISH sent to a client at {@code qos}. */
  void sent(int qos, int payloadBytes) {
    traffic.add2(SENT + qos, SENT_BYTES + qos, payloadBytes);
  }

  /** The three per-QoS counters from {@code first}. */
  long[] byQos(int first) {
    return new long[] {traffic.sum(first), traffic.sum(first + 1), traffic.sum(first + 2)};
  }

  private long allQos(int first) {
    return traffic.sum(first) + traffic.sum(first + 1) + traffic.sum(first + 2);
  }

  public long bytesReceived() {
    return traffic.sum(BYTES_IN);
  }

  public long bytesSent() {
    return traffic.sum(BYTES_OUT);
  }

  /** Messages dropped over a session's {@code maxQueuedBytes} (also in {@link #messagesDropped}). */
  final LongAdder queuedBytesDrops = new LongAdder();
  /**
   * Messages not queued for a stalled session while over the high water mark (also in {@link
   * #messagesDropped}).
   */
  final LongAdder stalledSessionDrops = new LongAdder();
  /** Publisher reads paused by memory-based back-pressure. */
  final LongAdder publisherPauses = new LongAdder();
  /** Publisher reads paused for a connected subscriber behind on QoS 1/2 messages ({@code slow_subscriber: wait}). */
  final LongAdder slowSubscriberPauses = new LongAdder();
  /** Times the buffered outbound bytes went over the high water mark. */
  final LongAdder highWaterMarkCrossings = new LongAdder();
  /** Packets refused because the inbound buffer limit had no room for them. */
  final LongAdder inboundBufferRefusals = new LongAdder();

  public long messagesReceived() { // all QoS: the per-QoS counts are the only ones kept
    return allQos(RECEIVED);
  }

  public long messagesSent() {
    return allQos(SENT);
  }

  public long messagesDropped() {
    return messagesDropped.sum();
  }

  public long connectionsTotal() {
    return connectionsTotal.sum();
  }

  public long connectionsCurrent() {
    return connectionsCurrent.get();
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  public long messagesExpired() {
    return messagesExpired.sum();
  }

  public long messagesTooLarge() {
    return messagesTooLarge.sum();
  }

  /** Connections closed at once: over {@code max_connections} (total or per listener). */
  public long connectionsRefusedLimit() {
    return connectionsRefusedLimit.sum();
  }

  /** Times a connection's packets took it past its turn on its loop, and the rest waited. */
  public long turnsEnded() {
    return turnsEnded.sum();
  }

  /** CONNECTs refused (Server busy) while the heap was over {@code max_heap_usage}. */
  public long connectionsRefusedMemory() {
    return connectionsRefusedMemory.sum();
  }

  /** Connections closed at once: over the connection rate per source address. */
  public long connectionsRefusedRate() {
    return connectionsRefusedRate.sum();
  }

  /** CONNECTs refused by the authenticator. */
  public long authFailures() {
    return authFailures.sum();
  }

  public long publishesDenied() {
    return publishesDenied.sum();
  }

  public long subscriptionsDenied() {
    return subscriptionsDenied.sum();
  }

  /** Messages not delivered to a subscriber because it may not receive them. */
  public long deliveriesDenied() {
    return deliveriesDenied.sum();
  }

  /** Topics or filters refused for their length or number of levels. */
  public long topicLimitRefusals() {
    return topicLimitRefusals.sum();
  }

  /** Subscriptions refused over {@code max_subscriptions_per_client}. */
  public long subscriptionLimitRefusals() {
    return subscriptionLimitRefusals.sum();
  }

  public long queuedBytesDrops() {
    return queuedBytesDrops.sum();
  }

  public long stalledSessionDrops() {
    return stalledSessionDrops.sum();
  }

  public long publisherPauses() {
    return publisherPauses.sum();
  }

  public long slowSubscriberPauses() {
    return slowSubscriberPauses.sum();
  }

  public long highWaterMarkCrossings() {
    return highWaterMarkCrossings.sum();
  }

  public long inboundBufferRefusals() {
    return inboundBufferRefusals.sum();
  }

  public long tlsHandshakeFailures() {
    return tlsHandshakeFailures.sum();
  }
}
