package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Transport.LogLimit}: a flood of one kind of line is cut to a few a second and a count. */
class LogLimitTest {
  @Test
  void atMostTheLimitASecondAndTheRestSaidOnceThereIsRoomAgain() throws Exception {
    Transport.LogLimit limit = new Transport.LogLimit(10);
    List<Long> said = new ArrayList<>();
    int allowed = 0;
    for (int i = 0; i < 1000; i++) {
      allowed += limit.allow(said::add) ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(10);
    assertThat(said).isEmpty();
    Thread.sleep(1_100);
    assertThat(limit.allow(said::add)).isTrue();
    assertThat(said).containsExactly(990L);
  }

  @Test
  void aHandshakeFailureWithoutAMessageSaysWhatHappenedNotNull() {
    assertThat(Transport.TlsEvents.why(new java.nio.channels.ClosedChannelException()))
        .isEqualTo("the connection closed before the handshake ended");
  }
}
