package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.OpenSslCertificateException;
import io.tern.broker.testsupport.TestCertificates;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;

/**
 * {@link TlsContext.UnknownCaAlert}: with OpenSSL, a client certificate no trusted CA issued is
 * refused with a verification code OpenSSL answers with the alert "unknown CA", not "internal
 * error". (Checked by hand too: `openssl s_client -cert rogue.pem -tls1_2` said "alert internal
 * error" (80) before, "alert unknown ca" (48) after.)
 */
class UnknownCaAlertTest {
  @Test
  void aCertificateOfAnotherCaGetsTheUnknownCaCodeAndOurOwnPasses() throws Exception {
    TestCertificates ours = new TestCertificates(Files.createTempDirectory("ours"));
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", ours.ca);
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    TlsContext.UnknownCaAlert trust = new TlsContext.UnknownCaAlert((X509ExtendedTrustManager) f.getTrustManagers()[0]);

    X509Certificate[] rogue = {TestCertificates.selfSigned("CN=rogue,O=Elsewhere")};
    assertThatThrownBy(() -> trust.checkClientTrusted(rogue, "EC")).isInstanceOfSatisfying(
        OpenSslCertificateException.class, e -> assertThat(e.errorCode())
            .isEqualTo(TlsContext.UnknownCaAlert.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY))
        .hasMessageContaining("PKIX path building failed");
    trust.checkClientTrusted(new X509Certificate[] {ours.client("alice").cert(), ours.ca}, "EC");
    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[0], "EC"))
        .as("other failures keep their own exception").isInstanceOf(IllegalArgumentException.class);
  }
}
