package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** {@link LogLimit}: a flood of one kind of line is cut to a few a second at INFO and a count. */
class LogLimitTest {
  @Test
  void atMostTheLimitASecondAndTheRestSaidOnceThereIsRoomAgain() throws Exception {
    LogLimit limit = new LogLimit(10, "things", "thingsCounted");
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
  void linesOverTheLimitGoToDebugAndTheSummaryNamesTheirCount() throws Exception {
    LogLimit limit = new LogLimit(3, "things", "thingsCounted");
    try (io.tern.broker.testsupport.LogCapture log =
        io.tern.broker.testsupport.LogCapture.of("logLimitTest", ch.qos.logback.classic.Level.DEBUG)) {
      org.slf4j.Logger logger = LoggerFactory.getLogger("logLimitTest");
      List<Level> levels = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        levels.add(limit.level(logger));
      }
      assertThat(levels).containsExactly(Level.INFO, Level.INFO, Level.INFO, Level.DEBUG, Level.DEBUG);
      assertThat(log.messages()).isEmpty();
      Thread.sleep(1_100);
      assertThat(limit.level(logger)).isEqualTo(Level.INFO);
      assertThat(log.messages()).containsExactly(
          "2 more lines about things were written at DEBUG only (at most 3 a second at INFO; all are counted in thingsCounted)");
    }
  }

  @Test
  void aHandshakeFailureWithoutAMessageSaysWhatHappenedNotNull() {
    assertThat(Transport.TlsEvents.why(new java.nio.channels.ClosedChannelException()))
        .isEqualTo("the connection closed before the handshake ended");
  }

  @Test
  void bad_packet_lengthIsExplainedAsTheTls13FormOfAnUntrustedCertificate() {
    assertThat(Transport.TlsEvents.why(new javax.net.ssl.SSLHandshakeException(
        "error:10000070:SSL routines:OPENSSL_internal:BAD_PACKET_LENGTH")))
        .contains("BAD_PACKET_LENGTH", "does not trust this server's certificate");
  }
}
