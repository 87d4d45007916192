package io.tern.broker.internal;

import io.netty.channel.EventLoopGroup;
import io.tern.broker.BrokerConfig;
import io.tern.broker.store.MessageStore;
import io.tern.codec.Publish;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker's shared state and the path of a message: retained store, subscription trie, session
 * registry and the routing of a PUBLISH to the sessions it matches. Internal: the public face is
 * {@link io.tern.broker.Broker}.
 */
public final class BrokerCore {
  private final BrokerConfig config;
  private final SubscriptionTrie subscriptions;
  private final RetainedStore retained = new RetainedStore();
  /**
   * Orders retained publishes against the subscriptions that get retained messages
   * (MQTT-3.3.1-6 with MQTT-4.6.0-6): a retained message is stored and matched under the read
   * lock; a subscription is made, its retained messages read and handed to its session under the
   * write lock ({@link #subscribeInRetainedOrder}). A retained message published as a client
   * subscribes then reaches it once: as its retained message (stored first, and matched before
   * the subscription existed), or live after the older retained one (stored after). Without it
   * the new subscriber got the message twice (matched live and read as retained) or, the older
   * one being left out as superseded, only live with RETAIN 0: 78 of 150 tries of a SUBSCRIBE and
   * a retained PUBLISH sent at once, in a black-box probe (Mosquitto, one thread: none). Messages
   * published without RETAIN do not take it: no retained message of theirs can be read twice.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock retainedOrder =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private final SessionRegistry registry;
  private final BrokerStats stats = new BrokerStats();
  /** What shapes the PUBLISHes to MQTT 3.1 and 3.1.1 clients: immutable, so one each for all connections. */
  private final OutgoingPublishes outgoingV31 = OutgoingPublishes.v3(io.tern.codec.MqttVersion.V3_1, stats);
  private final OutgoingPublishes outgoingV311 = OutgoingPublishes.v3(io.tern.codec.MqttVersion.V3_1_1, stats);
  private final Transport transport;
  private final Persistence persistence;
  private final Access access;
  private final HookChain hooks = new HookChain();
  private final Events events = new Events();
  private final Rules rules = new Rules(this);
  private final OutboundMemory memory;
  /** Refuses new connections while the heap is nearly full ({@code max_heap_usage}). */
  private final HeapGuard heapGuard;
  /**
   * The bytes connections hold in packets begun and not yet whole, against {@link
   * BrokerConfig#inboundBufferLimit()}: {@code max_packet_size} bounds one connection, this all of
   * them (a few hundred clients each stopping one byte short of a 1 MiB packet had used up the
   * JVM's direct memory).
   */
  private final io.tern.codec.BufferBudget inbound;
  /**
   * Lines about clients refused or closed for what they did: one each, at INFO at most 50 a second
   * for the whole broker, the rest at DEBUG (see {@link LogLimit}).
   */
  private final LogLimit clientLines = new LogLimit(50, "refused or misbehaving clients",
      "the broker's statistics");

  /** The event loops ({@code io_threads}, or one per processor). */
  final int loops;
  /**
   * The queue level at which a connected subscriber that falls behind makes its QoS 1/2 publishers
   * wait ({@link Session#handOver}): half of {@code max_queued_messages}, or {@link
   * Integer#MAX_VALUE} with {@code slow_subscriber: drop}.
   */
  final int holdMark;

  public BrokerCore(BrokerConfig config) {
    this(config, null);
  }

  /** @param store where sessions and messages are kept, or {@code null} for none (memory only) */
  public BrokerCore(BrokerConfig config, MessageStore store) {
    this.config = config;
    this.loops = config.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.ioThreads();
    this.holdMark = config.slowSubscriber() == io.tern.broker.SlowSubscriberPolicy.WAIT
        ? Math.max(1, config.maxQueuedMessages() / 2) : Integer.MAX_VALUE;
    this.persistence = new Persistence(store);
    this.subscriptions = new SubscriptionTrie(config.sharedSubscriptionPolicy());
    this.heapGuard = new HeapGuard(config.maxHeapUsage());
    this.access = new Access(config, stats, hooks, clientLines, heapGuard);
    this.memory = new OutboundMemory(config, stats);
    this.inbound = new io.tern.codec.BufferBudget(config.inboundBufferLimit());
    this.registry = new SessionRegistry(this);
    this.transport = new Transport(this);
  }

  /** Where to write a line about a refused or misbehaving client: see {@link #clientLines}. */
  org.slf4j.spi.LoggingEventBuilder clientLine(org.slf4j.Logger log) {
    return log.atLevel(clientLines.level(log));
  }

  public BrokerConfig config() {
    return config;
  }

  SubscriptionTrie subscriptions() {
    return subscriptions;
  }

  RetainedStore retained() {
    return retained;
  }

  SessionRegistry registry() {
    return registry;
  }

  Persistence persistence() {
    return persistence;
  }

  /** The space the store takes, in bytes; 0 without a store. */
  public long storeSizeBytes() {
    return persistence.sizeBytes();
  }

  /** Reads the stored state back, once the event loops exist and before listeners are bound. */
  void recover(EventLoopGroup loops) {
    persistence.recover(this, loops);
  }

  /** The budget of the packets connections have begun to send and not yet finished. */
  io.tern.codec.BufferBudget inbound() {
    return inbound;
  }

  /** Bytes reserved now for packets not yet received whole. */
  public long bufferedInboundBytes() {
    return inbound.bytes();
  }

  OutboundMemory memory() {
    return memory;
  }

  HeapGuard heapGuard() {
    return heapGuard;
  }

  /** The broker started: it watches the heap ({@code max_heap_usage}). */
  public void startHeapGuard() {
    heapGuard.start();
  }

  /** The broker stopped: it no longer listens to the JVM's collections. */
  public void stopHeapGuard() {
    heapGuard.stop();
  }

  /** Heap in use after the last garbage collection, in bytes; -1 before the first one. */
  public long heapUsedAfterGc() {
    return heapGuard.usedAfterGc();
  }

  /** Whether new connections are refused now: the heap is over {@code max_heap_usage}. */
  public boolean overMaxHeapUsage() {
    return heapGuard.over();
  }

  /** The bytes held for clients: queued messages and unwritten network buffers of slow sockets. */
  public long bufferedOutboundBytes() {
    return memory.bytes();
  }

  /** Whether publishers feeding sessions that fall behind are paused (over the high water mark). */
  public boolean overHighWaterMark() {
    return memory.over();
  }

  Access access() {
    return access;
  }

  public HookChain hooks() {
    return hooks;
  }

  public Events events() {
    return events;
  }

  /** Adds a rule (an in-process subscriber); any thread, before or after start. */
  public io.tern.broker.Rule addRule(String filter, int qos, io.tern.broker.RuleHandler handler) {
    return rules.add(filter, qos, handler);
  }

  /** The broker started: the rules' threads run. */
  public void startRules() {
    rules.startThreads();
  }

  /** The broker stopped: the rules' threads end (the rules stay). */
  public void stopRules() {
    rules.stopThreads();
  }

  /**
   * Subscribes a connected client's session to {@code filter} from inside the process, as if the
   * client had sent SUBSCRIBE (no SUBACK; retained messages are sent). False when no session of
   * this client id exists. Any thread; the subscription is made on the session's loop.
   */
  public boolean subscribe(String clientId, String filter, int qos) {
    Session s = registry.get(clientId);
    if (s == null) {
      return false;
    }
    s.runOnLoop(() -> {
      if (s.terminated) {
        return;
      }
      Subscriber entry = Subscriber.of(s, filter, Math.min(qos, config.maxQos()), false, false, 0, 0);
      subscribeInRetainedOrder(() -> {
        s.subscribing().subscribe(entry);
        persistence.commit();
        if (!entry.shared()) {
          sendRetained(s, entry);
        }
      });
    });
    return true;
  }

  /** Client ids whose packets are logged ({@link io.tern.broker.management.BrokerManagement#trace}). */
  final java.util.Set<String> traced = java.util.concurrent.ConcurrentHashMap.newKeySet();

  boolean isTraced(String clientId) {
    return !traced.isEmpty() && traced.contains(clientId);
  }

  OutgoingPublishes outgoingV3(io.tern.codec.MqttVersion v) {
    return v == io.tern.codec.MqttVersion.V3_1 ? outgoingV31 : outgoingV311;
  }

  public BrokerStats stats() {
    return stats;
  }

  public Transport transport() {
    return transport;
  }

  public int sessionCount() {
    return registry.size();
  }

  public int subscriptionCount() {
    return subscriptions.size();
  }

  public int retainedCount() {
    return retained.size();
  }

  /**
   * Why a client's retained PUBLISH (not one clearing a topic) would take the retained store over
   * {@code max_retained_messages} (a new topic when the store is full) or {@code
   * max_retained_bytes} (a new or larger message that does not fit); null when it may be kept.
   * Approximate across loops: publishes on several loops at one moment may overshoot by a few.
   */
  String retainedQuotaExceeded(Publish p) {
    Message previous = retained.get(p.topic());
    int max = config.maxRetainedMessages();
    if (max > 0 && previous == null && retainedTopicsFull(max)) {
      return "retained message to a new topic over max_retained_messages (" + max + ")";
    }
    int size = Message.sizeOf(p);
    long grows = previous == null ? retained.bytesOfNew(size, p.topic()) : (long) size - previous.size();
    if (grows > 0 && retained.bytes() + grows > config.maxRetainedBytes()) {
      return "retained message of " + size + " bytes over max_retained_bytes ("
          + config.maxRetainedBytes() + ", " + retained.bytes() + " held)";
    }
    return null;
  }

  /**
   * Whether the retained topics the quota counts reach {@code max}: not the broker's own {@code
   * $SYS} ones, nor expired ones (removed first when the count looks full: the periodic sweep may
   * not have run yet).
   */
  private boolean retainedTopicsFull(int max) {
    if (retained.size() - retained.sysSize() < max) {
      return false;
    }
    removeExpiredRetained();
    return retained.size() - retained.sysSize() >= max;
  }

  /**
   * Removes the retained messages whose Message Expiry Interval has passed, from the store too
   * (into this thread's batch: the caller commits). Every second on the boss loop ({@link
   * #sweepExpiredRetained}), and when the retained quota looks full.
   */
  void removeExpiredRetained() {
    retained.removeExpired(System.nanoTime(), m -> {
      if (persistence.enabled()) {
        persistence.retainedExpired(m);
      }
    });
  }

  /** {@link #removeExpiredRetained}, then commits: the periodic sweep. */
  void sweepExpiredRetained() {
    try {
      removeExpiredRetained();
      persistence.commit();
    } catch (io.tern.broker.store.StoreException e) { // a failing store: reported, and the sweep goes on
      persistence.reportFailure(e);
    }
  }

  /** Publishes a message from inside the process (no client): any thread. */
  public void publish(Publish publish) {
    publish(publish, null);
  }

  /**
   * Publishes a message from inside the process on behalf of client {@code origin} (null: none):
   * its No Local subscriptions do not get it, and a retained one is held to the retained quotas as
   * a will is ({@link #retainedWithinQuota}). Any thread.
   */
  public void publish(Publish publish, String origin) {
    try {
      publishAs(publish, origin);
    } finally {
      persistence.release(); // an application's thread keeps no batch
    }
  }

  private void publishAs(Publish publish, String origin) {
    if (origin != null) {
      publish = retainedWithinQuota(origin, publish, "message");
    }
    Message m = new Message(publish, origin, System.nanoTime());
    // As route() begins, written again rather than shared: under many a load this is the only
    // retained message, and a shared step compiled without that branch was thrown away and compiled
    // again at the first $SYS round. As in route(): stored, then matched, in the retained order.
    stats.received(m.qos(), publish.payload().length);
    if (!m.retain()) {
      matchAndDeliver(m);
      return;
    }
    java.util.concurrent.locks.Lock order = retainedOrder.readLock();
    order.lock();
    try {
      storeRetained(m);
      matchAndDeliver(m);
    } finally {
      order.unlock();
    }
  }

  private void matchAndDeliver(Message m) {
    String topic = m.topic();
    if (topic.startsWith("$") && !subscriptions.mayMatchDollarTopic(topic)) {
      // '$' topics ($SYS, published every interval whether or not anyone reads them) are matched
      // only when a subscription has their first level. Matching one that nothing can match takes
      // branches of match() and routeToSubscribers() that the clients' traffic may never have
      // taken (a '$' topic, no match), which the JIT then compiled out: the first such message
      // under traffic made it throw away the compiled routing path that the event loops run, and
      // every message in flight waited milliseconds while it was compiled again.
      // The retained write is committed all the same: left in this thread's batch, the $SYS rounds
      // piled up in it, unwritten (a restart found none of them), for as long as nobody subscribed.
      persistence.commit();
      return;
    }
    DeliveryBatcher batch = new DeliveryBatcher();
    routeToSubscribers(m, new MatchCollector(), batch);
    batch.flush(persistence, null);
  }

  /**
   * Publishes a will (a delayed one whose time came, or one read back from the store) on behalf of
   * {@code clientId}: any thread; with a store, its deliveries to persistent sessions are written
   * first, with whatever else the calling thread's batch holds.
   */
  void publishWill(Publish will, String clientId) {
    willAfterHooks(new io.tern.broker.auth.ClientInfo(clientId, null, null, null, null), will, Runnable::run, w -> {
      DeliveryBatcher batch = new DeliveryBatcher();
      route(new Message(w, clientId, System.nanoTime()), new MatchCollector(), batch);
      batch.flush(persistence, null);
    });
  }

  /**
   * The path of one application message: the retained store first (so a subscriber arriving now
   * sees it), then every matching session, once each, at the QoS it was granted.
   */
  int route(Message m, MatchCollector matches, DeliverySink sink) {
    stats.received(m.qos(), m.publish().payload().length);
    if (!m.retain()) {
      return routeToSubscribers(m, matches, sink);
    }
    java.util.concurrent.locks.Lock order = retainedOrder.readLock();
    order.lock();
    try {
      storeRetained(m);
      return routeToSubscribers(m, matches, sink);
    } finally {
      order.unlock();
    }
  }

  /**
   * Runs {@code subscribe}, which makes subscriptions and hands their retained messages to the
   * session ({@link #sendRetained}), in the retained order ({@link #retainedOrder}). On the
   * session's loop; a retained publish on another loop waits meanwhile. Without the lock when this
   * thread is in a retained publish (a hook that subscribes from there: it would wait for itself).
   */
  void subscribeInRetainedOrder(Runnable subscribe) {
    if (retainedOrder.getReadHoldCount() > 0) {
      subscribe.run();
      return;
    }
    java.util.concurrent.locks.Lock order = retainedOrder.writeLock();
    order.lock();
    try {
      subscribe.run();
    } finally {
      order.unlock();
    }
  }

  private void storeRetained(Message m) {
    Message previous = retained.put(m);
    if (persistence.enabled()) {
      persistence.retained(m, previous);
    }
  }

  /** Every matching session, once each, at the QoS it was granted; the number of deliveries. */
  private int routeToSubscribers(Message m, MatchCollector matches, DeliverySink sink) {
    matches.clear();
    subscriptions.match(m.topic(), matches);
    int n = matches.size();
    if (n == 0) {
      return 0;
    }
    int delivered = 0;
    if (!matches.hasOverlaps()) {
      for (int i = 0; i < n; i++) {
        Subscriber s = matches.get(i);
        if (s.shared() ? deliverShared(sink, s, m) : receives(s, m) && deliver(sink, s, m)) {
          delivered++;
        }
      }
    } else {
      delivered = routeMerged(m, matches, sink);
    }
    matches.clear();
    return delivered;
  }

  /** False when No Local (MQTT-3.8.3-3) or the authorizer keeps the message from this subscriber. */
  private boolean receives(Subscriber s, Message m) {
    if (s.noLocal() && s.session().clientId.equals(m.origin())) {
      return false;
    }
    return !access.authorizing || access.mayReceive(s.session(), m);
  }

  /**
   * Several subscriptions of one session matched: one delivery at the highest QoS, all ids (MQTT
   * 3.3.4-2/-4). A shared subscription's delivery stays separate (v5 section 4.8.2: a copy by virtue
   * of each). A message published with RETAIN 1 goes as two deliveries when the session's matching
   * subscriptions disagree on Retain As Published: one copy cannot have RETAIN 1 for those that ask
   * for it (MQTT-3.3.1-13) and RETAIN 0 for those that do not (MQTT-3.3.1-12); each copy has the
   * highest QoS and the ids of its own subscriptions.
   */
  private int routeMerged(Message m, MatchCollector matches, DeliverySink sink) {
    Map<Session, Merged> merged = new LinkedHashMap<>();
    int delivered = 0;
    boolean byRetainAsPublished = m.retain();
    for (int i = 0; i < matches.size(); i++) {
      Subscriber s = matches.get(i);
      if (s.shared()) {
        if (deliverShared(sink, s, m)) {
          delivered++;
        }
        continue;
      }
      if (!receives(s, m)) {
        continue;
      }
      Merged g = merged.computeIfAbsent(s.session(), k -> new Merged());
      int k = byRetainAsPublished && s.retainAsPublished() ? 1 : 0;
      g.qos[k] = Math.max(g.qos[k], s.qos());
      if (s.subscriptionId() != 0) {
        g.ids(k).add(s.subscriptionId());
      }
    }
    for (Map.Entry<Session, Merged> e : merged.entrySet()) {
      Merged g = e.getValue();
      for (int k = 0; k < 2; k++) {
        List<Integer> ids = g.ids[k];
        if (g.qos[k] >= 0 && deliver(sink, e.getKey(), m, g.qos[k], k == 1, ids == null ? List.of() : List.copyOf(ids), null)) {
          delivered++;
        }
      }
    }
    return delivered;
  }

  /**
   * What a session's matching subscriptions add up to: [0] all of them, or for a message with
   * RETAIN 1 those without Retain As Published; [1] those with it. A QoS of -1: none.
   */
  private static final class Merged {
    final int[] qos = {-1, -1};
    @SuppressWarnings("unchecked")
    final List<Integer>[] ids = new List[2];

    List<Integer> ids(int k) {
      List<Integer> l = ids[k];
      if (l == null) {
        l = new ArrayList<>(2);
        ids[k] = l;
      }
      return l;
    }
  }

  /**
   * A shared subscription's message to the member the group chose; when that member may not have
   * it (No Local, the authorizer, a deliver hook skipping it), to another member of the group,
   * connected ones first, each asked once: the group gets it unless none of them may (v5 section
   * 4.8.2: each message to one member). False when none did.
   */
  private boolean deliverShared(DeliverySink sink, Subscriber chosen, Message m) {
    if (receives(chosen, m) && deliver(sink, chosen, m)) {
      return true;
    }
    Subscriber[] members = subscriptions.members(chosen.filter());
    for (int pass = 0; pass < 2; pass++) {
      for (Subscriber s : members) {
        if (s != chosen && s.session().isOnline() == (pass == 0) && receives(s, m) && deliver(sink, s, m)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean deliver(DeliverySink sink, Subscriber s, Message m) {
    List<Integer> ids = s.subscriptionId() == 0 ? List.of() : List.of(s.subscriptionId());
    return deliver(sink, s.session(), m, s.qos(), s.retainAsPublished(), ids, s.shared() ? s.filter() : null);
  }

  /** Hands the message to the session, after the deliver hooks; false when a hook skipped it. */
  private boolean deliver(DeliverySink sink, Session session, Message m, int grantedQos,
      boolean retainAsPublished, List<Integer> ids, String sharedFilter) {
    if (hooks.hasDeliverHooks() && session.rule == null) {
      m = afterDeliverHooks(session, m);
      if (m == null) {
        return false;
      }
    }
    int qos = Math.min(m.qos(), grantedQos);
    // MQTT-3.3.1-9: a message sent because of an established subscription has RETAIN 0 (v5: unless
    // Retain As Published).
    boolean retain = retainAsPublished && m.retain();
    m.routedTo++;
    sink.deliver(session, new Delivery(m, qos, retain, ids, sharedFilter));
    return true;
  }

  /** The message for this session after the deliver hooks (the same, another, or null: skip). */
  private Message afterDeliverHooks(Session session, Message m) {
    io.tern.broker.MqttMessage out = hooks.deliver(clientInfoOf(session), m.view());
    if (out == null) {
      return null;
    }
    return out == m.view() ? m : new Message(out.toPublish(), m.origin(), m.receivedAtNanos());
  }

  static io.tern.broker.auth.ClientInfo clientInfoOf(Session s) {
    io.tern.broker.auth.ClientInfo c = s.clientInfo;
    return c != null ? c : new io.tern.broker.auth.ClientInfo(s.clientId, null, null, null, null);
  }

  /**
   * A will about to be published: runs the will hooks, then {@code publish} with the will as they
   * leave it (the same or another), or nothing when a hook suppresses it. At once when every hook
   * answers at once; after an asynchronous answer, {@code publish} runs on {@code executor} (a will
   * whose executor has stopped meanwhile, the broker stopping, is dropped with a log line).
   */
  void willAfterHooks(io.tern.broker.auth.ClientInfo client, Publish will, java.util.concurrent.Executor executor,
      java.util.function.Consumer<Publish> route) {
    java.util.function.Consumer<Publish> publish = w -> route.accept(retainedWithinQuota(client.clientId(), w, "will"));
    if (!hooks.hasWillHooks()) {
      publish.accept(will);
      return;
    }
    io.tern.broker.MqttMessage view = io.tern.broker.MqttMessage.wrap(will);
    java.util.concurrent.CompletableFuture<io.tern.broker.MqttMessage> decided = hooks.will(client, view);
    if (decided.isDone()) { // every hook answered at once: publish on this thread
      publishWillAs(decided.join(), view, will, publish);
      return;
    }
    decided.thenAccept(out -> {
      if (out == null) {
        return;
      }
      try {
        executor.execute(() -> publishWillAs(out, view, will, publish));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        org.slf4j.LoggerFactory.getLogger(BrokerCore.class).warn(
            "Will of client {} to {} not published: the broker stopped before a will hook answered", client.clientId(),
            out.topic());
      }
    });
  }

  /**
   * A client's retained will (or message published on its behalf) as it may be published: itself,
   * or, when keeping it would break {@code max_retained_messages} or {@code max_retained_bytes}, a
   * copy with RETAIN 0 (its subscribers get it; nothing is kept), with a line in the log. A retained PUBLISH over the quotas is refused
   * (0x97); a will has no one to refuse, and was accepted with its CONNECT, when the quotas may
   * have held (an outside audit filled a 512 MB heap with 68 clients' retained wills of 32,000
   * levels each when wills were exempt).
   */
  private Publish retainedWithinQuota(String clientId, Publish p, String kind) {
    if (!p.retain() || p.payload().length == 0) {
      return p;
    }
    String over = retainedQuotaExceeded(p);
    if (over == null) {
      return p;
    }
    clientLine(org.slf4j.LoggerFactory.getLogger(BrokerCore.class)).log(
        "Client {}: {} to {}: {}: published without being retained", clientId, kind, p.topic(), over);
    return p.withDelivery(p.qos(), false, false, 0);
  }

  /** Publishes what the will hooks left: nothing (null), the will itself (its view), or another message. */
  private static void publishWillAs(io.tern.broker.MqttMessage out, io.tern.broker.MqttMessage view, Publish will,
      java.util.function.Consumer<Publish> publish) {
    if (out != null) {
      publish.accept(out == view ? will : out.toPublish());
    }
  }

  /**
   * QoS 1/2 messages of shared subscriptions whose member's session ended before they were
   * acknowledged: each goes to another member of its group, if there is one (v5 section 4.8.2).
   * On the ended session's loop; with a store, a persistent member's copy is stored before it is
   * handed over, like any delivery.
   */
  void redeliverShared(List<Delivery> unacked, Session from) {
    DeliveryBatcher batch = null;
    for (Delivery d : unacked) {
      Subscriber s = subscriptions.otherMember(d.sharedFilter(), from);
      if (s != null && !(access.authorizing && !access.mayReceive(s.session(), d.message()))) {
        if (persistence.enabled() && batch == null) {
          batch = new DeliveryBatcher();
        }
        // As any delivery to this member: its deliver hooks, its QoS, its Retain As Published
        // (MQTT-3.3.1-12/13), its subscription identifier.
        deliver(batch != null ? batch : DeliverySink.DIRECT, s, d.message());
      }
    }
    if (batch != null) {
      batch.flush(persistence, null);
    }
  }

  /**
   * Retained messages matching a new subscription, sent with RETAIN 1 (MQTT-3.3.1-8); one whose
   * Message Expiry Interval has passed is removed from the store instead (v5 section 3.3.2.3.3).
   * Handed to the session in one batch, through its own door ({@link Session#enqueueRetained}).
   */
  void sendRetained(Session session, Subscriber s) {
    if (retained.size() == 0) {
      return; // most subscriptions meet no retained message: no batch, no visitor made
    }
    long now = System.nanoTime();
    ArrayList<Delivery> batch = new ArrayList<>();
    retained.match(s.filter(), m -> {
      if (m.expired(now)) {
        if (retained.removeIfSame(m) && persistence.enabled()) {
          persistence.retainedExpired(m);
        }
        return;
      }
      if (access.authorizing && !access.mayReceive(session, m)) {
        return;
      }
      Message out = m;
      if (hooks.hasDeliverHooks()) {
        out = afterDeliverHooks(session, m);
        if (out == null) {
          return;
        }
      }
      List<Integer> ids = s.subscriptionId() == 0 ? List.of() : List.of(s.subscriptionId());
      batch.add(Delivery.retainedOnSubscribe(out, Math.min(out.qos(), s.qos()), ids));
    });
    if (!batch.isEmpty()) {
      session.enqueueRetained(batch, persistence);
    }
  }
}
