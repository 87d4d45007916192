package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void pahoPublishesToPahoAtEveryQos() throws Exception {
    try (Broker broker = Broker.builder().listener(Listener.tcp("127.0.0.1", 0)).build().start()) {
      String uri = "tcp://127.0.0.1:" + broker.port();
      MqttClient sub = new MqttClient(uri, "sub", new MemoryPersistence());
      MqttClient pub = new MqttClient(uri, "pub", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      sub.connect(o);
      pub.connect(o);
      BlockingQueue<MqttMessage> got = new ArrayBlockingQueue<>(10);
      sub.subscribe("a/+", 2, (t, m) -> got.add(m));
      for (int qos = 0; qos <= 2; qos++) {
        pub.publish("a/b", ("m" + qos).getBytes(), qos, false);
        MqttMessage m = got.poll(5, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        assertThat(new String(m.getPayload())).isEqualTo("m" + qos);
        assertThat(m.getQos()).isEqualTo(qos);
      }
      pub.disconnect();
      sub.disconnect();
      pub.close();
      sub.close();
    }
  }
}
