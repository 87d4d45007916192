package io.tern.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.TlsConfig;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ConnectRequest;
import io.tern.broker.testsupport.LogCapture;
import io.tern.broker.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS (with and without client certificates, reload), WebSocket (ws, wss, frames) and the PROXY protocol. */
@Timeout(60)
class TransportSecurityTest {
  @TempDir Path dir;
  private TestCertificates certs;
  private Broker broker;
  private final List<ConnectRequest> requests = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> cleanups = new ArrayList<>();

  @BeforeEach
  void certificates() throws Exception {
    certs = new TestCertificates(dir);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : cleanups) {
      try {
        c.close();
      } catch (Exception e) {
        // cleaning up anyway
      }
    }
    if (broker != null) {
      broker.stop();
    }
  }

  private Broker start(Listener listener) {
    broker = Broker.builder().listener(listener).authenticator(req -> {
      requests.add(req);
      return CompletableFuture.completedFuture(
          "intruder".equals(req.username()) ? AuthResult.notAuthorized() : AuthResult.accept(req.username()));
    }).build().start();
    return broker;
  }

  private TlsConfig.Builder tls() {
    return TlsConfig.builder(certs.serverCert, certs.serverKey);
  }

  private MqttClient paho(String id, TestCertificates.Issued clientCert, List<String> received) throws Exception {
    MqttClient c = new MqttClient("ssl://127.0.0.1:" + broker.port(), id, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setConnectionTimeout(5);
    o.setSocketFactory(certs.socketFactory(clientCert));
    if (received != null) {
      c.setCallback(new MqttCallback() {
        @Override
        public void connectionLost(Throwable cause) {}

        @Override
        public void messageArrived(String topic, MqttMessage message) {
          received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {}
      });
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

  @Test
  void pahoOverTlsWithoutClientCertificate() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().build()));
    List<String> received = new CopyOnWriteArrayList<>();
    MqttClient sub = paho("tls-sub", null, received);
    sub.subscribe("t/#", 1);
    paho("tls-pub", null, null).publish("t/1", "over tls".getBytes(StandardCharsets.UTF_8), 1, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("t/1 over tls"));
    assertThat(requests).allSatisfy(r -> assertThat(r.peerCertificates()).isEmpty());
  }

  /**
   * A client refused while it is still sending reads its CONNACK and then the end of the stream
   * (close_notify, FIN): the broker drains what still comes rather than close with input unread,
   * which would reset the connection under the client's next write.
   */
  @Test
  void refusedOverTlsWhileStillSendingTheClientReadsItsConnAckAndAnOrderlyEnd() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().build()));
    try (SSLSocket s = (SSLSocket) certs.socketFactory(null).createSocket("127.0.0.1", broker.port())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      OutputStream out = s.getOutputStream();
      // CONNECT, MQTT 3.1.1, clean session, client id "c", user name "intruder"; then a PINGREQ.
      out.write(HexFormat.of().parseHex("101700044d5154540482003c00016300"
          + "08696e747275646572" + "c000"));
      out.flush();
      InputStream in = s.getInputStream();
      assertThat(HexFormat.of().formatHex(in.readNBytes(4))).isEqualTo("20020005"); // not authorized
      for (int i = 0; i < 5; i++) { // still read, and thrown away
        out.write(new byte[] {(byte) 0xc0, 0});
        out.flush();
        Thread.sleep(20);
      }
      assertThat(in.read()).as("after the CONNACK, the end of the stream").isEqualTo(-1);
    }
  }

  @Test
  void pahoWithClientCertificateIsKnownByItsCommonName() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().clientAuth(TlsConfig.ClientAuth.REQUIRED)
        .trustedCertificates(certs.caCert).identityAsUsername(TlsConfig.Identity.CN).build()));
    paho("cert-alice", certs.client("alice"), null);
    assertThat(requests).singleElement().satisfies(r -> {
      assertThat(r.username()).isEqualTo("alice");
      assertThat(r.certificateIdentity()).isTrue();
      assertThat(r.peerCertificates()).isNotEmpty();
    });
  }

  @Test
  void clientWithoutCertificateFailsTheHandshakeWhenOneIsRequired() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().clientAuth(TlsConfig.ClientAuth.REQUIRED)
        .trustedCertificates(certs.caCert).build()));
    assertThatThrownBy(() -> paho("no-cert", null, null)).isNotNull();
    assertThat(requests).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.securityStats().tlsHandshakeFailures() >= 1);
  }

  @Test
  void byDefaultOnlyForwardSecretAeadSuitesAreOfferedInTls12() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().protocols(List.of("TLSv1.2")).build()));
    for (String weak : List.of("TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")) {
      try (SSLSocket s = (SSLSocket) certs.socketFactory(null).createSocket("127.0.0.1", broker.port())) {
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        s.setEnabledCipherSuites(new String[] {weak});
        assertThatThrownBy(s::startHandshake).as(weak).isInstanceOf(javax.net.ssl.SSLException.class);
      }
    }
    try (SSLSocket s = (SSLSocket) certs.socketFactory(null).createSocket("127.0.0.1", broker.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertThat(s.getSession().getCipherSuite()).startsWith("TLS_ECDHE_").containsAnyOf("_GCM_", "_CHACHA20_");
    }
  }

  /** The suite a client offering only {@code suites} over {@code protocol} gets, or null if refused. */
  private String negotiated(String protocol, String... suites) throws Exception {
    try (SSLSocket s = (SSLSocket) certs.socketFactory(null).createSocket("127.0.0.1", broker.port())) {
      s.setEnabledProtocols(new String[] {protocol});
      if (suites.length > 0) {
        s.setEnabledCipherSuites(suites);
      }
      s.startHandshake();
      return s.getSession().getProtocol() + " " + s.getSession().getCipherSuite();
    } catch (javax.net.ssl.SSLException e) {
      return null;
    }
  }

  @Test
  void anEd25519KeyServesTls13() throws Exception {
    // It loaded, and every handshake failed with an internal error (netty-tcnative): the JDK's TLS now.
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("Ed25519");
    TestCertificates.Issued ed = certs.issue("ed", "CN=localhost", new org.bouncycastle.asn1.x509.GeneralNames(
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1")),
        g.generateKeyPair());
    start(Listener.tls("127.0.0.1", 0, TlsConfig.builder(ed.certFile(), ed.keyFile()).build()));
    assertThat(negotiated("TLSv1.3")).startsWith("TLSv1.3 TLS_");
  }

  @Test
  void anOlderTls12SuiteNamedLeavesTls13On() throws Exception {
    // It turned TLS 1.3 off: no TLS 1.3 suite was left.
    start(Listener.tls("127.0.0.1", 0, tls().ciphers(List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")).build()));
    assertThat(negotiated("TLSv1.3")).startsWith("TLSv1.3 TLS_");
    assertThat(negotiated("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"))
        .isEqualTo("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
    assertThat(negotiated("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).as("named suites replace the TLS 1.2 defaults")
        .isNull();
  }

  @Test
  void onlyTls13SuitesNamedKeepTheDefaultTls12Ones() throws Exception {
    // It let OpenSSL's own TLS 1.2 list in, with CBC suites.
    start(Listener.tls("127.0.0.1", 0, tls().ciphers(List.of("TLS_AES_256_GCM_SHA384")).build()));
    assertThat(negotiated("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")).isNull();
    assertThat(negotiated("TLSv1.2")).startsWith("TLSv1.2 TLS_ECDHE_ECDSA_WITH_").containsAnyOf("_GCM_", "_CHACHA20_");
    assertThat(negotiated("TLSv1.3", "TLS_AES_128_GCM_SHA256")).isNull();
    assertThat(negotiated("TLSv1.3")).isEqualTo("TLSv1.3 TLS_AES_256_GCM_SHA384");
  }

  @Test
  void optionalClientCertificateGivesTheSanAsUsernameAndNoCertificateStillConnects() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().clientAuth(TlsConfig.ClientAuth.OPTIONAL)
        .trustedCertificates(certs.caCert).identityAsUsername(TlsConfig.Identity.SAN).build()));
    paho("with-cert", certs.client("bob"), null);
    paho("without-cert", null, null);
    assertThat(requests).extracting(ConnectRequest::username).containsExactly("bob@example.com", null);
  }

  @Test
  void changedCertificateFilesAreUsedByNewConnections() throws Exception {
    start(Listener.tls("127.0.0.1", 0, tls().reloadCheckInterval(Duration.ofMillis(100)).build()));
    X509Certificate before = serverCertificate();
    Files.setLastModifiedTime(certs.serverCert, java.nio.file.attribute.FileTime.fromMillis(0)); // new stamp below
    certs.issue("server", "CN=localhost", new org.bouncycastle.asn1.x509.GeneralNames(
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1")));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> !serverCertificate().getSerialNumber().equals(before.getSerialNumber()));
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedAtStart() throws Exception {
    TestCertificates.Issued other = certs.client("other");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> start(Listener.tls("127.0.0.1", 0,
            TlsConfig.builder(certs.serverCert, other.keyFile()).build())))
        .hasMessageContaining("is not the key of the certificate");
  }

  @Test
  void aChangedKeyThatIsNotTheCertificatesKeepsTheOldOneWithOneWarning() throws Exception {
    try (LogCapture log = LogCapture.of("io.tern.broker.internal.TlsContext", ch.qos.logback.classic.Level.INFO)) {
      start(Listener.tls("127.0.0.1", 0, tls().reloadCheckInterval(Duration.ofMillis(100)).build()));
      X509Certificate before = serverCertificate();
      // The key of another certificate written over the server's: as a rotation half done.
      Files.copy(certs.client("other").keyFile(), certs.serverKey, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(certs.serverKey, java.nio.file.attribute.FileTime.fromMillis(0));
      await().atMost(Duration.ofSeconds(10)).until(() -> log.messages().stream()
          .anyMatch(m -> m.contains("is not the key of the certificate")));
      await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true); // 5 more checks
      assertThat(log.events()).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).hasSize(1);
      assertThat(serverCertificate().getSerialNumber()).as("handshakes go on with the old pair")
          .isEqualTo(before.getSerialNumber());
    }
  }

  private X509Certificate serverCertificate() throws Exception {
    try (SSLSocket s = (SSLSocket) certs.socketFactory(null).createSocket("127.0.0.1", broker.port())) {
      s.setSoTimeout(5000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  // ------------------------------------------------------------------ WebSocket

  private Mqtt3BlockingClient hiveWs(String id, boolean tls) throws Exception {
    var b = Mqtt3Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .webSocketConfig().serverPath("mqtt").applyWebSocketConfig();
    if (tls) {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", certs.ca);
      tmf.init(ks);
      b = b.sslConfig().trustManagerFactory(tmf).applySslConfig();
    }
    Mqtt3BlockingClient c = b.buildBlocking();
    c.connect();
    cleanups.add(() -> {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    });
    return c;
  }

  @Test
  void hiveMqClientsOverWebSocket() throws Exception {
    start(Listener.ws("127.0.0.1", 0));
    exchangeOverWebSocket(false);
  }

  @Test
  void hiveMqClientsOverSecureWebSocket() throws Exception {
    start(Listener.wss("127.0.0.1", 0, tls().build()));
    exchangeOverWebSocket(true);
  }

  private void exchangeOverWebSocket(boolean tls) throws Exception {
    Mqtt3BlockingClient sub = hiveWs("ws-sub", tls);
    Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("w/#").qos(MqttQos.AT_LEAST_ONCE).send();
    byte[] big = new byte[100_000]; // spans many frames and TCP segments
    hiveWs("ws-pub", tls).publishWith().topic("w/1").qos(MqttQos.AT_LEAST_ONCE).payload(big).send();
    Optional<Mqtt3Publish> p = publishes.receive(10, TimeUnit.SECONDS);
    assertThat(p).hasValueSatisfying(m -> assertThat(m.getPayloadAsBytes()).hasSize(100_000));
  }

  @Test
  void packetsSplitAcrossFramesAndSeveralPacketsInOneFrameBothWork() throws Exception {
    start(Listener.ws("127.0.0.1", 0).withPath("/custom"));
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
        .buildAsync(URI.create("ws://127.0.0.1:" + broker.port() + "/custom"), new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            synchronized (in) {
              byte[] b = new byte[data.remaining()];
              data.get(b);
              in.writeBytes(b);
            }
            w.request(1);
            return null;
          }
        }).get(5, TimeUnit.SECONDS);
    cleanups.add(() -> ws.abort());
    assertThat(ws.getSubprotocol()).isEqualTo("mqtt");
    byte[] connect = HexFormat.of().parseHex("100f00044d5154540402003c0003777331");
    // CONNECT split across two frames ...
    ws.sendBinary(ByteBuffer.wrap(connect, 0, 7), true).get(5, TimeUnit.SECONDS);
    ws.sendBinary(ByteBuffer.wrap(connect, 7, connect.length - 7), true).get(5, TimeUnit.SECONDS);
    // ... then SUBSCRIBE a/b and PUBLISH a/b "hey" in one frame.
    ws.sendBinary(ByteBuffer.wrap(HexFormat.of().parseHex("820800010003612f6200" + "30080003612f62686579")), true)
        .get(5, TimeUnit.SECONDS);
    String expected = "20020000" + "9003000100" + "30080003612f62686579";
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      synchronized (in) {
        return HexFormat.of().formatHex(in.toByteArray()).equals(expected);
      }
    });
  }

  @Test
  void webSocketFramesNotYetWholeCountAgainstTheInboundBufferLimit() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).configure(c -> c.inboundBufferLimit(50_000))
        .build().start();
    RawWebSocket a = new RawWebSocket(broker.port());
    RawWebSocket b = new RawWebSocket(broker.port());
    a.sendFrame(HexFormat.of().parseHex("100e00044d5154540502003c00000161")); // MQTT 5 CONNECT "a"
    b.sendFrame(HexFormat.of().parseHex("100e00044d5154540502003c00000162"));
    assertThat(a.readFrame()[0]).isEqualTo((byte) 0x20); // CONNACK
    assertThat(b.readFrame()[0]).isEqualTo((byte) 0x20);
    byte[] publish = publish40000();
    // A frame of one 40,000-byte PUBLISH: 30,000 bytes of it held by a's connection ...
    a.send(frameHeader(publish.length));
    a.send(java.util.Arrays.copyOf(publish, 30_000));
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.memoryStats().bufferedInboundBytes() >= 30_000);
    // ... so that b's 30,000 more would pass the 50,000: b is told why and closed.
    b.send(frameHeader(publish.length));
    b.send(java.util.Arrays.copyOf(publish, 30_000));
    byte[] disconnect = b.readFrame();
    assertThat(disconnect[0]).isEqualTo((byte) 0xe0);
    assertThat(disconnect[2]).isEqualTo((byte) 0x97); // Quota exceeded
    assertThat(b.readCloseStatus()).isEqualTo(1000);
    assertThat(b.in.read()).isEqualTo(-1);
    // a finishes its frame: its PUBLISH goes through, and the budget is empty again.
    a.send(java.util.Arrays.copyOfRange(publish, 30_000, publish.length));
    assertThat(a.readFrame()).startsWith(0x40, 0x03, 0x00, 0x01); // PUBACK 1
    assertThat(broker.memoryStats().bufferedInboundBytes()).isZero();
    assertThat(broker.memoryStats().inboundBufferRefusals()).isEqualTo(1);
  }

  @Test
  void aCorruptWebSocketFrameIsAProtocolErrorWithOneLogLineAndNoStackTrace() throws Exception {
    List<ch.qos.logback.classic.spi.ILoggingEvent> lines = connectionLog(() -> {
      broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
      RawWebSocket c = new RawWebSocket(broker.port());
      c.send(new byte[] {(byte) 0x82, 0x02, (byte) 0xc0, 0x00}); // a client frame without a mask (RFC 6455 5.1)
      assertThat(c.readCloseStatus()).isEqualTo(1002);
      assertThat(c.in.read()).as("one Close frame, then the end").isEqualTo(-1);
      await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().protocolErrors() == 1);
    });
    assertThat(lines).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
      assertThat(e.getFormattedMessage()).contains("(before CONNECT)").contains("not masked");
      assertThat(e.getThrowableProxy()).isNull();
    });
  }

  @Test
  void aTextFrameClosesTheConnectionWithOneLogLine() throws Exception {
    List<ch.qos.logback.classic.spi.ILoggingEvent> lines = connectionLog(() -> {
      broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
      RawWebSocket c = new RawWebSocket(broker.port());
      // A text frame, valid UTF-8 (Netty's frame decoder refuses invalid text itself).
      c.send(new byte[] {(byte) 0x81, (byte) 0x82, 0, 0, 0, 0, 'h', 'i'});
      assertThat(c.readCloseStatus()).as("a type of data it cannot accept").isEqualTo(1003);
      assertThat(c.in.read()).as("one Close frame, then the end").isEqualTo(-1);
      await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().protocolErrors() == 1);
    });
    assertThat(lines).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
      assertThat(e.getFormattedMessage()).contains("(before CONNECT)").contains("text frame");
      assertThat(e.getThrowableProxy()).isNull();
    });
  }

  /**
   * A text frame that is not UTF-8, as most MQTT packets sent as text are not (PINGREQ is C0 00):
   * Netty's frame decoder refuses it before the broker sees its type, with 1007 (security.md said 1003).
   */
  @Test
  void aTextFrameThatIsNotUtf8ClosesTheConnectionWith1007AndOneLogLine() throws Exception {
    List<ch.qos.logback.classic.spi.ILoggingEvent> lines = connectionLog(() -> {
      broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
      RawWebSocket c = new RawWebSocket(broker.port());
      c.send(new byte[] {(byte) 0x81, (byte) 0x82, 0, 0, 0, 0, (byte) 0xc0, 0x00});
      assertThat(c.readCloseStatus()).as("invalid frame payload data").isEqualTo(1007);
      assertThat(c.in.read()).as("one Close frame, then the end").isEqualTo(-1);
      await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().protocolErrors() == 1);
    });
    assertThat(lines).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
      assertThat(e.getFormattedMessage()).contains("(before CONNECT)");
      assertThat(e.getThrowableProxy()).isNull();
    });
  }

  @Test
  void aCloseFrameIsAnsweredWithItsStatusCodeOrWithProtocolErrorForACodeNoPeerMaySend() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    int[][] sentAndAnswered = {{1000, 1000}, {1001, 1001}, {4000, 4000}, {999, 1002}, {1005, 1002}, {1016, 1002},
        {5000, 1002}, {65535, 1002}};
    for (int[] codes : sentAndAnswered) {
      RawWebSocket c = new RawWebSocket(broker.port());
      c.sendFrame(CONNECT);
      assertThat(c.readFrame()).startsWith(0x20, 0x02, 0x00, 0x00);
      c.send(new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, (byte) (codes[0] >> 8), (byte) codes[0]});
      assertThat(c.readCloseStatus()).as("answer to %d", codes[0]).isEqualTo(codes[1]);
      assertThat(c.in.read()).as("one Close frame, then the end").isEqualTo(-1);
    }
    RawWebSocket c = new RawWebSocket(broker.port());
    c.send(new byte[] {(byte) 0x88, (byte) 0x80, 0, 0, 0, 0}); // no status code
    assertThat(c.readCloseStatus()).isEqualTo(-1);
    assertThat(c.in.read()).isEqualTo(-1);
  }

  @Test
  void theBrokerEndingAConnectionSendsItsLastPacketThenOneCloseFrame() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    RawWebSocket c = new RawWebSocket(broker.port());
    // MQTT 5 CONNECT, keep alive 1 s: the keep alive ends it with DISCONNECT 0x8D.
    c.sendFrame(HexFormat.of().parseHex("101000044d51545405020001000003777331"));
    assertThat(c.readFrame()).startsWith(0x20);
    byte[] disconnect = c.readFrame();
    assertThat(disconnect[0] & 0xff).isEqualTo(0xe0);
    assertThat(disconnect[2] & 0xff).isEqualTo(0x8d);
    assertThat(c.readCloseStatus()).isEqualTo(1000);
    c.send(new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xe8}); // the client's answer
    assertThat(c.in.read()).as("then the end, and no second Close frame").isEqualTo(-1);
  }

  /**
   * Headers over 16 KiB, after the upgrade's own: the HTTP decoder marks the request failed but
   * passes on what it read, which the handshake accepted (101, for 17 KB to 1 MB of headers).
   */
  @Test
  void anUpgradeWithHeadersOver16KibIsAnswered431AndClosed() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    for (int padding : new int[] {17_000, 200_000}) {
      try (Socket socket = new Socket("127.0.0.1", broker.port())) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        String upgrade = "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: mqtt\r\nX-Pad: " + "a".repeat(padding) + "\r\n\r\n";
        try {
          out.write(upgrade.getBytes(StandardCharsets.US_ASCII));
        } catch (java.net.SocketException closedMeanwhile) {
          // answered and closed before all of it was sent: the answer is still there to read
        }
        String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        assertThat(answer).as("%d bytes of headers", padding).isEqualTo("HTTP/1.1 431");
        try {
          while (socket.getInputStream().read() != -1) {
            // the rest of the answer, then the end
          }
        } catch (java.net.SocketException reset) {
          // closed with the rest unread
        }
      }
    }
    // A browser's upgrade with 12 KiB of cookies still passes.
    RawWebSocket ok = new RawWebSocket(broker.port(), "Cookie: " + "c".repeat(12 * 1024) + "\r\n");
    ok.sendFrame(CONNECT);
    assertThat(ok.readFrame()).startsWith(0x20, 0x02, 0x00, 0x00);
  }

  @Test
  void anUpgradeRequestOver16KibIsAnswered413AndClosed() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    try (Socket socket = new Socket("127.0.0.1", broker.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Content-Length: 20000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[20_000]);
      String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(answer).isEqualTo("HTTP/1.1 413");
      // Closed: the rest of the answer, then the end (or a reset, for the body it did not read).
      try {
        while (socket.getInputStream().read() != -1) {
          // the rest of the answer
        }
      } catch (java.net.SocketException reset) {
        // closed with the body unread
      }
    }
  }

  private interface Body {
    void run() throws Exception;
  }

  /** What MqttConnection logs at INFO and above while {@code body} runs. */
  private static List<ch.qos.logback.classic.spi.ILoggingEvent> connectionLog(Body body) throws Exception {
    try (LogCapture log = LogCapture.of("io.tern.broker.internal.MqttConnection", ch.qos.logback.classic.Level.INFO)) {
      body.run();
      return log.events();
    }
  }

  /** A QoS 1 PUBLISH of 40,000 bytes in all: topic "t", packet id 1, MQTT 5. */
  private static byte[] publish40000() {
    int remaining = 40_000 - 4; // the fixed header: one byte and three of remaining length
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x32);
    for (int r = remaining; r > 0; r >>= 7) {
      p.write((r & 0x7f) | (r >= 0x80 ? 0x80 : 0));
    }
    p.writeBytes(new byte[] {0, 1, 't', 0, 1, 0}); // topic, packet id, no properties
    p.writeBytes(new byte[remaining - 6]);
    return p.toByteArray();
  }

  /** A binary frame's header, masked with a zero key (so the payload goes as it is). */
  private static byte[] frameHeader(int length) {
    return length < 126 ? new byte[] {(byte) 0x82, (byte) (0x80 | length), 0, 0, 0, 0}
        : new byte[] {(byte) 0x82, (byte) (0x80 | 126), (byte) (length >> 8), (byte) length, 0, 0, 0, 0};
  }

  /** The status line the broker answers a WebSocket upgrade with, sent with this Origin header (or none). */
  private String upgradeStatus(int port, String origin) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Protocol: mqtt\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = socket.getInputStream().read()) != -1 && c != '\r') {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  @Test
  void withLoopbackOriginsOnlyAPageOfAnotherSiteCannotOpenAWebSocket() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0))
        .configure(c -> c.webSocketLoopbackOriginsOnly(true)).build().start();
    int port = broker.port();
    assertThat(upgradeStatus(port, "https://evil.example")).startsWith("HTTP/1.1 403");
    assertThat(upgradeStatus(port, "http://localhost.evil.example")).startsWith("HTTP/1.1 403");
    assertThat(upgradeStatus(port, "null")).startsWith("HTTP/1.1 403");
    assertThat(upgradeStatus(port, "http://localhost:8080")).startsWith("HTTP/1.1 101");
    assertThat(upgradeStatus(port, "http://127.0.0.1:3000")).startsWith("HTTP/1.1 101");
    assertThat(upgradeStatus(port, "http://[::1]:3000")).startsWith("HTTP/1.1 101");
    assertThat(upgradeStatus(port, null)).as("not a browser").startsWith("HTTP/1.1 101");
    broker.stop();
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    assertThat(upgradeStatus(broker.port(), "https://evil.example")).as("by default any origin").startsWith("HTTP/1.1 101");
  }

  /** The head of the broker's answer to a WebSocket upgrade with these protocol header lines (CRLF each). */
  private static String upgradeHead(int port, String protocolHeaders) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + protocolHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
      StringBuilder head = new StringBuilder();
      int c;
      while (!head.toString().endsWith("\r\n\r\n") && (c = socket.getInputStream().read()) != -1) {
        head.append((char) c);
      }
      return head.toString().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** MQTT-6.0.0-4: "The WebSocket Subprotocol name selected and returned by the Server MUST be 'mqtt'". */
  @Test
  void aClientOfferingMqttAmongOtherSubprotocolsGetsMqtt() throws Exception {
    broker = Broker.builder().listener(Listener.ws("127.0.0.1", 0)).build().start();
    int port = broker.port();
    assertThat(upgradeHead(port, "Sec-WebSocket-Protocol: mqttv3.1, mqtt\r\n"))
        .startsWith("http/1.1 101").contains("sec-websocket-protocol: mqtt\r\n");
    assertThat(upgradeHead(port, "Sec-WebSocket-Protocol: mqttv3.1\r\nSec-WebSocket-Protocol: mqtt\r\n"))
        .as("in two header lines").contains("sec-websocket-protocol: mqtt\r\n");
    assertThat(upgradeHead(port, "Sec-WebSocket-Protocol: mqtt, mqttv3.1\r\n"))
        .contains("sec-websocket-protocol: mqtt\r\n");
    assertThat(upgradeHead(port, "Sec-WebSocket-Protocol: mqttv3.1\r\n"))
        .as("an MQTT 3.1 client offering only its own name").contains("sec-websocket-protocol: mqttv3.1\r\n");
  }

  /** A WebSocket client on a plain socket: the upgrade to "mqtt", then frames as the test writes them. */
  private final class RawWebSocket {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    RawWebSocket(int port) throws Exception {
      this(port, "");
    }

    /** @param extraHeaders header lines, each ending in CRLF, added to the upgrade request */
    RawWebSocket(int port, String extraHeaders) throws Exception {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(5000);
      cleanups.add(socket);
      in = socket.getInputStream();
      out = socket.getOutputStream();
      out.write(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Protocol: mqtt\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.read());
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 101");
    }

    void send(byte[] bytes) throws Exception {
      out.write(bytes);
      out.flush();
    }

    void sendFrame(byte[] payload) throws Exception {
      send(frameHeader(payload.length));
      send(payload);
    }

    /** The status code of the next frame from the broker, which must be a Close frame; -1 for none. */
    int readCloseStatus() throws Exception {
      byte[] close = readFrame(0x8);
      return close.length < 2 ? -1 : ((close[0] & 0xff) << 8) | (close[1] & 0xff);
    }

    /** The payload of the next frame from the broker, which must be a binary frame (unmasked, under 64 KiB). */
    byte[] readFrame() throws Exception {
      return readFrame(0x2);
    }

    byte[] readFrame(int opcode) throws Exception {
      byte[] h = in.readNBytes(2);
      assertThat(h).hasSize(2);
      assertThat(h[0] & 0x0f).as("opcode").isEqualTo(opcode);
      int length = h[1] & 0x7f;
      if (length == 126) {
        byte[] l = in.readNBytes(2);
        length = (l[0] & 0xff) << 8 | l[1] & 0xff;
      }
      return in.readNBytes(length);
    }
  }

  @Test
  void webSocketListenerAnswersOtherPathsWith404() throws Exception {
    start(Listener.ws("127.0.0.1", 0));
    for (String path : new String[] {"/other", "/other?x=/mqtt", "/mqttx?token=abc"}) {
      var res = HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.port() + path)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
      assertThat(res.statusCode()).as(path).isEqualTo(404);
    }
  }

  /** The query is no part of the path (RFC 3986 3.4): clients pass tokens in it. It was answered 404. */
  @Test
  void aWebSocketUpgradeWithAQueryOnTheListenersPathIsTaken() throws Exception {
    start(Listener.ws("127.0.0.1", 0));
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier("query").serverHost("127.0.0.1")
        .serverPort(broker.port()).webSocketConfig().serverPath("mqtt").queryString("token=abc&x=1")
        .applyWebSocketConfig().buildBlocking();
    c.connect();
    cleanups.add(c::disconnect);
    try (Mqtt3BlockingClient.Mqtt3Publishes got = c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      c.subscribeWith().topicFilter("q/t").send();
      c.publishWith().topic("q/t").payload("over ws".getBytes(StandardCharsets.UTF_8)).send();
      assertThat(got.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(
          p -> assertThat(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("over ws"));
    }
  }

  // ------------------------------------------------------------------ PROXY protocol

  private static final byte[] CONNECT = HexFormat.of().parseHex("100f00044d5154540402003c0003707031");

  private void sendAndAwaitConnAck(byte[] header) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", broker.port()), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(header);
      out.write(CONNECT);
      out.flush();
      InputStream in = s.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
    }
  }

  @Test
  void proxyProtocolV1AddressReachesTheAuthenticator() throws Exception {
    start(Listener.tcp("127.0.0.1", 0).withProxyProtocol(true));
    sendAndAwaitConnAck("PROXY TCP4 203.0.113.7 127.0.0.1 50123 1883\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(requests).singleElement().satisfies(r -> {
      assertThat(r.remoteAddress().getAddress().getHostAddress()).isEqualTo("203.0.113.7");
      assertThat(r.remoteAddress().getPort()).isEqualTo(50123);
    });
  }

  @Test
  void proxyProtocolV2AddressReachesTheAuthenticator() throws Exception {
    start(Listener.tcp("127.0.0.1", 0).withProxyProtocol(true));
    byte[] header = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "21" + "11" + "000c"
        + "c6336407" + "7f000001" + "1f90" + "075b"); // 198.51.100.7:8080 -> 127.0.0.1:1883
    sendAndAwaitConnAck(header);
    assertThat(requests).singleElement().satisfies(r -> {
      assertThat(r.remoteAddress().getAddress().getHostAddress()).isEqualTo("198.51.100.7");
      assertThat(r.remoteAddress().getPort()).isEqualTo(8080);
    });
  }

  @Test
  void connectionWithoutProxyHeaderIsClosed() throws Exception {
    start(Listener.tcp("127.0.0.1", 0).withProxyProtocol(true));
    try (Socket s = new Socket("127.0.0.1", broker.port())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(CONNECT);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(requests).isEmpty();
  }
}
