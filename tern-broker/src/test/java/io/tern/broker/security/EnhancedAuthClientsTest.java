package io.tern.broker.security;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.AuthStep;
import io.tern.broker.auth.EnhancedAuthenticator;
import io.tern.broker.auth.Permission;
import io.tern.broker.auth.ScramClient;
import io.tern.broker.auth.ScramCredential;
import io.tern.broker.auth.ScramSha256Authenticator;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SCRAM-SHA-256 enhanced authentication (MQTT 5 AUTH) end to end with real clients: the HiveMQ
 * client through its {@link Mqtt5EnhancedAuthMechanism} API (connect and re-authenticate), and
 * Paho v5 through its auth method/data options and AUTH callback. The client side of SCRAM is the
 * test's {@link ScramClient}, written from the RFC.
 */
@Timeout(30)
class EnhancedAuthClientsTest {
  private Broker broker;

  @BeforeEach
  void start() {
    Map<String, ScramCredential> users = Map.of("alice", ScramCredential.create("secret".toCharArray(), 4096));
    broker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0))
        .enhancedAuthenticator(ScramSha256Authenticator.METHOD, new ScramSha256Authenticator(users::get))
        // only alice may use alice/#: proves the exchange's identity reaches the authorizer
        .authorizer((client, action, topic, qos) -> !topic.startsWith("alice/") || "alice".equals(client.username())
            ? Permission.ALLOW : Permission.DENY)
        .build().start();
  }

  @AfterEach
  void stop() {
    broker.stop();
  }

  /** SCRAM-SHA-256 for the HiveMQ client; counts what the server proved. */
  static final class HiveMqScram implements Mqtt5EnhancedAuthMechanism {
    private final String user;
    private final String password;
    private ScramClient scram;
    final AtomicInteger serverProofsAccepted = new AtomicInteger();
    final CopyOnWriteArrayList<String> rejections = new CopyOnWriteArrayList<>();

    HiveMqScram(String user, String password) {
      this.user = user;
      this.password = password;
    }

    @Override
    public MqttUtf8String getMethod() {
      return MqttUtf8String.of(ScramSha256Authenticator.METHOD);
    }

    @Override
    public int getTimeout() {
      return 10;
    }

    @Override
    public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder auth) {
      scram = new ScramClient(user, password);
      auth.data(scram.clientFirst());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder auth) {
      scram = new ScramClient(user, password);
      auth.data(scram.clientFirst());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth, Mqtt5AuthBuilder next) {
      next.data(scram.clientFinal(bytes(auth.getData())));
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
      return proved(connAck.getEnhancedAuth().flatMap(a -> a.getData()));
    }

    @Override
    public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
      return proved(auth.getData());
    }

    private CompletableFuture<Boolean> proved(Optional<ByteBuffer> serverFinal) {
      boolean ok = scram.serverFinalValid(bytes(serverFinal));
      if (ok) {
        serverProofsAccepted.incrementAndGet();
      }
      return CompletableFuture.completedFuture(ok);
    }

    @Override
    public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
      rejections.add(connAck.getReasonCode().toString());
    }

    @Override
    public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {
      rejections.add(disconnect.getReasonCode().toString());
    }

    @Override
    public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {
      rejections.add(cause.toString());
    }

    @Override
    public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {
      rejections.add(cause.toString());
    }

    private static byte[] bytes(Optional<ByteBuffer> data) {
      if (data.isEmpty()) {
        return null;
      }
      ByteBuffer b = data.get().duplicate();
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    }
  }

  private Mqtt5BlockingClient hivemq(String id, HiveMqScram scram) {
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
        .enhancedAuth(scram).buildBlocking();
  }

  @Test
  void hiveMqClientAuthenticatesWithScramAndIsAuthorizedAsTheUser() throws Exception {
    HiveMqScram scram = new HiveMqScram("alice", "secret");
    Mqtt5BlockingClient client = hivemq("hive-alice", scram);
    Mqtt5ConnAck ack = client.connect();
    assertThat(ack.getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
    assertThat(scram.serverProofsAccepted).as("the server-final in CONNACK is valid").hasValue(1);
    try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      client.subscribeWith().topicFilter("alice/#").qos(MqttQos.AT_LEAST_ONCE).send();
      client.publishWith().topic("alice/x").qos(MqttQos.AT_LEAST_ONCE).payload("hi".getBytes(UTF_8)).send();
      assertThat(publishes.receive(5, TimeUnit.SECONDS)).hasValueSatisfying(
          p -> assertThat(new String(p.getPayloadAsBytes(), UTF_8)).isEqualTo("hi"));
    }
    client.disconnect();
  }

  @Test
  void hiveMqClientReauthenticates() {
    HiveMqScram scram = new HiveMqScram("alice", "secret");
    Mqtt5BlockingClient client = hivemq("hive-re", scram);
    client.connect();
    client.toAsync().reauth().orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(scram.serverProofsAccepted).as("CONNACK, then AUTH 0x00 of the re-authentication").hasValue(2);
    assertThat(scram.rejections).isEmpty();
    assertThat(client.getState().isConnected()).isTrue();
    client.disconnect();
  }

  @Test
  void hiveMqClientWithAWrongPasswordIsRefused() {
    HiveMqScram scram = new HiveMqScram("alice", "guess");
    Mqtt5BlockingClient client = hivemq("hive-wrong", scram);
    assertThatThrownBy(client::connect).isInstanceOfSatisfying(Mqtt5ConnAckException.class,
        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
    assertThat(broker.securityStats().authFailures()).isEqualTo(1);
  }

  /**
   * Paho v5 1.2.5 cannot take part in a challenge at CONNECT: it refuses to send an AUTH before
   * CONNACK ("Client is not connected", 32104: eclipse-paho/paho.mqtt.java#981), and it sends AUTH
   * with fixed header flags 0001 (#980), which MQTT-3.15.1-1 makes malformed. It can use a method
   * that decides on the CONNECT's data alone: a token method shows that.
   */
  private static final EnhancedAuthenticator TOKEN = request -> new EnhancedAuthenticator.Exchange() {
    @Override
    public CompletionStage<AuthStep> start(byte[] data) {
      String token = data == null ? "" : new String(data, UTF_8);
      return CompletableFuture.completedFuture(token.startsWith("token-of-")
          ? AuthStep.success(token.substring(9), null, "ok".getBytes(UTF_8)) : AuthStep.fail(AuthResult.NOT_AUTHORIZED));
    }

    @Override
    public CompletionStage<AuthStep> respond(byte[] data) {
      return CompletableFuture.completedFuture(AuthStep.fail(AuthResult.NOT_AUTHORIZED));
    }
  };

  private MqttAsyncClient paho(String id, CopyOnWriteArrayList<Integer> auths, CopyOnWriteArrayList<Integer> disconnects,
      CompletableFuture<String> received) throws MqttException {
    MqttAsyncClient paho = new MqttAsyncClient("tcp://127.0.0.1:" + tokenBroker.port(), id, new MemoryPersistence());
    paho.setCallback(new MqttCallback() {
      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {
        auths.add(reasonCode);
      }

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.complete(topic);
      }

      @Override
      public void disconnected(MqttDisconnectResponse response) {
        disconnects.add(response.getReturnCode());
      }

      @Override
      public void mqttErrorOccurred(MqttException exception) {}

      @Override
      public void deliveryComplete(IMqttToken token) {}

      @Override
      public void connectComplete(boolean reconnect, String serverURI) {}
    });
    return paho;
  }

  private static MqttProperties token(String user) {
    MqttProperties p = new MqttProperties();
    p.setAuthenticationMethod("TOKEN");
    p.setAuthenticationData(("token-of-" + user).getBytes(UTF_8));
    return p;
  }

  private Broker tokenBroker;

  private void startTokenBroker() {
    tokenBroker = Broker.builder()
        .listener(Listener.tcp("127.0.0.1", 0))
        .enhancedAuthenticator("TOKEN", TOKEN)
        .authorizer((client, action, topic, qos) -> !topic.startsWith("carol/") || "carol".equals(client.username())
            ? Permission.ALLOW : Permission.DENY)
        .build().start();
  }

  @Test
  void pahoV5ClientAuthenticatesWithAOneStepMethod() throws Exception {
    startTokenBroker();
    try {
      CompletableFuture<String> received = new CompletableFuture<>();
      MqttAsyncClient paho = paho("paho-token", new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(), received);
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setAuthMethod("TOKEN");
      options.setAuthData("token-of-carol".getBytes(UTF_8));
      IMqttToken connect = paho.connect(options);
      connect.waitForCompletion(10_000);
      assertThat(connect.getResponseProperties().getAuthenticationMethod()).isEqualTo("TOKEN");
      assertThat(new String(connect.getResponseProperties().getAuthenticationData(), UTF_8)).isEqualTo("ok");
      paho.subscribe("carol/#", 1).waitForCompletion(5_000);
      paho.publish("carol/x", "hi".getBytes(UTF_8), 1, false).waitForCompletion(5_000);
      assertThat(received.get(5, TimeUnit.SECONDS)).as("authorized as carol").isEqualTo("carol/x");
      paho.disconnect().waitForCompletion(5_000);
      paho.close();
    } finally {
      tokenBroker.stop();
    }
  }

  @Test
  void pahoV5ClientWithAWrongTokenIsRefused() throws Exception {
    startTokenBroker();
    try {
      MqttAsyncClient paho = paho("paho-bad", new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(),
          new CompletableFuture<>());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setAuthMethod("TOKEN");
      options.setAuthData("forged".getBytes(UTF_8));
      assertThatThrownBy(() -> paho.connect(options).waitForCompletion(10_000))
          .isInstanceOfSatisfying(MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(0x87));
      paho.close(true);
    } finally {
      tokenBroker.stop();
    }
  }

  @Test
  void pahoV5ReauthenticationIsMalformedBecauseOfItsAuthFlags() throws Exception {
    startTokenBroker();
    try {
      CopyOnWriteArrayList<Integer> disconnects = new CopyOnWriteArrayList<>();
      MqttAsyncClient paho = paho("paho-re", new CopyOnWriteArrayList<>(), disconnects, new CompletableFuture<>());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setAuthMethod("TOKEN");
      options.setAuthData("token-of-dave".getBytes(UTF_8));
      paho.connect(options).waitForCompletion(10_000);
      paho.authenticate(0x19, null, token("carol"));
      await().atMost(Duration.ofSeconds(5)).until(() -> !disconnects.isEmpty());
      assertThat(disconnects).as("MQTT-3.15.1-1: its AUTH starts with 0xF1").containsExactly(0x81);
      paho.close(true);
    } finally {
      tokenBroker.stop();
    }
  }
}
