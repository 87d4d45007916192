package io.tern.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReasonTextTest {
  @Test
  void shortReasonsAreKeptWhole() {
    String s = "x".repeat(MqttConnection.MAX_REASON_CHARS);
    assertThat(MqttConnection.reasonText(s)).isSameAs(s);
  }

  @Test
  void longReasonsAreCutWithAnEllipsis() {
    String cut = MqttConnection.reasonText("y".repeat(100_000));
    assertThat(cut).hasSize(MqttConnection.MAX_REASON_CHARS).endsWith("...").startsWith("yyy");
  }

  @Test
  void aCutNeverSplitsASurrogatePair() {
    // U+1F600 as a pair, placed so that the cut would fall between its two halves.
    String s = "a".repeat(MqttConnection.MAX_REASON_CHARS - 4) + "\uD83D\uDE00" + "b".repeat(50);
    String cut = MqttConnection.reasonText(s);
    assertThat(cut).endsWith("a...");
    assertThat(cut.chars().noneMatch(c -> Character.isSurrogate((char) c))).isTrue();
  }
}
