package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ConnectRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The password checks under a burst of CONNECTs: an operator's audit sent 250 wrong passwords at
 * once, whose clients left after a second; the 2 check threads then hashed for 30 s for nobody,
 * and a right password behind them was refused for 40 s.
 */
@Timeout(60)
class PasswordAuthenticatorTest {
  private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 40000);
  /** Slow enough (tens of ms a check) that a burst queues, as the default's 210,000 does in production. */
  private static final int ITERATIONS = 50_000;

  private PasswordAuthenticator auth;

  @AfterEach
  void close() {
    if (auth != null) {
      auth.close();
    }
  }

  private PasswordAuthenticator start() {
    PasswordFile file = PasswordFile.parse(java.nio.file.Path.of("passwd"),
        List.of("alice:" + PasswordHash.create("right".toCharArray(), ITERATIONS).encode()));
    auth = new PasswordAuthenticator(() -> file, false);
    await().atMost(Duration.ofSeconds(20)).until(() -> auth.checkNanos() > 0); // timed before any CONNECT
    return auth;
  }

  private static ConnectRequest request(String password) {
    return new ConnectRequest("c", "alice", password.getBytes(StandardCharsets.UTF_8), LOOPBACK, "mqtt", List.of(),
        false);
  }

  @Test
  void aCheckWhoseAnswerIsNoLongerWantedIsNotDone() throws Exception {
    start();
    List<CompletableFuture<AuthResult>> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(auth.authenticate(request("wrong")).toCompletableFuture());
    }
    burst.forEach(f -> f.cancel(false)); // as the broker does at its hook timeout, or when the client left
    AuthResult right = auth.authenticate(request("right")).toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertThat(right.accepted()).isTrue();
    PasswordAuthenticator.Stats stats = auth.stats();
    assertThat(stats.wrongPasswords()).as("at most the checks under way when they were cancelled").isLessThanOrEqualTo(
        PasswordAuthenticator.THREADS);
    assertThat(stats.abandoned()).isGreaterThanOrEqualTo(20 - PasswordAuthenticator.THREADS);
  }

  @Test
  void aCheckThatWouldWaitLongerThanTheBoundIsRefusedAtOnceAsBusy() throws Exception {
    start();
    long perCheck = auth.checkNanos();
    // enough CONNECTs to queue the bound twice over
    int n = (int) Math.min(PasswordAuthenticator.QUEUE,
        2 * PasswordAuthenticator.MAX_EXPECTED_WAIT_NANOS * PasswordAuthenticator.THREADS / perCheck + 4);
    List<CompletableFuture<AuthResult>> burst = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      burst.add(auth.authenticate(request("wrong")).toCompletableFuture());
    }
    List<CompletableFuture<AuthResult>> busy = burst.stream()
        .filter(f -> f.isDone() && f.join().reasonCode() == AuthResult.SERVER_BUSY).toList();
    assertThat(busy).as("refused at once, not queued for a wait the client would not see the end of").isNotEmpty();
    assertThat(auth.stats().busy()).isEqualTo(busy.size());
    burst.forEach(f -> f.cancel(false));
  }
}
