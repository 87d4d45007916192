package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.TlsConfig;
import io.tern.broker.testsupport.LogCapture;
import io.tern.broker.testsupport.TestCertificates;
import java.nio.file.Path;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A listener's TLS files: the user name a client certificate stands for, reloading. */
class TlsContextTest {
  @TempDir
  Path dir;

  @Test
  void sanIsTheCertificatesFirstSubjectAlternativeName() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    // A SPIFFE workload certificate that also carries a DNS name: it became the DNS name.
    var spiffe = certs.issue("spiffe", "CN=eve", new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://example.org/dev/eve"),
        new GeneralName(GeneralName.dNSName, "eve.example")}));
    assertThat(TlsContext.identity(spiffe.cert(), TlsConfig.Identity.SAN)).isEqualTo("spiffe://example.org/dev/eve");
    var ipFirst = certs.issue("ip", "CN=ip", new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.iPAddress, "10.1.2.3"), new GeneralName(GeneralName.rfc822Name, "ip@example.com")}));
    assertThat(TlsContext.identity(ipFirst.cert(), TlsConfig.Identity.SAN)).isEqualTo("10.1.2.3");
    assertThat(TlsContext.identity(spiffe.cert(), TlsConfig.Identity.CN)).isEqualTo("eve");
  }

  /** An expired certificate loads and every handshake then fails: the operator is told at once. */
  @Test
  void anExpiredOrNotYetValidCertificateIsWarnedAboutWhenLoaded() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    long twoDays = 2 * 86_400_000L;
    var expired = certs.issue("old", "CN=localhost", null, TestCertificates.rsaKeys(), -twoDays);
    var early = certs.issue("early", "CN=localhost", null, TestCertificates.rsaKeys(), twoDays);
    var fine = certs.issue("fine", "CN=localhost", null);
    try (LogCapture log = LogCapture.of(TlsContext.class.getName(), ch.qos.logback.classic.Level.WARN)) {
      new TlsContext("l", TlsConfig.builder(expired.certFile(), expired.keyFile()).build());
      new TlsContext("l", TlsConfig.builder(early.certFile(), early.keyFile()).build());
      new TlsContext("l", TlsConfig.builder(fine.certFile(), fine.keyFile()).build());
      assertThat(log.messages()).hasSize(2);
      assertThat(log.messages().get(0)).contains("old.crt", "expired on");
      assertThat(log.messages().get(1)).contains("early.crt", "not valid before");
    }
  }

  /** A CA file without client_auth: an operator who thinks mutual TLS is on is told it is not. */
  @Test
  void aCaFileWithoutClientCertificatesAskedForIsWarnedAbout() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    var server = certs.issue("srv", "CN=localhost", null);
    try (LogCapture log = LogCapture.of(TlsContext.class.getName(), ch.qos.logback.classic.Level.WARN)) {
      new TlsContext("l", TlsConfig.builder(server.certFile(), server.keyFile()).trustedCertificates(certs.caCert)
          .build());
      assertThat(log.messages()).singleElement().asString().contains("client_auth: none");
      new TlsContext("m", TlsConfig.builder(server.certFile(), server.keyFile()).trustedCertificates(certs.caCert)
          .clientAuth(TlsConfig.ClientAuth.OPTIONAL).build());
      assertThat(log.messages()).hasSize(1);
    }
  }

  @Test
  void aMissingFileIsSaidToBeMissing() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    var server = certs.issue("here", "CN=localhost", null);
    java.nio.file.Path none = dir.resolve("none.crt");
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
            new TlsContext("l", io.tern.broker.TlsConfig.builder(none, server.keyFile()).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("listener l: cannot load TLS files: " + none + ": no such file");
  }

  @Test
  void aCertificateFileThatIsGoneIsWarnedAboutOnceNotAtEveryCheck() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    var server = certs.issue("gone", "CN=localhost", null);
    TlsContext tls = new TlsContext("l", io.tern.broker.TlsConfig.builder(server.certFile(), server.keyFile()).build());
    var before = tls.current();
    java.nio.file.Files.delete(server.certFile());
    try (LogCapture log = LogCapture.of(TlsContext.class.getName(), ch.qos.logback.classic.Level.DEBUG)) {
      for (int i = 0; i < 5; i++) {
        tls.reloadIfChanged();
      }
      assertThat(log.messages()).singleElement().asString().contains("cannot read the TLS files", "gone.crt");
      certs.issue("gone", "CN=localhost", null); // back, with a new key
      tls.reloadIfChanged();
      java.nio.file.Files.delete(server.certFile());
      tls.reloadIfChanged();
      assertThat(log.messages()).hasSize(3).last().asString().contains("cannot read the TLS files");
    }
    assertThat(tls.current()).isNotSameAs(before);
  }
}
