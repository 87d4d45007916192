package io.tern.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.testsupport.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The jar takes the private keys OpenSSL and the tutorials built on it write, not only PKCS#8:
 * PKCS#1 RSA ({@code openssl genrsa -traditional}), SEC1 EC ({@code openssl ecparam -genkey}) and
 * both encrypted with a password ({@code openssl rsa -aes256}), written here by {@code openssl}. The jar's own class path is what
 * counts here (the tests' has Bouncy Castle anyway): it refused all four ("Neither RSA, DSA nor EC
 * worked") while the same keys passed in-process tests.
 */
class TlsKeyFormatsJarIT {

  @ParameterizedTest(name = "{0} key, password {1}")
  @CsvSource({"RSA, ''", "EC, ''", "RSA, s3cret", "EC, s3cret"})
  void aTraditionalPemKeyServesTls(String kind, String password, @TempDir Path dir) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    TestCertificates.Issued server = kind.equals("RSA")
        ? certs.issue("srv", "CN=localhost", sans(), TestCertificates.rsaKeys())
        : certs.issue("srv", "CN=localhost", sans());
    String pw = password.isEmpty() ? null : password;
    traditional(kind, server.keyFile(), pw);
    String pem = Files.readString(server.keyFile(), StandardCharsets.US_ASCII);
    assertThat(pem).contains("-----BEGIN " + kind + " PRIVATE KEY-----");
    assertThat(pem.contains("Proc-Type: 4,ENCRYPTED")).isEqualTo(pw != null);

    int port = TernProcess.freePort();
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, """
        listeners:
          - {type: mqtts, bind: 127.0.0.1, port: %d, tls: {cert: %s, key: %s%s}}
        storage: {durability: none}
        """.formatted(port, server.certFile(), server.keyFile(), pw == null ? "" : ", key_password: " + pw));
    try (TernProcess tern = TernProcess.start("--config", config.toString()).awaitStarted()) {
      MqttClient client = new MqttClient("ssl://localhost:" + port, "tls-" + kind, new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setSocketFactory(certs.socketFactory(null));
      o.setConnectionTimeout(10);
      BlockingQueue<String> got = new ArrayBlockingQueue<>(1);
      client.connect(o);
      try {
        client.subscribe("k/t", 1, (topic, m) -> got.add(new String(m.getPayload(), StandardCharsets.UTF_8)));
        client.publish("k/t", "over tls".getBytes(StandardCharsets.UTF_8), 1, false);
        assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("over tls");
        client.disconnect();
      } finally {
        client.close();
      }
      assertThat(tern.terminate()).isZero();
    }
  }

  @ParameterizedTest(name = "password {0}")
  @CsvSource({"wrong", "''"})
  void anEncryptedKeyWithoutItsPasswordExitsTwoSayingSo(String password, @TempDir Path dir) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    TestCertificates.Issued server = certs.issue("srv", "CN=localhost", sans(), TestCertificates.rsaKeys());
    traditional("RSA", server.keyFile(), "right");
    Path config = dir.resolve("tern.yaml");
    Files.writeString(config, """
        listeners:
          - {type: mqtts, bind: 127.0.0.1, port: %d, tls: {cert: %s, key: %s%s}}
        storage: {durability: none}
        """.formatted(TernProcess.freePort(), server.certFile(), server.keyFile(),
        password.isEmpty() ? "" : ", key_password: " + password));
    try (TernProcess tern = TernProcess.start("--config", config.toString())) {
      int exit = tern.awaitExit(Duration.ofSeconds(20));
      assertThat(tern.output()).contains("cannot read the private key " + server.keyFile() + ": "
          + (password.isEmpty() ? "the key is encrypted: set key_password" : "wrong key_password, or a damaged key"))
          .doesNotContain("right");
      assertThat(exit).as("invalid configuration").isEqualTo(2);
    }
  }

  /**
   * Rewrites the PKCS#8 key in {@code key} as OpenSSL's traditional PEM, with OpenSSL itself:
   * PKCS#1 for RSA, SEC1 for EC (the unencrypted one after the {@code EC PARAMETERS} block that
   * {@code openssl ecparam -genkey} writes), encrypted with AES-256-CBC when {@code password} is set.
   */
  private static void traditional(String kind, Path key, String password) throws Exception {
    Path out = key.resolveSibling(key.getFileName() + ".traditional");
    List<String> command = new ArrayList<>(List.of("openssl", kind.equals("RSA") ? "rsa" : "ec", "-in", key.toString(),
        "-out", out.toString()));
    if (kind.equals("RSA")) {
      command.add("-traditional");
    }
    if (password != null) {
      command.addAll(List.of("-aes256", "-passout", "pass:" + password));
    }
    run(command);
    String pem = Files.readString(out, StandardCharsets.US_ASCII);
    if (kind.equals("EC") && password == null) {
      pem = run(List.of("openssl", "ecparam", "-name", "prime256v1")) + pem;
    }
    Files.writeString(key, pem, StandardCharsets.US_ASCII);
  }

  private static String run(List<String> command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new AssertionError("openssl is needed for this test (.ci/run installs it): " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
    return out;
  }

  private static GeneralNames sans() {
    return new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")});
  }
}
