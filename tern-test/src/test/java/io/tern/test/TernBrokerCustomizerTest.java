package io.tern.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.Broker;
import io.tern.broker.auth.AuthResult;
import java.util.concurrent.CompletableFuture;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** A customizer changes the broker; a method's own annotation gives it its own broker. */
@TernBroker(customizer = TernBrokerCustomizerTest.OnlyAlice.class)
class TernBrokerCustomizerTest {
  static class OnlyAlice implements BrokerCustomizer {
    @Override
    public void customize(Broker.Builder b) {
      b.authenticator(req -> CompletableFuture.completedFuture(
          "alice".equals(req.username()) ? AuthResult.accept("alice") : AuthResult.notAuthorized()));
    }
  }

  private static MqttClient connect(TernTestBroker broker, String user) throws MqttException {
    MqttClient paho = new MqttClient(broker.uri(), user + "-client", new MemoryPersistence());
    paho.setTimeToWait(10_000);
    MqttConnectOptions o = new MqttConnectOptions();
    o.setConnectionTimeout(10);
    o.setUserName(user);
    o.setPassword("pw".toCharArray());
    paho.connect(o);
    return paho;
  }

  @Test
  void theCustomizerAppliesToTheBroker(TernTestBroker broker) throws Exception {
    MqttClient alice = connect(broker, "alice");
    assertThat(alice.isConnected()).isTrue();
    alice.disconnect();
    alice.close();
    assertThatThrownBy(() -> connect(broker, "bob")).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED));
  }

  @Test
  @TernBroker
  void aMethodAnnotationGivesTheMethodABrokerOfItsOwn(TernTestBroker broker) throws Exception {
    MqttClient bob = connect(broker, "bob");
    assertThat(bob.isConnected()).as("no customizer on this one: everyone may connect").isTrue();
    bob.disconnect();
    bob.close();
  }
}
