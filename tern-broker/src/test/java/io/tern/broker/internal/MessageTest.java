package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.codec.MqttProperties;
import io.tern.codec.Publish;
import org.junit.jupiter.api.Test;

/**
 * A message keeps the PUBLISH as received, its sender's packet id and DUP flag included; what leaves
 * the engine (the hooks' view, the store's record) has neither.
 */
class MessageTest {
  private static final byte[] PAYLOAD = {1, 2, 3};

  @Test
  void whatLeavesTheEngineHasPacketIdZeroAndDupOff() {
    Publish received = new Publish("a/b", 2, true, true, 4242, PAYLOAD, MqttProperties.EMPTY);
    Message m = new Message(received, "client", System.nanoTime());
    assertThat(m.publish()).isSameAs(received); // no copy per message

    Publish asMessage = m.asMessage();
    assertThat(asMessage.packetId()).isZero();
    assertThat(asMessage.dup()).isFalse();
    assertThat(asMessage.topic()).isEqualTo("a/b");
    assertThat(asMessage.qos()).isEqualTo(2);
    assertThat(asMessage.retain()).isTrue();
    assertThat(asMessage.payload()).isSameAs(PAYLOAD);

    assertThat(m.view().toPublish().packetId()).isZero();
    assertThat(m.view().toPublish().dup()).isFalse();
    Publish stored = Persistence.stored(m).publish();
    assertThat(stored.packetId()).isZero();
    assertThat(stored.dup()).isFalse();
  }

  @Test
  void aPublishThatIsAlreadyAMessageIsNotCopied() {
    Publish p = new Publish("a/b", 0, false, false, 0, PAYLOAD, MqttProperties.EMPTY);
    Message m = new Message(p, null, System.nanoTime());
    assertThat(m.asMessage()).isSameAs(p);
    assertThat(m.view().toPublish()).isSameAs(p);
    // A QoS 0 PUBLISH never carries a packet id; a QoS 1 one without DUP still needs its id dropped.
    Publish q1 = new Publish("a/b", 1, false, false, 7, PAYLOAD, MqttProperties.EMPTY);
    assertThat(new Message(q1, null, 0).asMessage()).isNotSameAs(q1).extracting(Publish::packetId).isEqualTo(0);
  }
}
