package io.tern.server.auth;

import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM-SHA-256 (RFC 5802/7677) as a HiveMQ client enhanced auth mechanism,
 * from the RFC with the JDK's primitives. {@link #serverVerified} says whether the server-final
 * proved the server knows the credential.
 */
final class ScramLogin implements Mqtt5EnhancedAuthMechanism {
  private final String user;
  private final String password;
  private final String nonce = Base64.getEncoder().encodeToString(java.util.UUID.randomUUID().toString().getBytes());
  private String clientFirstBare;
  private String authMessage;
  private byte[] salted;
  volatile boolean serverVerified;

  ScramLogin(String user, String password) {
    this.user = user;
    this.password = password;
  }

  @Override
  public MqttUtf8String getMethod() {
    return MqttUtf8String.of("SCRAM-SHA-256");
  }

  @Override
  public int getTimeout() {
    return 10;
  }

  @Override
  public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder b) {
    clientFirstBare = "n=" + user + ",r=" + nonce;
    b.data(("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder b) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException());
  }

  @Override
  public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth, Mqtt5AuthBuilder b) {
    String serverFirst = StandardCharsets.UTF_8.decode(auth.getData().orElseThrow().duplicate()).toString();
    String r = null;
    String s = null;
    int i = 0;
    for (String a : serverFirst.split(",")) {
      if (a.startsWith("r=")) {
        r = a.substring(2);
      } else if (a.startsWith("s=")) {
        s = a.substring(2);
      } else if (a.startsWith("i=")) {
        i = Integer.parseInt(a.substring(2));
      }
    }
    String withoutProof = "c=biws,r=" + r;
    authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    try {
      salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(password.toCharArray(), Base64.getDecoder().decode(s), i, 256)).getEncoded();
      byte[] clientKey = hmac(salted, "Client Key");
      byte[] signature = hmac(MessageDigest.getInstance("SHA-256").digest(clientKey), authMessage);
      for (int k = 0; k < clientKey.length; k++) {
        clientKey[k] ^= signature[k];
      }
      b.data((withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey)).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
    Optional<ByteBuffer> data = connAck.getEnhancedAuth().flatMap(a -> a.getData());
    String expected = "v=" + Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
    serverVerified = data.isPresent() && expected.equals(StandardCharsets.UTF_8.decode(data.get().duplicate()).toString());
    return CompletableFuture.completedFuture(serverVerified);
  }

  @Override
  public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
    return CompletableFuture.completedFuture(false);
  }

  @Override
  public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {}

  @Override
  public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {}

  @Override
  public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {}

  @Override
  public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {}

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
