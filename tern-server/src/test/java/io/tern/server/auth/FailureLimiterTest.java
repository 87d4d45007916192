package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final FailureLimiter limiter = new FailureLimiter(3, 1000, 8000, 10, now::get);

  private void advanceMillis(long ms) {
    now.addAndGet(ms * 1_000_000L);
  }

  @Test
  void locksAfterThresholdAndDoublesTheLockoutUpToTheMaximum() {
    limiter.failed("a");
    limiter.failed("a");
    assertThat(limiter.locked("a")).isFalse();
    limiter.failed("a");
    assertThat(limiter.locked("a")).isTrue();
    advanceMillis(1001);
    assertThat(limiter.locked("a")).isFalse();
    limiter.failed("a"); // 4th: 2 s
    advanceMillis(1500);
    assertThat(limiter.locked("a")).isTrue();
    advanceMillis(600);
    assertThat(limiter.locked("a")).isFalse();
    for (int i = 0; i < 20; i++) {
      limiter.failed("a");
    }
    advanceMillis(7999);
    assertThat(limiter.locked("a")).isTrue();
    advanceMillis(2);
    assertThat(limiter.locked("a")).as("capped at 8 s").isFalse();
    assertThat(limiter.locked("b")).isFalse();
  }

  @Test
  void lockoutLeftSaysHowLongAKeyStaysLockedOut() {
    limiter.failed("a");
    limiter.failed("a");
    assertThat(limiter.lockoutLeftNanos("a")).isZero();
    limiter.failed("a");
    advanceMillis(400);
    assertThat(limiter.lockoutLeftNanos("a")).isEqualTo(600_000_000L);
    advanceMillis(600);
    assertThat(limiter.lockoutLeftNanos("a")).isZero();
    assertThat(limiter.lockoutLeftNanos("b")).isZero();
  }

  @Test
  void successClearsAndOldKeysArePruned() {
    for (int i = 0; i < 3; i++) {
      limiter.failed("a");
      limiter.failed("b");
    }
    limiter.succeeded("a");
    assertThat(limiter.locked("a")).isFalse();
    assertThat(limiter.trackedKeys()).isEqualTo(1);
    advanceMillis(FailureLimiter.FORGET_AFTER_NANOS / 1_000_000 + 1);
    limiter.prune();
    assertThat(limiter.trackedKeys()).isZero();
  }

  @Test
  void tracksABoundedNumberOfKeys() {
    for (int i = 0; i < 50; i++) {
      limiter.failed("k" + i);
    }
    assertThat(limiter.trackedKeys()).isEqualTo(10);
  }

  @Test
  void failuresLongPastAreForgottenWithoutAPrune() {
    limiter.failed("a");
    limiter.failed("a");
    advanceMillis(FailureLimiter.FORGET_AFTER_NANOS / 1_000_000 + 1);
    assertThat(limiter.failed("a")).as("counted again from nothing").isEqualTo(1);
    assertThat(limiter.locked("a")).isFalse();
  }

  @Test
  void aFullTableMakesRoomForNewKeysAndKeepsTheLockedOnes() {
    for (int i = 0; i < 3; i++) {
      limiter.failed("locked");
    }
    limiter.failed("two");
    limiter.failed("two");
    for (int i = 0; i < 8; i++) {
      limiter.failed("spray" + i); // one failure each: the table (10) is full
    }
    assertThat(limiter.trackedKeys()).isEqualTo(10);
    assertThat(limiter.failed("new")).as("the single failures made room").isEqualTo(1);
    assertThat(limiter.trackedKeys()).isEqualTo(3); // locked, two, new
    assertThat(limiter.locked("locked")).isTrue();
    assertThat(limiter.failed("two")).as("kept while single failures could go").isEqualTo(3);
    for (int i = 0; i < 7; i++) {
      limiter.failed("again" + i);
    }
    advanceMillis(500);
    assertThat(limiter.failed("new2")).as("room is looked for once a second at most").isZero();
    advanceMillis(501);
    assertThat(limiter.failed("new2")).isEqualTo(1);
  }

  @Test
  void aTableFullOfRepeatedFailuresDropsWhatIsNotLockedOut() {
    for (int i = 0; i < 10; i++) {
      limiter.failed("k" + i);
      limiter.failed("k" + i);
    }
    limiter.failed("k0"); // locked out
    assertThat(limiter.failed("new")).isEqualTo(1);
    assertThat(limiter.trackedKeys()).isEqualTo(2);
    limiter.failed("new");
    limiter.failed("new");
    assertThat(limiter.locked("new")).as("a new key is locked out again once the table had room").isTrue();
  }

  @Test
  void aTableFullOfLockedOutKeysCountsNoNewKey() {
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 3; j++) {
        limiter.failed("k" + i);
      }
    }
    assertThat(limiter.failed("new")).isZero();
    assertThat(limiter.trackedKeys()).isEqualTo(10);
  }
}
