package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How {@link RetainedJson} shows a retained payload: its text, where a cut falls, what whole payloads may hold. */
class RetainedJsonTest {
  @Test
  void aCharacterCutInTwoAtTheEndIsLeftOutOfTheText() {
    byte[] euro = "a\u20ac".getBytes(StandardCharsets.UTF_8); // 'a', then 3 bytes
    assertThat(RetainedJson.wholeCharacters(euro)).isEqualTo(4);
    assertThat(RetainedJson.wholeCharacters(java.util.Arrays.copyOf(euro, 3))).isEqualTo(1);
    assertThat(RetainedJson.wholeCharacters(java.util.Arrays.copyOf(euro, 2))).isEqualTo(1);
    byte[] emoji = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8); // 4 bytes
    assertThat(RetainedJson.wholeCharacters(java.util.Arrays.copyOf(emoji, 3))).isZero();
    assertThat(RetainedJson.wholeCharacters(emoji)).isEqualTo(4);
    assertThat(RetainedJson.wholeCharacters(new byte[0])).isZero();
  }

  @Test
  void utf8IsCheckedThroughASmallBufferWhateverTheSize() {
    byte[] text = "\u00e9".repeat(100_000).getBytes(StandardCharsets.UTF_8);
    assertThat(RetainedJson.isUtf8(text, text.length)).isTrue();
    text[150_000] = (byte) 0xFF;
    assertThat(RetainedJson.isUtf8(text, text.length)).isFalse();
    assertThat(RetainedJson.isUtf8(text, 150_000)).isTrue();
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80}; // U+D800 encoded: not UTF-8
    assertThat(RetainedJson.isUtf8(surrogate, 3)).isFalse();
    assertThat(RetainedJson.isUtf8(new byte[0], 0)).isTrue();
  }

  @Test
  void wholePayloadsHoldAtMostTheLimitExceptOneAlone() {
    RetainedJson.PayloadBudget budget = new RetainedJson.PayloadBudget(100);
    assertThat(budget.take(500)).as("alone: taken, whatever its size").isTrue();
    assertThat(budget.take(1)).isFalse();
    budget.give(500);
    assertThat(budget.take(60)).isTrue();
    assertThat(budget.take(40)).isTrue();
    assertThat(budget.take(1)).isFalse();
    budget.give(40);
    assertThat(budget.take(30)).isTrue();
  }
}
