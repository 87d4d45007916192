package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.server.config.AuthConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttMessageListener;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The password and ACL files in a broker, as the server wires them ({@link ServerAuth}), with real
 * clients on loopback.
 */
@Timeout(60)
class AuthFilesEndToEndTest {
  /** Slow enough that hashing dominates the time of a refusal, fast enough for a test. */
  private static final int ITERATIONS = 50_000;

  @TempDir
  Path dir;

  private ServerAuth auth;
  private Broker broker;
  private final List<AutoCloseable> cleanups = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : cleanups) {
      c.close();
    }
    if (broker != null) {
      broker.stop();
    }
    if (auth != null) {
      auth.close();
    }
  }

  private Path passwords(String... userPasswordPairs) throws Exception {
    Path f = dir.resolve("passwd");
    for (int i = 0; i < userPasswordPairs.length; i += 2) {
      PasswordFile.update(f, userPasswordPairs[i], PasswordHash.create(userPasswordPairs[i + 1].toCharArray(), ITERATIONS));
    }
    return f;
  }

  private Path acl(String text) throws Exception {
    Path f = dir.resolve("acl");
    Files.writeString(f, text);
    return f;
  }

  /** With {@code lockout_loopback}: these clients all come from 127.0.0.1, as a remote attacker would from one address. */
  private void start(Path passwordFile, Path aclFile, AnonymousAccess anonymous) {
    start(passwordFile, aclFile, anonymous, true);
  }

  private void start(Path passwordFile, Path aclFile, AnonymousAccess anonymous, boolean lockoutLoopback) {
    auth = ServerAuth.start(new AuthConfig(passwordFile, aclFile, anonymous, Duration.ofMillis(100), lockoutLoopback));
    broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0))
        .authenticator(auth.authenticator()).authorizer(auth.authorizer())
        .configure(b -> auth.enhancedAuthenticators().forEach(b::enhancedAuthenticator)) // as ServerProcess does
        .build().start();
  }

  private Mqtt5BlockingClient scram(String id, ScramLogin login) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .enhancedAuth(login).buildBlocking();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  private static Mqtt5ConnAckReasonCode scramRefusal(Mqtt5BlockingClient c) {
    try {
      c.connect();
    } catch (Mqtt5ConnAckException e) {
      return e.getMqttMessage().getReasonCode();
    }
    throw new AssertionError("connected");
  }

  @Test
  void scramUsersOfThePasswordFileLogInWithEnhancedAuthAndTheAclAppliesToThem() throws Exception {
    Path f = dir.resolve("passwd");
    PasswordFile.update(f, "alice", PasswordHash.create("secret".toCharArray(), 1000),
        io.tern.broker.auth.ScramCredential.create("secret".toCharArray(), 4096));
    PasswordFile.update(f, "bob", PasswordHash.create("secret".toCharArray(), 1000));
    start(f, acl("user alice\ntopic readwrite alice/#\n"), AnonymousAccess.FALSE);

    ScramLogin login = new ScramLogin("alice", "secret");
    Mqtt5BlockingClient alice = scram("s1", login);
    alice.connect();
    assertThat(login.serverVerified).as("the server-final in CONNACK").isTrue();
    try (Mqtt5BlockingClient.Mqtt5Publishes in = alice.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      alice.subscribeWith().topicFilter("alice/#").send();
      alice.publishWith().topic("alice/x").payload("hi".getBytes(StandardCharsets.UTF_8)).send();
      assertThat(in.receive(5, TimeUnit.SECONDS)).as("the ACL's user alice section applies").isPresent();
    }
    assertThat(scramRefusal(scram("s2", new ScramLogin("alice", "wrong"))))
        .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(scramRefusal(scram("s3", new ScramLogin("bob", "secret"))))
        .as("bob has no SCRAM credential").isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(auth.passwordStats().accepted()).isEqualTo(1);
    assertThat(auth.passwordStats().wrongPasswords()).isEqualTo(1);
    assertThat(auth.passwordStats().unknownUsers()).isEqualTo(1);
  }

  @Test
  void wrongScramProofsAreRateLimitedLikeWrongPasswords() throws Exception {
    Path f = dir.resolve("passwd");
    PasswordFile.update(f, "alice", PasswordHash.create("secret".toCharArray(), 1000),
        io.tern.broker.auth.ScramCredential.create("secret".toCharArray(), 4096));
    start(f, null, AnonymousAccess.FALSE);
    for (int i = 0; i < PasswordAuthenticator.ADDRESS_THRESHOLD; i++) {
      assertThat(scramRefusal(scram("w" + i, new ScramLogin("alice", "guess" + i))))
          .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    }
    assertThat(scramRefusal(scram("right", new ScramLogin("alice", "secret"))))
        .as("locked out: even the right password").isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(auth.passwordStats().rateLimited()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
      Mqtt5BlockingClient c = scram("later-" + System.nanoTime(), new ScramLogin("alice", "secret"));
      try {
        c.connect();
        return true;
      } catch (Mqtt5ConnAckException e) {
        return false;
      }
    });
  }

  private MqttClient paho(String id, String user, String password) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + broker.port(), id, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setConnectionTimeout(10);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.toCharArray());
    }
    c.connect(o);
    cleanups.add(() -> {
      if (c.isConnected()) {
        c.disconnectForcibly(100, 100);
      }
      c.close();
    });
    return c;
  }

  private static int refusal(ThrowingRunnable r) {
    try {
      r.run();
    } catch (MqttException e) {
      return e.getReasonCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("connected");
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private long millisToRefuse(String user, String password) {
    long t0 = System.nanoTime();
    assertThat(refusal(() -> paho("t-" + System.nanoTime(), user, password))).isEqualTo(4);
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void rightPasswordConnectsAndWrongOneGetsConnAck4() throws Exception {
    start(passwords("alice", "secret"), null, AnonymousAccess.FALSE);
    assertThat(paho("a1", "alice", "secret").isConnected()).isTrue();
    assertThat(refusal(() -> paho("a2", "alice", "wrong"))).isEqualTo(4);
    assertThat(refusal(() -> paho("a3", "nobody", "secret"))).isEqualTo(4);
    assertThat(refusal(() -> paho("a4", null, null))).as("anonymous: not authorized").isEqualTo(5);
    assertThat(auth.passwordStats().wrongPasswords()).isEqualTo(1);
    assertThat(auth.passwordStats().unknownUsers()).isEqualTo(1);
    assertThat(auth.anonymousRefused()).isEqualTo(1);
  }

  /** The lines logged at INFO and above while {@code r} runs. */
  private static java.util.List<String> logged(ThrowingRunnable r) throws Exception {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    root.addAppender(lines);
    ch.qos.logback.classic.Level level = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.INFO); // logback-test.xml may keep tests quieter
    try {
      r.run();
      return lines.list.stream().map(e -> e.getFormattedMessage()).toList();
    } finally {
      root.detachAppender(lines);
      root.setLevel(level);
    }
  }

  @Test
  void eachRefusalIsLoggedOnceWithWhyAndNeverThePassword() throws Exception {
    java.util.List<String> lines = logged(() -> {
      start(passwords("alice", "secret"), null, AnonymousAccess.FALSE);
      refusal(() -> paho("w1", "alice", "Wr0ngPa55"));
      refusal(() -> paho("w2", "nobody", "Wr0ngPa55"));
      refusal(() -> paho("w3", null, null));
    });
    java.util.List<String> refused =
        lines.stream().filter(m -> m.contains("w1") || m.contains("w2") || m.contains("w3")).toList();
    assertThat(refused).hasSize(3);
    assertThat(refused.get(0)).contains("client w1 user alice").contains("wrong password");
    assertThat(refused.get(1)).contains("client w2 user nobody").contains("unknown user");
    assertThat(refused.get(2)).contains("client w3").contains("anonymous clients are not allowed");
    assertThat(lines).noneMatch(m -> m.contains("Wr0ngPa55"));
  }

  /** As for passwords: the SCRAM user (not in CONNECT's user name) and why, once, at INFO. */
  @Test
  void eachScramRefusalIsLoggedOnceWithTheUserAndWhy() throws Exception {
    Path f = dir.resolve("passwd");
    PasswordFile.update(f, "alice", PasswordHash.create("secret".toCharArray(), 1000),
        io.tern.broker.auth.ScramCredential.create("secret".toCharArray(), 4096));
    java.util.List<String> lines = logged(() -> {
      start(f, null, AnonymousAccess.FALSE);
      scramRefusal(scram("sw1", new ScramLogin("alice", "Wr0ngPa55")));
      scramRefusal(scram("sw2", new ScramLogin("nobody", "Wr0ngPa55")));
      for (int i = 2; i < PasswordAuthenticator.ADDRESS_THRESHOLD; i++) {
        scramRefusal(scram("sx" + i, new ScramLogin("alice", "guess" + i)));
      }
      scramRefusal(scram("sw3", new ScramLogin("alice", "secret")));
    });
    java.util.List<String> refused = lines.stream().filter(m -> m.contains("client sw")).toList();
    assertThat(refused).hasSize(3);
    assertThat(refused.get(0)).contains("client sw1")
        .contains("SCRAM-SHA-256 user alice: wrong password; 1 failures from this address");
    assertThat(refused.get(1)).contains("client sw2")
        .contains("SCRAM-SHA-256 user nobody: unknown user or no SCRAM credential; 2 failures from this address");
    assertThat(refused.get(2)).as("locked out").contains("client sw3").contains("SCRAM-SHA-256 user alice: too many");
    assertThat(lines).noneMatch(m -> m.contains("Wr0ngPa55"));
  }

  @Test
  void mqtt5WrongPasswordGetsConnAck0x86() throws Exception {
    start(passwords("alice", "secret"), null, AnonymousAccess.FALSE);
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("h5").serverHost("127.0.0.1").serverPort(broker.port())
        .simpleAuth().username("alice").password("nope".getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .buildBlocking();
    assertThatThrownBy(c::connect).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
  }

  @Test
  void anUnknownUserIsRefusedInAboutTheTimeOfAWrongPassword() throws Exception {
    start(passwords("alice", "secret"), null, AnonymousAccess.FALSE);
    paho("warm", "alice", "secret"); // class loading, connection setup; a success clears the counters
    long wrong = Math.min(millisToRefuse("alice", "x"), millisToRefuse("alice", "y"));
    paho("reset", "alice", "secret"); // stay below the per-address lockout
    long unknown = Math.min(millisToRefuse("mallory", "x"), millisToRefuse("mallory", "y"));
    // Loose: both pay for one PBKDF2 hash; an unknown user that skipped it would take ~1 ms.
    assertThat(unknown).as("unknown user %d ms, wrong password %d ms", unknown, wrong).isGreaterThan(wrong / 3);
  }

  @Test
  void wrongPasswordsInALoopAreRateLimitedThenTheLockoutEnds() throws Exception {
    start(passwords("alice", "secret"), null, AnonymousAccess.FALSE);
    for (int i = 0; i < PasswordAuthenticator.ADDRESS_THRESHOLD; i++) {
      assertThat(refusal(() -> paho("loop", "alice", "guess"))).isEqualTo(4);
    }
    assertThat(auth.passwordStats().rateLimited()).isZero();
    // Locked out: even the right password is refused, without a hash.
    assertThat(refusal(() -> paho("loop", "alice", "secret"))).isEqualTo(4);
    assertThat(auth.passwordStats().rateLimited()).isEqualTo(1);
    assertThat(auth.passwordStats().wrongPasswords()).isEqualTo(PasswordAuthenticator.ADDRESS_THRESHOLD);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .until(() -> paho("after", "alice", "secret").isConnected());
  }

  /**
   * By default wrong passwords from loopback addresses lock nobody out: every client of this
   * machine shares the address, and one guessing locked the others out, right passwords included.
   */
  @Test
  void byDefaultWrongPasswordsFromLoopbackLockNobodyOut() throws Exception {
    start(passwords("alice", "secret", "bob", "pw"), null, AnonymousAccess.FALSE, false);
    for (int i = 0; i < PasswordAuthenticator.USER_THRESHOLD + 2; i++) {
      assertThat(refusal(() -> paho("loop", "alice", "guess"))).isEqualTo(4);
    }
    assertThat(paho("right", "alice", "secret").isConnected()).as("the right password, at once").isTrue();
    assertThat(paho("other", "bob", "pw").isConnected()).isTrue();
    assertThat(auth.passwordStats().rateLimited()).isZero();
    assertThat(auth.passwordStats().wrongPasswords()).as("still counted").isEqualTo(PasswordAuthenticator.USER_THRESHOLD + 2);
  }

  @Test
  void aclDeniedSubscribeGets0x80AndDeniedPublishIsNotDelivered() throws Exception {
    start(passwords("alice", "a", "bob", "b"), acl("""
        topic read public/#
        user alice
        topic readwrite alice/#
        topic write public/#
        user bob
        topic read alice/#
        """), AnonymousAccess.FALSE);
    MqttClient alice = paho("alice-1", "alice", "a");
    MqttClient bob = paho("bob-1", "bob", "b");
    BlockingQueue<String> received = new ArrayBlockingQueue<>(10);
    IMqttMessageListener listener = (t, m) -> received.add(t + " " + new String(m.getPayload(), StandardCharsets.UTF_8));
    assertThat(bob.subscribeWithResponse(new String[] {"alice/#", "secret/#", "public/#"}, new int[] {1, 1, 1},
        new IMqttMessageListener[] {listener, listener, listener}).getGrantedQos())
        .containsExactly(1, 0x80, 1);
    bob.publish("public/x", "from bob".getBytes(StandardCharsets.UTF_8), 1, false); // bob may not write: dropped
    alice.publish("alice/x", "one".getBytes(StandardCharsets.UTF_8), 1, false);
    alice.publish("public/y", "two".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("alice/x one");
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("public/y two");
    assertThat(received.poll(300, TimeUnit.MILLISECONDS)).as("bob's publish was dropped").isNull();
    assertThat(broker.securityStats().publishesDenied()).isEqualTo(1);
  }

  @Test
  void aChangedPasswordFileIsReloadedAndABrokenOneKeepsThePreviousUsers() throws Exception {
    Path file = passwords("alice", "one");
    start(file, null, AnonymousAccess.FALSE);
    assertThat(refusal(() -> paho("r1", "bob", "two"))).isEqualTo(4);
    PasswordFile.update(file, "bob", PasswordHash.create("two".toCharArray(), ITERATIONS));
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> paho("r2", "bob", "two").isConnected());
    Files.writeString(file, Files.readString(file) + "broken\n");
    // Over several check intervals the broken file must not replace the users.
    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5))
        .until(() -> paho("r3-" + System.nanoTime(), "alice", "one").isConnected());
  }

  @Test
  void aChangedAclFileIsReloadedAndSighupReloadReadsItAtOnce() throws Exception {
    Path aclFile = acl("topic read a/#\n");
    start(null, aclFile, AnonymousAccess.TRUE);
    MqttClient c = paho("acl-1", null, null);
    assertThat(c.subscribeWithResponse("b/#", 1).getGrantedQos()).containsExactly(0x80);
    Files.writeString(aclFile, "topic read a/#\ntopic read b/#\n");
    await().atMost(Duration.ofSeconds(10))
        .until(() -> c.subscribeWithResponse("b/#", 1).getGrantedQos()[0] == 1);
    Files.writeString(aclFile, "topic read a/#\ntopik read c/#\n");
    auth.reload(); // as SIGHUP does
    assertThat(c.subscribeWithResponse("b/#", 1).getGrantedQos()).as("syntax error: previous rules kept")
        .containsExactly(1);
  }

  @Test
  void withNoAuthConfiguredAnonymousClientsFromLoopbackAreAccepted() throws Exception {
    start(null, null, AuthConfig.defaults().allowAnonymous());
    assertThat(paho("local", null, null).isConnected()).isTrue();
    assertThat(paho("named", "anyone", "anything").isConnected()).as("no password file: names are not checked")
        .isTrue();
  }
}
