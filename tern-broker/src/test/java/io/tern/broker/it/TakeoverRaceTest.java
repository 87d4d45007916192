package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many connections racing for one client id: exactly one wins, the registry stays consistent. */
class TakeoverRaceTest {
  @RegisterExtension final TestBroker tb = new TestBroker();

  private static final byte[] CONNECT_PERSISTENT_DUP = {0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00,
      0x00, 0x00, 0x00, 0x03, 'd', 'u', 'p'};

  private static final byte[] CONNECT_CLEAN_DUP = CONNECT_PERSISTENT_DUP.clone();

  static {
    CONNECT_CLEAN_DUP[9] = 0x02; // Clean Session
  }

  @RepeatedTest(3)
  void simultaneousConnectsWithOneClientIdLeaveExactlyOneConnection() throws Exception {
    race(false);
    assertThat(tb.broker().stats().sessions()).isEqualTo(1); // the persistent session "dup"
  }

  @RepeatedTest(3)
  void simultaneousCleanAndPersistentConnectsLeaveExactlyOneConnection() throws Exception {
    race(true);
    assertThat(tb.broker().stats().sessions()).isLessThanOrEqualTo(1);
  }

  private void race(boolean mixed) throws Exception {
    tb.start();
    int n = 20;
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sockets.add(new Socket("127.0.0.1", tb.port()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < n; i++) {
      Socket s = sockets.get(i);
      byte[] connect = mixed && i % 2 == 0 ? CONNECT_CLEAN_DUP : CONNECT_PERSISTENT_DUP;
      pool.execute(() -> {
        try {
          go.await();
          s.getOutputStream().write(connect);
        } catch (Exception ignored) {
          // a socket closed by a takeover
        }
      });
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(tb.broker().stats().connections()).as("%s", tb.broker().stats()).isEqualTo(1));
    int open = 0;
    for (Socket s : sockets) {
      if (isOpen(s)) {
        open++;
      }
      s.close();
    }
    assertThat(open).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> tb.broker().stats().connections() == 0);
  }

  /** Drains what the broker sent (CONNACKs); open means the read times out instead of hitting EOF. */
  private static boolean isOpen(Socket s) throws Exception {
    s.setSoTimeout(300);
    InputStream in = s.getInputStream();
    try {
      while (true) {
        if (in.read() < 0) {
          return false;
        }
      }
    } catch (SocketTimeoutException e) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
