package io.tern.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.TlsConfig;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.testsupport.TestCertificates;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mosquitto_pub over TLS with {@code --cafile} and {@code --cert}/{@code --key}. Skipped without the
 * mosquitto clients unless {@code -Dtern.requireMosquittoClients=true}.
 */
@Timeout(60)
class MosquittoTlsTest {
  @TempDir Path dir;
  private Broker broker;
  private final List<String> users = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void needsMosquittoClients() {
    boolean present = new File("/usr/bin/mosquitto_pub").canExecute();
    if (Boolean.getBoolean("tern.requireMosquittoClients")) {
      assertThat(present).as("mosquitto_pub is required (apt-get install -y mosquitto-clients)").isTrue();
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(present, "mosquitto-clients not installed");
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  private void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void mosquittoPubWithCaFileAndClientCertificate() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    TestCertificates.Issued client = certs.client("mosq");
    broker = Broker.builder()
        .listener(Listener.tls("127.0.0.1", 0, TlsConfig.builder(certs.serverCert, certs.serverKey)
            .clientAuth(TlsConfig.ClientAuth.OPTIONAL).trustedCertificates(certs.caCert)
            .identityAsUsername(TlsConfig.Identity.CN).build()))
        .authenticator(r -> {
          users.add(String.valueOf(r.username()));
          return CompletableFuture.completedFuture(AuthResult.accept(r.username()));
        })
        .build().start();
    String port = Integer.toString(broker.port());
    run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "--cafile", certs.caCert.toString(),
        "-t", "tls/a", "-m", "no cert");
    run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "--cafile", certs.caCert.toString(),
        "--cert", client.certFile().toString(), "--key", client.keyFile().toString(), "-t", "tls/b", "-m", "cert");
    assertThat(users).containsExactly("null", "mosq");
  }
}
