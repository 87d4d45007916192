package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.TlsConfig;
import io.tern.broker.testsupport.TestCertificates;
import io.tern.server.config.AdminConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin server over HTTPS with PEM files, as the MQTT listeners take them. */
class AdminTlsTest {
  @Test
  void theApiAnswersOverHttpsAndPlainHttpIsNotServed(@TempDir Path dir) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    HttpClient trusting = HttpClient.newBuilder().sslContext(certs.sslContext(null)).build();
    try (AdminFixture f = new AdminFixture(b -> {},
        c -> new AdminConfig(c.enabled(), c.bind(), 0, TlsConfig.builder(certs.serverCert, certs.serverKey).build(),
            c.users(), c.passwordFile(), c.apiKeys()), trusting)) {
      assertThat(f.base()).startsWith("https://");
      HttpResponse<String> r = f.get("/api/v1/stats");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(AdminFixture.json(r).get("version").asText()).isNotEmpty();
      HttpClient plain = HttpClient.newHttpClient();
      int status;
      try {
        status = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.admin.port() + "/health"))
            .build(), HttpResponse.BodyHandlers.ofString()).statusCode();
      } catch (java.io.IOException e) {
        status = -1; // the connection is closed on a plain-text request
      }
      assertThat(status).isIn(-1, 400);
    }
  }

  /** The files are read and checked as a listener's: the same message for a key that is not the certificate's. */
  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedAsForAListener(@TempDir Path dir) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    TestCertificates.Issued other = certs.client("someone-else");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AdminFixture(b -> {},
            c -> new AdminConfig(c.enabled(), c.bind(), 0, TlsConfig.builder(certs.serverCert, other.keyFile()).build(),
                c.users(), c.passwordFile(), c.apiKeys()), HttpClient.newHttpClient()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("admin.tls: cannot load TLS files: the private key " + other.keyFile())
        .hasMessageContaining("is not the key of the certificate");
  }
}
