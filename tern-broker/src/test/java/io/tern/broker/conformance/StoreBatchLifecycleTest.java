package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.connectPacket;
import static io.tern.broker.conformance.Packets.pubAck;
import static io.tern.broker.conformance.Packets.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.tern.broker.Broker;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.testsupport.DelegatingStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The broker keeps a store batch per thread that writes (each event loop); a store's batch may hold
 * native memory (the RocksDB store's does), so each is closed when the broker stops, and a process
 * that starts and stops brokers (tests, embedding applications) is not left with one per thread.
 */
class StoreBatchLifecycleTest extends BrokerTestBase {
  private final Map<StoreBatch, StoreBatch> batches = Collections.synchronizedMap(new IdentityHashMap<>());
  private final AtomicInteger closed = new AtomicInteger();
  /** Batches made for a thread that is not an event loop, not closed yet. */
  private final Set<StoreBatch> openOffLoops = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

  /** The in-memory store, its batches wrapped to count {@link StoreBatch#close} calls. */
  private final MessageStore counting = new DelegatingStore() {
    @Override
    public StoreBatch newBatch() {
      StoreBatch b = inner.newBatch();
      StoreBatch p = (StoreBatch) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {StoreBatch.class},
          (proxy, method, args) -> {
            if (method.getName().equals("close")) {
              closed.incrementAndGet();
              openOffLoops.remove(proxy);
            }
            try {
              return method.invoke(b, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
      batches.put(p, b);
      if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
        openOffLoops.add(p);
      }
      return p;
    }

    @Override
    public void write(StoreBatch batch) {
      inner.write(batches.get(batch));
    }
  };

  @Test
  void everyBatchIsClosedWhenTheBrokerStops() {
    useStore(counting);
    // Clients on both event loops (connections are spread over them), each storing a session and
    // a message, so that each loop makes its batch.
    for (int i = 0; i < 4; i++) {
      RawClient c = connect(connectPacket("c" + i).cleanSession(false), false);
      c.send(publish("t/" + i, 1, 1, "m"));
      c.expect(pubAck(1));
    }
    // The starting thread's (the recovery's), at least one loop's, and the alive stamp's timer
    // thread's when it has run.
    assertThat(batches).hasSizeGreaterThanOrEqualTo(2);
    assertThat(closed).as("only the starting thread's, at the start").hasValue(1);

    broker().stop();

    eventually(() -> closed.get() == batches.size());
  }

  /**
   * Netty closes an event loop's batch when the loop ends; nothing closed one kept for any other
   * thread: every application thread that ever published kept one for good (with the RocksDB store
   * 4 KB of direct memory and a native write batch each: 5,000 short-lived threads, 20 MB).
   */
  @Test
  void anApplicationThreadKeepsNoBatchAfterItsCall() throws Exception {
    useStore(counting);
    Broker broker = broker();
    for (int i = 0; i < 20; i++) {
      int n = i;
      Thread t = new Thread(() -> { // a web application's request thread, say
        broker.publish("config/" + n, "v".getBytes(StandardCharsets.UTF_8), 1, true);
        broker.management().deleteRetained("config/" + n);
      });
      t.start();
      t.join();
    }
    assertThat(broker.management().retained("config/#")).as("the calls were made").isEmpty();
    assertThat(batches).as("batches were made off the event loops").hasSizeGreaterThan(20);
    assertThat(openOffLoops).as("each closed after its call").isEmpty();
  }
}
