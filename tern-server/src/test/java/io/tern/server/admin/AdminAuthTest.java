package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.server.auth.PasswordHash;
import io.tern.server.config.AdminConfig;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link AdminAuth}: what HTTP Basic answers say, and what they do not. */
class AdminAuthTest {
  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anUnknownUserCostsAHashAsAWrongPasswordDoesSoThatTimingDoesNotTellWhichUsersExist() {
    AdminAuth auth = new AdminAuth(new AdminConfig(null, "127.0.0.1", 0, null,
        List.of(new AdminConfig.User("admin", PasswordHash.create("right".toCharArray(), PasswordHash.MIN_ITERATIONS))),
        null, List.of()));
    assertThat(auth.check(basic("admin", "wrong"), "127.0.0.2")).isInstanceOf(AdminAuth.Denied.class);
    assertThat(auth.hashChecks.sum()).isEqualTo(1);
    assertThat(auth.check(basic("nobody", "wrong"), "127.0.0.3")).isInstanceOf(AdminAuth.Denied.class);
    assertThat(auth.hashChecks.sum()).as("the unknown user was hashed too").isEqualTo(2);
    assertThat(auth.check(basic("nobody", "right"), "127.0.0.4")).as("the dummy never matches")
        .isInstanceOf(AdminAuth.Denied.class);
    assertThat(auth.check(basic("admin", "right"), "127.0.0.5")).isInstanceOf(AdminAuth.Ok.class);
  }

  /** The whole table was cleared at the 1,025th login: every dashboard user was logged out. */
  @Test
  void aFullSessionTableForgetsItsOldestLoginAndNoOther() {
    AdminAuth auth = new AdminAuth(new AdminConfig(null, "127.0.0.1", 0, null, List.of(), null,
        List.of(new AdminConfig.ApiKey("k", AdminAuth.sha256("key")))));
    String oldest = auth.newSession("first");
    String second = auth.newSession("second");
    List<String> later = new java.util.ArrayList<>();
    for (int i = 2; i < AdminAuth.MAX_SESSIONS; i++) {
      later.add(auth.newSession("user-" + i));
    }
    assertThat(auth.check("Bearer " + oldest, "10.0.0.1")).as("the table is not full yet").isInstanceOf(AdminAuth.Ok.class);
    String newest = auth.newSession("newest");
    assertThat(auth.check("Bearer " + oldest, "10.0.0.1")).isInstanceOf(AdminAuth.Denied.class);
    assertThat(auth.check("Bearer " + second, "10.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
    assertThat(auth.check("Bearer " + later.get(later.size() - 1), "10.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
    assertThat(auth.check("Bearer " + newest, "10.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
    String next = auth.newSession("next");
    assertThat(auth.check("Bearer " + second, "10.0.0.1")).isInstanceOf(AdminAuth.Denied.class);
    assertThat(auth.check("Bearer " + later.get(0), "10.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
    assertThat(auth.check("Bearer " + next, "10.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
  }

  @Test
  void loopbackAddressesAreToldFromOthersWithoutALookup() {
    assertThat(AdminAuth.isLoopback("127.0.0.1")).isTrue();
    assertThat(AdminAuth.isLoopback("127.1.2.3")).isTrue();
    assertThat(AdminAuth.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(AdminAuth.isLoopback("::1")).isTrue();
    assertThat(AdminAuth.isLoopback("[::1]")).isTrue();
    assertThat(AdminAuth.isLoopback("::ffff:127.0.0.1")).isTrue();
    assertThat(AdminAuth.isLoopback("10.0.0.1")).isFalse();
    assertThat(AdminAuth.isLoopback("fe80::1")).isFalse();
    assertThat(AdminAuth.isLoopback("localhost")).as("a name, not an address: not looked up").isFalse();
    assertThat(AdminAuth.isLoopback("")).isFalse();
    assertThat(AdminAuth.isLoopback(null)).isFalse();
  }

  @Test
  void failuresCountTowardsTheLockoutFromOtherAddressesAlways_AndFromLoopbackOnlyWhenConfigured() {
    AdminConfig config = new AdminConfig(null, "127.0.0.1", 0, null,
        List.of(new AdminConfig.User("admin", PasswordHash.create("right".toCharArray(), PasswordHash.MIN_ITERATIONS))),
        null, List.of());
    AdminAuth byDefault = new AdminAuth(config);
    AdminAuth counted = new AdminAuth(config.withLockoutLoopback(true));
    for (int i = 0; i < 5; i++) {
      assertThat(byDefault.check(basic("admin", "wrong"), "127.0.0.1")).isInstanceOf(AdminAuth.Denied.class);
      assertThat(byDefault.check(basic("admin", "wrong"), "10.0.0.1")).isInstanceOf(AdminAuth.Denied.class);
      assertThat(counted.check(basic("admin", "wrong"), "127.0.0.1")).isInstanceOf(AdminAuth.Denied.class);
    }
    assertThat(byDefault.check(basic("admin", "right"), "127.0.0.1")).isInstanceOf(AdminAuth.Ok.class);
    assertThat(byDefault.check(basic("admin", "right"), "10.0.0.1")).isInstanceOf(AdminAuth.Locked.class);
    assertThat(counted.check(basic("admin", "right"), "127.0.0.1")).isInstanceOf(AdminAuth.Locked.class);
  }

  @Test
  void passwordChecksBeyondTwoRunningAndAFewWaitingAreAnsweredBusyAtOnce() throws Exception {
    AdminAuth auth = new AdminAuth(new AdminConfig(null, "127.0.0.1", 0, null,
        List.of(new AdminConfig.User("admin", PasswordHash.create("right".toCharArray(), 1_000_000))), null, List.of()));
    int requests = 2 + AdminAuth.MAX_WAITING + 6;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(requests);
    try {
      List<java.util.concurrent.Future<AdminAuth.Result>> results = new java.util.ArrayList<>();
      for (int i = 0; i < requests; i++) {
        String address = "127.0.1." + i; // each its own address: no lockout
        results.add(pool.submit(() -> auth.check(basic("admin", "wrong"), address)));
      }
      long busy = 0;
      for (var r : results) {
        busy += r.get(60, java.util.concurrent.TimeUnit.SECONDS) instanceof AdminAuth.Busy ? 1 : 0;
      }
      assertThat(busy).as("over two checking and %d waiting", AdminAuth.MAX_WAITING).isGreaterThanOrEqualTo(6);
      assertThat(auth.hashChecks.sum()).isEqualTo(requests - busy);
    } finally {
      pool.shutdownNow();
    }
  }
}
