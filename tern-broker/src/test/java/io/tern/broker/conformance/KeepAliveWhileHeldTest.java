package io.tern.broker.conformance;

import static io.tern.broker.conformance.Packets.v5;
import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.codec.MqttProperties;
import io.tern.codec.PingReq;
import io.tern.codec.PubAck;
import io.tern.codec.Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The keep alive (MQTT-3.1.2-24: 1.5 times it without a packet) counts the client's silence, not
 * the broker's: while an asynchronous publish hook holds the connection's reads, what the client
 * sends waits in the socket, and it is not closed for it.
 */
class KeepAliveWhileHeldTest extends Mqtt5TestBase {
  @Test
  void aClientPingingOnTimeIsNotClosedWhileAnAsyncHookHoldsItsReads() throws Exception {
    broker().addHook((PublishHook) (client, m) -> PublishDecision.async(CompletableFuture.supplyAsync(
        () -> PublishDecision.CONTINUE, CompletableFuture.delayedExecutor(4, TimeUnit.SECONDS))));
    RawClient sub = connect5("sub");
    subscribe5(sub, sub("slow", 0));
    RawClient pub = connect5(v5("pub").keepAlive(1), false);
    pub.send(new Publish("slow", 1, false, false, 1, "late".getBytes(StandardCharsets.UTF_8), MqttProperties.EMPTY));
    for (int i = 0; i < 7; i++) { // a PINGREQ every 0.6 s for 4.2 s, through the hook's 4 s
      Thread.sleep(600);
      pub.send(PingReq.INSTANCE);
    }
    assertThat(pub.expect(PubAck.class, Duration.ofSeconds(5)).packetId()).isEqualTo(1);
    assertThat(Packets.text(sub.expect(Publish.class, Duration.ofSeconds(5)))).isEqualTo("late");
  }
}
