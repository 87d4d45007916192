package io.tern.server.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tern.broker.Broker;
import io.tern.broker.management.LatencySnapshot;
import io.tern.broker.management.TrafficStats;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus metrics of a running server, read from the broker's counters at scrape time (no
 * metric work on the message path but the broker's own LongAdders and its sampled latency
 * histogram). Names start with {@code tern_}; JVM metrics are Micrometer's ({@code jvm_*},
 * {@code process_*}, {@code system_*}); Netty's pooled memory is {@code netty_memory_*}.
 *
 * <pre>{@code
 * ServerMetrics metrics = new ServerMetrics();
 * MessageStore store = metrics.timed(RocksDbStore.open(...));   // store write latency
 * Broker broker = Broker.builder().store(store).build().start();
 * metrics.bind(broker);
 * String text = metrics.scrape();
 * }</pre>
 */
public final class ServerMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Timer storeWrites;
  private final io.micrometer.core.instrument.Counter storeWriteFailures;
  private volatile TimedStore timedStore;
  /** Traffic counters of the current scrape: several meters read the same snapshot. */
  private volatile TrafficStats traffic;
  private volatile Broker broker;

  public ServerMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    storeWrites = Timer.builder("tern.store.write")
        .description("Time to write one batch to the store (a socket read's or a pump's changes)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000))
        .maximumExpectedValue(Duration.ofSeconds(5))
        .register(registry);
    storeWriteFailures = io.micrometer.core.instrument.Counter.builder("tern.store.write.failures")
        .description("Store writes that failed (a full disk, a failing device): what they carried was not acknowledged")
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder("tern.store.writable", this, m -> m.storeWritable() ? 1 : 0)
        .description("1 while the store takes writes (or there is none), 0 from a failed write until one succeeds")
        .register(registry);
  }

  /** Whether the store takes writes: true without a store; false from a failed write until one succeeds. */
  public boolean storeWritable() {
    TimedStore t = timedStore;
    return t == null || t.writable();
  }

  /** Wraps the store so that its writes are timed ({@code tern_store_write_seconds}). */
  public io.tern.broker.store.MessageStore timed(io.tern.broker.store.MessageStore store) {
    if (store == null) {
      return null;
    }
    TimedStore t = new TimedStore(store, storeWrites, storeWriteFailures);
    timedStore = t;
    return t;
  }

  /** Registers the broker's metrics. */
  public void bind(Broker broker) {
    this.broker = broker;
    var r = registry;
    gauge("tern.connections.current", "Open client connections", broker, b -> b.stats().connections());
    counter("tern.connections", "Client connections accepted since start", broker, b -> b.stats().connectionsTotal());
    refused("limit", broker, b -> b.securityStats().connectionsRefusedLimit());
    refused("rate", broker, b -> b.securityStats().connectionsRefusedRate());
    refused("memory", broker, b -> b.memoryStats().connectionsRefusedMemory());
    refused("auth", broker, b -> b.securityStats().authFailures());
    refused("tls", broker, b -> b.securityStats().tlsHandshakeFailures());
    counter("tern.protocol.errors", "Connections closed for a protocol violation or a bad CONNECT", broker,
        b -> b.stats().protocolErrors());
    gauge("tern.sessions", "Sessions (connected or not)", broker, b -> b.stats().sessions());
    gauge("tern.subscriptions", "Subscriptions of all sessions", broker, b -> b.stats().subscriptions());
    gauge("tern.retained.messages", "Retained messages", broker, b -> b.stats().retainedMessages());
    gauge("tern.store.size", "Bytes the store takes on disk (0 without a store)", broker, Broker::storeSizeBytes);
    for (int q = 0; q <= 2; q++) {
      int qos = q;
      FunctionCounter.builder("tern.messages.received", broker, b -> traffic(b).messagesReceived()[qos])
          .description("PUBLISHes received (from clients, wills and the API), by QoS").tag("qos", "" + qos)
          .register(r);
      FunctionCounter.builder("tern.messages.sent", broker, b -> traffic(b).messagesSent()[qos])
          .description("PUBLISHes sent to subscribers, by QoS").tag("qos", "" + qos).register(r);
      FunctionCounter.builder("tern.messages.received.payload.bytes", broker,
              b -> traffic(b).payloadBytesReceived()[qos])
          .description("Payload bytes of the PUBLISHes received, by QoS").tag("qos", "" + qos).register(r);
      FunctionCounter.builder("tern.messages.sent.payload.bytes", broker, b -> traffic(b).payloadBytesSent()[qos])
          .description("Payload bytes of the PUBLISHes sent, by QoS").tag("qos", "" + qos).register(r);
    }
    counter("tern.bytes.received", "Bytes read from client connections (on the wire)", broker,
        b -> traffic(b).bytesReceived());
    counter("tern.bytes.sent", "Bytes written to client connections (on the wire)", broker,
        b -> traffic(b).bytesSent());
    dropped("queue_full", broker, b -> traffic(b).droppedQueueFull());
    dropped("expired", broker, b -> traffic(b).droppedExpired());
    dropped("too_large", broker, b -> traffic(b).droppedTooLarge());
    dropped("not_authorized", broker, b -> traffic(b).droppedNotAuthorized());
    gauge("tern.messages.inflight", "QoS 1/2 messages sent and not yet acknowledged", broker,
        b -> traffic(b).inflight());
    gauge("tern.messages.queued", "Messages waiting to be sent", broker, b -> traffic(b).queued());
    gauge("tern.outbound.buffered.bytes", "Bytes held for clients: queued messages (payload and topic) and unwritten "
        + "buffers of slow sockets, against outbound_high_water_mark", broker, b -> b.memoryStats().bufferedOutboundBytes());
    gauge("tern.outbound.over.high.water.mark", "1 while publishers to sessions that fall behind are paused", broker,
        b -> b.memoryStats().overHighWaterMark() ? 1 : 0);
    counter("tern.publishers.paused", "Publishers paused by the outbound high water mark", broker,
        b -> b.memoryStats().publisherPauses());
    counter("tern.publishers.paused.slow.subscriber", "Publisher reads paused because a connected subscriber of their "
        + "QoS 1/2 messages had half of max_queued_messages queued (slow_subscriber: wait)", broker,
        b -> b.memoryStats().slowSubscriberPauses());
    counter("tern.messages.dropped.queued.bytes", "Of the queue_full drops, those over max_queued_bytes", broker,
        b -> b.memoryStats().queuedBytesDrops());
    counter("tern.messages.dropped.stalled", "Of the queue_full drops, those for sessions whose client was away or "
        + "took nothing for outbound_stall_timeout while over outbound_high_water_mark", broker,
        b -> b.memoryStats().stalledSessionDrops());
    gauge("tern.inbound.buffered.bytes", "Bytes held in packets clients have begun to send and not yet finished "
        + "(4 KiB or more each), against inbound_buffer_limit", broker, b -> b.memoryStats().bufferedInboundBytes());
    counter("tern.inbound.buffer.refusals", "Connections closed because inbound_buffer_limit had no room for their packet",
        broker, b -> b.memoryStats().inboundBufferRefusals());
    gauge("tern.heap.over.max.usage", "1 while new connections are refused, the heap in use after garbage "
        + "collection being over max_heap_usage", broker, b -> b.memoryStats().overMaxHeapUsage() ? 1 : 0);
    nettyMemory();
    registry.getPrometheusRegistry().register(() -> latency(broker.management().deliveryLatency()));
  }

  /** Every meter reads the traffic snapshot taken at the start of the scrape (it sums over all sessions). */
  private TrafficStats traffic(Broker b) {
    TrafficStats t = traffic;
    return t != null ? t : b.management().traffic();
  }

  private void gauge(String name, String help, Broker broker, ToDoubleFunction<Broker> f) {
    Gauge.builder(name, broker, f).description(help).register(registry);
  }

  private void counter(String name, String help, Broker broker, ToDoubleFunction<Broker> f) {
    FunctionCounter.builder(name, broker, f).description(help).register(registry);
  }

  /**
   * One HELP line serves every reason of a metric (the first registered's description): it names
   * them all, where each reason's own description left "(heap over max_heap_usage)" for all five.
   */
  private static final String REFUSED_HELP = "Connections refused, by reason: limit (over limits.max_connections or "
      + "a listener's max_connections), rate (over limits.max_connection_rate_per_address), memory (the heap over "
      + "limits.max_heap_usage), auth (refused by the authenticator), tls (failed TLS handshakes)";

  private void refused(String reason, Broker broker, ToDoubleFunction<Broker> f) {
    FunctionCounter.builder("tern.connections.refused", broker, f)
        .description(REFUSED_HELP).tag("reason", reason).register(registry);
  }

  private void dropped(String reason, Broker broker, ToDoubleFunction<Broker> f) {
    FunctionCounter.builder("tern.messages.dropped", broker, f)
        .description("Messages not delivered, by reason").tag("reason", reason).register(registry);
  }

  private void nettyMemory() {
    ByteBufAllocatorMetric pooled = PooledByteBufAllocator.DEFAULT.metric();
    Gauge.builder("netty.memory.used", pooled, ByteBufAllocatorMetric::usedDirectMemory).baseUnit("bytes")
        .tag("area", "direct").tag("allocator", "pooled").description("Netty pooled allocator memory")
        .register(registry);
    Gauge.builder("netty.memory.used", pooled, ByteBufAllocatorMetric::usedHeapMemory).baseUnit("bytes")
        .tag("area", "heap").tag("allocator", "pooled").description("Netty pooled allocator memory")
        .register(registry);
    Gauge.builder("netty.direct.memory.used", () -> PlatformDependent.usedDirectMemory()).baseUnit("bytes")
        .description("Direct memory Netty accounts for (-1 when it does not track it)").register(registry);
  }

  private static HistogramSnapshot latency(LatencySnapshot s) {
    long[] bounds = s.upperBoundsNanos();
    double[] upper = new double[bounds.length + 1];
    for (int i = 0; i < bounds.length; i++) {
      upper[i] = bounds[i] / 1e9;
    }
    upper[bounds.length] = Double.POSITIVE_INFINITY;
    return HistogramSnapshot.builder()
        .name("tern_delivery_latency_seconds")
        .help("Publish-to-deliver latency: from receiving a PUBLISH to writing it to a subscriber; sampled, one "
            + "delivery in " + LatencySnapshot.SAMPLE_EVERY + " per session")
        .unit(Unit.SECONDS)
        .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, s.counts()))
            .sum(s.sumNanos() / 1e9)
            .build())
        .build();
  }

  /** The metrics in the Prometheus text format (0.0.4). */
  public synchronized String scrape() {
    Broker b = broker;
    traffic = b == null ? null : b.management().traffic();
    try {
      return registry.scrape();
    } finally {
      traffic = null;
    }
  }

  /** Micrometer's registry, for more meters. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
