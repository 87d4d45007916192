package io.tern.broker.testsupport;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time (no openssl, no keytool): a CA, a server certificate for
 * 127.0.0.1/localhost and client certificates, all signed by the CA, written as PEM files
 * (certificates, PKCS#8 keys) into a directory; and SSL socket factories for Java clients.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  public final Path dir;
  public final Path caCert;
  public final Path serverCert;
  public final Path serverKey;
  public final KeyPair caKeys;
  public final X509Certificate ca;

  public TestCertificates(Path dir) throws Exception {
    this.dir = dir;
    caKeys = keys();
    ca = sign("CN=Tern Test CA", caKeys, caKeys, null, true, null);
    caCert = write("ca.crt", ca);
    server = issue("server", "CN=localhost", new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    serverCert = dir.resolve("server.crt");
    serverKey = dir.resolve("server.key");
  }

  private final Issued server;

  /** A certificate and key signed by this CA, as PEM files {@code name.crt}, {@code name.key}. */
  public Issued issue(String name, String subject, GeneralNames sans) throws Exception {
    return issue(name, subject, sans, keys());
  }

  /** As {@link #issue(String, String, GeneralNames)}, for the key pair given (RSA from {@link #rsaKeys()}). */
  public Issued issue(String name, String subject, GeneralNames sans, KeyPair kp) throws Exception {
    return issue(name, subject, sans, kp, 0);
  }

  /** As {@link #issue(String, String, GeneralNames)}, with its validity moved by {@code shiftMillis} (negative: expired). */
  public Issued issue(String name, String subject, GeneralNames sans, KeyPair kp, long shiftMillis) throws Exception {
    X509Certificate cert = sign(subject, kp, caKeys, ca, false, sans, shiftMillis);
    Path crt = write(name + ".crt", cert);
    Path key = dir.resolve(name + ".key");
    writePem(key, kp.getPrivate());
    return new Issued(cert, kp, crt, key);
  }

  /** A client certificate with {@code CN=cn} and an e-mail SAN {@code cn@example.com}. */
  public Issued client(String cn) throws Exception {
    return issue("client-" + cn, "CN=" + cn + ",O=Tern Tests",
        new GeneralNames(new GeneralName(GeneralName.rfc822Name, cn + "@example.com")));
  }

  /** A socket factory trusting this CA, presenting {@code client} (or no certificate if null). */
  public SSLSocketFactory socketFactory(Issued client) throws Exception {
    return sslContext(client).getSocketFactory();
  }

  public SSLContext sslContext(Issued client) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", client.keys.getPrivate(), "pw".toCharArray(), new X509Certificate[] {client.cert, ca});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "pw".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return ctx;
  }

  /** A certificate with its key and files. */
  public record Issued(X509Certificate cert, KeyPair keys, Path certFile, Path keyFile) {}

  /** A self-signed certificate of no CA of this class (a client's own, as `openssl req -x509` makes). */
  public static X509Certificate selfSigned(String subject) throws Exception {
    KeyPair kp = keys();
    return sign(subject, kp, kp, null, false, null);
  }

  /** A 2048-bit RSA key pair. */
  public static KeyPair rsaKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate sign(String subject, KeyPair subjectKeys, KeyPair issuerKeys, X509Certificate issuer,
      boolean isCa, GeneralNames sans) throws Exception {
    return sign(subject, subjectKeys, issuerKeys, issuer, isCa, sans, 0);
  }

  private static X509Certificate sign(String subject, KeyPair subjectKeys, KeyPair issuerKeys, X509Certificate issuer,
      boolean isCa, GeneralNames sans, long shiftMillis) throws Exception {
    long now = System.currentTimeMillis() + shiftMillis;
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        issuer == null ? new X500Principal(subject) : issuer.getSubjectX500Principal(),
        BigInteger.valueOf(SERIAL.incrementAndGet()), new Date(now - 3_600_000L), new Date(now + 86_400_000L),
        new X500Principal(subject), subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (isCa) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    }
    if (sans != null) {
      b.addExtension(Extension.subjectAlternativeName, false, sans);
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private Path write(String name, X509Certificate cert) throws IOException {
    Path p = dir.resolve(name);
    writePem(p, cert);
    return p;
  }

  /** PEM; a private key is written as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
  static void writePem(Path p, Object o) throws IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
      if (o instanceof java.security.PrivateKey k) {
        pem.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null));
      } else {
        pem.writeObject(o);
      }
    }
    Files.writeString(p, w.toString());
  }
}
