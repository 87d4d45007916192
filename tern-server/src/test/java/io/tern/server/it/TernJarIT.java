package io.tern.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built {@code tern.jar} started as a separate process, as the README says, on a free loopback
 * port: real clients through it, then the way it stops. Runs in the integration-test phase, after
 * the jar is built.
 */
class TernJarIT {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private TernProcess start(String... args) {
    TernProcess tern = TernProcess.start(args);
    toClose.add(tern);
    return tern;
  }

  private MqttClient connect(int port, String clientId) throws Exception {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setConnectionTimeout(5);
    client.connect(o);
    toClose.add(() -> {
      if (client.isConnected()) {
        client.disconnectForcibly(1000, 1000);
      }
      client.close();
    });
    return client;
  }

  @Test
  void pahoClientsPublishAndSubscribeThroughTheJarWhichExitsZeroOnSigterm() throws Exception {
    int port = TernProcess.freePort();
    TernProcess tern = start("--port", Integer.toString(port), "--bind", "127.0.0.1").awaitStarted();
    assertThat(tern.output()).contains("Listening for MQTT on 127.0.0.1:" + port);

    MqttClient sub = connect(port, "it-sub");
    MqttClient pub = connect(port, "it-pub");
    BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(10);
    sub.subscribe("it/+", 2, (topic, m) -> received.add(m));
    for (int qos = 0; qos <= 2; qos++) {
      pub.publish("it/x", ("hello " + qos).getBytes(StandardCharsets.UTF_8), qos, false);
      MqttMessage m = received.poll(10, TimeUnit.SECONDS);
      assertThat(m).as("message at QoS %d", qos).isNotNull();
      assertThat(new String(m.getPayload(), StandardCharsets.UTF_8)).isEqualTo("hello " + qos);
      assertThat(m.getQos()).isEqualTo(qos);
    }
    // No line per connect by default (log.connections: false).
    assertThat(tern.output()).doesNotContain("Client it-sub connected");

    assertThat(tern.terminate()).as("exit status after SIGTERM").isZero();
    assertThat(tern.lines()).anyMatch(l -> l.endsWith("Tern stopped"));
    assertThat(tern.output()).doesNotContain("Exception");
  }

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = "amd64")
  void theShadedJarUsesNativeEpollOnLinux() {
    TernProcess tern = start("--port", "0", "--bind", "127.0.0.1").awaitStarted();
    assertThat(tern.output()).containsPattern("Listening for MQTT on 127\\.0\\.0\\.1:\\d+ \\(mqtt, epoll\\)");
    assertThat(tern.terminate()).isZero();
  }

  @Test
  void sigintStopsAsCleanlyAsSigterm() throws Exception {
    TernProcess tern = start("--port", "0", "--bind", "127.0.0.1").awaitStarted();
    signal(tern, "INT");
    assertThat(tern.awaitExit(Duration.ofSeconds(15))).isZero();
    assertThat(tern.lines()).anyMatch(l -> l.endsWith("Tern stopped"));
  }

  /**
   * SIGTERM as soon as the first line is out, while the store opens: the stop waits for the start
   * and is as clean as any (it was exit 143 with no line after "starting").
   */
  @Test
  void sigtermDuringTheStartStopsCleanlyOnceStarted() throws Exception {
    TernProcess tern = start("--port", "0", "--bind", "127.0.0.1");
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
        .until(() -> tern.output().contains(" starting ("));
    signal(tern, "TERM");
    assertThat(tern.awaitExit(Duration.ofSeconds(30))).as("exit status:\n%s", tern.output()).isZero();
    assertThat(tern.lines()).anyMatch(l -> l.endsWith("Tern stopped"));
  }

  private static void signal(TernProcess tern, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(tern.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs {@code tern passwd} from the jar with the password on standard input, as a script would. */
  private static void passwd(Path file, String user, String password) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        TernProcess.jar().toString(), "passwd", "--iterations", "20000", file.toString(), user)
        .redirectErrorStream(true).start();
    p.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
  }

  private static int refusal(int port, String user, String password) {
    try {
      MqttClient c = new MqttClient("tcp://127.0.0.1:" + port, "it-refused", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      o.setConnectionTimeout(5);
      o.setUserName(user);
      o.setPassword(password.toCharArray());
      c.connect(o);
      c.disconnectForcibly(1000, 1000);
      c.close();
      return 0;
    } catch (org.eclipse.paho.client.mqttv3.MqttException e) {
      return e.getReasonCode();
    }
  }

  /**
   * A configuration in {@code dir} with a password file {@code dir/passwd} of alice (password
   * "one") and no polling of it: only SIGHUP can make the server read it again.
   */
  private static Path aliceOnlyNoPolling(Path dir, int port) throws Exception {
    Path users = dir.resolve("passwd");
    passwd(users, "alice", "one");
    Path file = dir.resolve("tern.yaml");
    Files.writeString(file, """
        listeners: [{bind: 127.0.0.1, port: %d}]
        auth: {password_file: %s, reload_check_interval: 0s}
        """.formatted(port, users));
    return file;
  }

  @Test
  void sighupReloadsThePasswordFileAndKeepsServing(@TempDir Path dir) throws Exception {
    int port = TernProcess.freePort();
    Path users = dir.resolve("passwd");
    Path file = aliceOnlyNoPolling(dir, port);
    // SIGHUP at its default action whatever this build was started with (under nohup it is ignored,
    // and the server would never see the signal: the test below).
    assumeTrue(TernProcess.envSetsSignals(), "env --default-signal (GNU coreutils 8.31+) is missing");
    TernProcess tern = TernProcess.startWithSighup(false, "--config", file.toString()).awaitStarted();
    toClose.add(tern);
    assertThat(tern.output()).contains("Auth: password file " + users + " (1 users)", "allow_anonymous false")
        .doesNotContain("SIGHUP is ignored");
    assertThat(refusal(port, "alice", "wrong")).isEqualTo(4);
    connectAs(port, "it-alice", "alice", "one");
    passwd(users, "bob", "two");
    assertThat(refusal(port, "bob", "two")).as("not reloaded yet").isEqualTo(4);

    signal(tern, "HUP");
    // Generous: it timed out once at 10 s while two builds shared the two cores.
    await().atMost(Duration.ofSeconds(30)).until(() -> tern.output().contains("Reloaded the password file"));
    assertThat(tern.pid()).isPositive();
    connectAs(port, "it-bob", "bob", "two");
    assertThat(tern.output()).doesNotContain("\"one\"", "two\n").doesNotContain("Tern stopped");

    assertThat(tern.terminate()).isZero();
  }

  /** Started under nohup, the JVM cannot handle SIGHUP: the server says so at start, and keeps serving. */
  @Test
  void aServerStartedWithSighupIgnoredSaysThatItCannotReloadOnIt(@TempDir Path dir) throws Exception {
    assumeTrue(TernProcess.envSetsSignals(), "env --ignore-signal (GNU coreutils 8.31+) is missing");
    int port = TernProcess.freePort();
    Path file = aliceOnlyNoPolling(dir, port);
    TernProcess tern = TernProcess.startWithSighup(true, "--config", file.toString()).awaitStarted();
    toClose.add(tern);
    assertThat(tern.output()).contains("SIGHUP is ignored by this process");
    signal(tern, "HUP");
    connectAs(port, "it-alice", "alice", "one");
    assertThat(tern.output()).doesNotContain("Reloaded the password file");
    assertThat(tern.terminate()).isZero();
  }

  @Test
  void theQuickStartAcceptsAnonymousClientsFromLoopback() throws Exception {
    int port = TernProcess.freePort();
    TernProcess tern = start("--port", Integer.toString(port)).awaitStarted();
    assertThat(tern.output()).contains("allow_anonymous localhost (loopback addresses only)");
    connect(port, "it-anonymous");
    assertThat(tern.terminate()).isZero();
  }

  private MqttClient connectAs(int port, String clientId, String user, String password) throws Exception {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setConnectionTimeout(5);
    o.setUserName(user);
    o.setPassword(password.toCharArray());
    client.connect(o);
    toClose.add(() -> {
      client.disconnectForcibly(1000, 1000);
      client.close();
    });
    return client;
  }

  @Test
  void aConfigFileGivenWithConfigIsApplied(@TempDir Path dir) throws Exception {
    int port = TernProcess.freePort();
    Path file = dir.resolve("tern.yaml");
    Files.writeString(file, """
        listeners:
          - name: loopback
            bind: 127.0.0.1
            port: %d
        limits:
          max_qos: 1
          max_packet_size: 64KiB
        log:
          level: info
          connections: true
        """.formatted(port));
    TernProcess tern = start("--config", file.toString()).awaitStarted();
    assertThat(tern.output())
        .contains("starting (" + file + ")")
        .contains("Listening for MQTT on 127.0.0.1:" + port + " (loopback,")
        .contains("max_packet_size=64KiB");

    MqttClient client = connect(port, "it-config");
    IMqttToken granted = client.subscribeWithResponse("c/#", 2);
    assertThat(granted.getGrantedQos()).containsExactly(1);
    client.disconnect();
    // log.connections: a line per connect and per disconnect.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(tern.output()).contains("Client it-config connected from", "Client it-config from")
            .contains("disconnected: client DISCONNECT"));

    assertThat(tern.terminate()).isZero();
  }

  @Test
  void commandLineOptionsOverrideTheConfigFile(@TempDir Path dir) throws Exception {
    int port = TernProcess.freePort();
    Path file = dir.resolve("tern.yaml");
    Files.writeString(file, "listeners: [{bind: 127.0.0.1, port: 1}]\nlog: {level: error}\n");
    TernProcess tern = start("-c", file.toString(), "--port", Integer.toString(port), "--log-level", "info")
        .awaitStarted();
    assertThat(tern.output()).contains("Listening for MQTT on 127.0.0.1:" + port);
    connect(port, "it-override");
    assertThat(tern.terminate()).isZero();
  }

  @Test
  void whatAClientSendsCannotStartALineOfItsOwnInTheLog() throws Exception {
    int port = TernProcess.freePort();
    TernProcess tern = start("--port", Integer.toString(port), "--bind", "127.0.0.1").awaitStarted();
    // A CONNECT whose protocol name holds a newline, a forged log entry and a terminal escape.
    // U+0085, U+2028 and U+2029 end a line for some readers too (Python's splitlines, some viewers).
    byte[] name = "MQ\n2026-01-01 00:00:00.000 ERROR TernServer - FORGED\u001b[31m\u0085A\u2028B\u2029C"
        .getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(name.length >> 8);
    body.write(name.length);
    body.write(name);
    body.write(new byte[] {4, 2, 0, 60, 0, 1, 'x'}); // level 4, clean session, keep alive 60, client id "x"
    try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write(0x10);
      s.getOutputStream().write(body.size());
      body.writeTo(s.getOutputStream());
      s.setSoTimeout(5000);
      assertThat(s.getInputStream().read()).as("the broker closes the connection").isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(10))
        .until(() -> tern.lines().stream().anyMatch(l -> l.contains("unknown protocol name")));
    assertThat(tern.lines()).filteredOn(l -> l.contains("unknown protocol name")).singleElement().asString()
        .contains("'MQ?2026-01-01 00:00:00.000 ERROR TernServer - FORGED?[31m?A?B?C'");
    assertThat(tern.lines()).noneMatch(l -> l.startsWith("2026-01-01") || l.contains("\u001b"));
  }

  /**
   * A client id (or topic) of up to 65,535 characters is cut in the log, the rest of the line kept:
   * a client repeating a violation with a 65,000-character id wrote 3 MB of log a second.
   */
  @Test
  void aLongClientIdIsCutInTheLogAndTheLineStillSaysWhatHappened() throws Exception {
    int port = TernProcess.freePort();
    TernProcess tern = start("--port", Integer.toString(port), "--bind", "127.0.0.1").awaitStarted();
    byte[] id = "L".repeat(65_000).getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
    byte[] head = {0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, (byte) (id.length >> 8), (byte) id.length};
    int remaining = head.length + id.length;
    packet.write(0x10);
    while (true) { // Remaining Length, variable byte integer
      int b = remaining % 128;
      remaining /= 128;
      packet.write(remaining > 0 ? b | 0x80 : b);
      if (remaining == 0) {
        break;
      }
    }
    packet.write(head);
    packet.write(id);
    packet.write(new byte[] {0, 0}); // a packet of the reserved type 0: a protocol violation
    try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
      packet.writeTo(s.getOutputStream());
      s.setSoTimeout(5000);
      while (s.getInputStream().read() != -1) {
        // CONNACK, then the close
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tern.lines().stream().anyMatch(l -> l.contains("reserved packet type")));
    assertThat(tern.lines()).filteredOn(l -> l.contains("reserved packet type")).singleElement().asString()
        .contains("Client " + "L".repeat(120) + "... from ").hasSizeLessThan(400);
  }

  @Test
  void atTheOpenFilesLimitAcceptFailuresAreLoggedOnceNotEverySecond() throws Exception {
    int port = TernProcess.freePort();
    TernProcess tern = TernProcess.startWithOpenFilesLimit(120, "--port", Integer.toString(port), "--bind", "127.0.0.1");
    toClose.add(tern);
    tern.awaitStarted();
    List<java.net.Socket> sockets = new ArrayList<>();
    try {
      // The kernel completes the connections (its accept queue); the broker runs out of
      // descriptors accepting them, and its acceptor retries once a second.
      for (int i = 0; i < 200; i++) {
        sockets.add(new java.net.Socket(InetAddress.getLoopbackAddress(), port));
      }
      await().atMost(Duration.ofSeconds(10))
          .until(() -> tern.lines().stream().anyMatch(l -> l.contains("cannot accept connections")));
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true); // three more retries
      assertThat(tern.lines()).filteredOn(l -> l.contains("cannot accept connections")).singleElement().asString()
          .contains("Too many open files").contains("ulimit -n");
      assertThat(tern.lines()).noneMatch(l -> l.contains("tail of the pipeline") || l.contains("\tat "));
    } finally {
      for (java.net.Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void aPortInUseExitsOneWithOneErrorLineAndNoStackTrace() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      TernProcess tern = start("--port", Integer.toString(taken.getLocalPort()), "--bind", "127.0.0.1");
      assertThat(tern.awaitExit(Duration.ofSeconds(20))).isEqualTo(1);
      List<String> errors = tern.lines().stream().filter(l -> l.contains("ERROR")).toList();
      assertThat(errors).singleElement().asString()
          .contains("Cannot start")
          .contains("listener mqtt on 127.0.0.1:" + taken.getLocalPort() + ": ") // which one failed
          .contains("Address already in use")
          .contains("127.0.0.1:" + taken.getLocalPort());
      assertThat(tern.output()).doesNotContain("\tat ", "Exception");
    }
  }

  @Test
  void aMissingAdminPasswordFileExitsTwoBeforeAnyListenerBinds(@TempDir Path dir) throws Exception {
    int port = TernProcess.freePort();
    Path file = dir.resolve("admin.yaml");
    Files.writeString(file, "listeners: [{bind: 127.0.0.1, port: " + port + "}]\nadmin:\n  password_file: "
        + dir.resolve("missing.passwd") + "\n");
    TernProcess tern = start("--config", file.toString());
    assertThat(tern.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
    assertThat(tern.lines()).singleElement().asString()
        .startsWith("tern: invalid configuration: " + file + ": admin.password_file: ").contains("no such file");
    assertThat(tern.lines()).noneMatch(l -> l.contains("Listening"));
  }

  @Test
  void aBadConfigFileExitsTwoNamingTheFileAndTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "limits:\n  max_inflight: 0\n  colour: blue\n");
    TernProcess tern = start("--config", file.toString());
    assertThat(tern.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
    assertThat(tern.lines()).containsExactly(
        "tern: invalid configuration: " + file + ": limits.colour: unknown key (known keys in limits: "
            + "max_packet_size, max_inflight, max_queued_messages, queue_qos0_when_offline, drop_policy, "
            + "connect_timeout, max_client_id_length, max_qos, max_connections, max_connection_rate_per_address, "
            + "max_topic_length, max_topic_levels, max_subscriptions_per_client, disconnect_on_denied_publish, "
            + "receive_maximum, topic_alias_maximum, max_session_expiry, server_keep_alive, max_keep_alive, max_queued_bytes, "
            + "outbound_high_water_mark, outbound_low_water_mark, inbound_buffer_limit, outbound_stall_timeout, "
            + "max_subscription_bytes_per_client, max_heap_usage, slow_subscriber)");
  }

  @Test
  void versionAndHelpExitZero() {
    TernProcess version = start("--version");
    assertThat(version.awaitExit(Duration.ofSeconds(20))).isZero();
    assertThat(version.lines().get(0)).matches("tern \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    TernProcess help = start("--help");
    assertThat(help.awaitExit(Duration.ofSeconds(20))).isZero();
    assertThat(help.output()).contains("Usage: tern", "--config", "--port", "--bind", "Exit codes");
  }

  // ---------------------------------------------------------------- mosquitto clients

  /**
   * The mosquitto command-line clients (Debian: mosquitto-clients). Skipped when they are missing,
   * unless {@code -Dtern.requireMosquittoClients=true} (as CI runs it): then their absence fails.
   */
  private static Path mosquittoClient(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    if (Boolean.getBoolean("tern.requireMosquittoClients")) {
      fail(name + " is not on the PATH and tern.requireMosquittoClients=true: apt-get install mosquitto-clients");
    }
    assumeTrue(false, name + " is not on the PATH (apt-get install mosquitto-clients); skipped");
    return null;
  }

  private static String run(Path program, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(program.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not finish");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    return out;
  }

  @Test
  void mosquittoClientsPublishAndSubscribeThroughTheJar() throws Exception {
    Path pub = mosquittoClient("mosquitto_pub");
    Path sub = mosquittoClient("mosquitto_sub");
    int port = TernProcess.freePort();
    TernProcess tern = start("--port", Integer.toString(port), "--bind", "127.0.0.1").awaitStarted();
    String host = "127.0.0.1";
    String p = Integer.toString(port);

    // A retained message first: the subscriber's first line proves it is subscribed.
    run(pub, "-h", host, "-p", p, "-V", "mqttv311", "-q", "1", "-r", "-t", "mosq/retained", "-m", "kept");
    Process subscriber = new ProcessBuilder(sub.toString(), "-h", host, "-p", p, "-V", "mqttv311",
        "-q", "2", "-t", "mosq/#", "-v", "-C", "2", "-W", "20").redirectErrorStream(true).start();
    toClose.add(subscriber::destroyForcibly);
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(subscriber.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).isEqualTo("mosq/retained kept");
      run(pub, "-h", host, "-p", p, "-V", "mqttv311", "-q", "2", "-t", "mosq/live", "-m", "hello tern");
      assertThat(out.readLine()).isEqualTo("mosq/live hello tern");
    }
    assertThat(subscriber.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(subscriber.exitValue()).isZero();

    assertThat(tern.terminate()).isZero();
  }
}
