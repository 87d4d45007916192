package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void encodesAsSelfDescribingPbkdf2Sha512WithSaltAndIterations() {
    String text = PasswordHash.create("s3cret".toCharArray(), 1000).encode();
    assertThat(text).matches("\\$pbkdf2-sha512\\$i=1000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{86}");
    assertThat(PasswordHash.parse(text).encode()).isEqualTo(text);
  }

  @Test
  void anIterationCountSoHighThatEachCheckWouldHoldAThreadForLongIsRefused() {
    String good = PasswordHash.create("x".toCharArray(), 1000).encode();
    String huge = good.replace("i=1000$", "i=2147483647$");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PasswordHash.parse(huge))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above " + PasswordHash.MAX_ITERATIONS)
        .hasMessageNotContaining(good.substring(good.lastIndexOf('$') + 1));
    assertThat(PasswordHash.parse(good.replace("i=1000$", "i=" + PasswordHash.MAX_ITERATIONS + "$")).iterations())
        .isEqualTo(PasswordHash.MAX_ITERATIONS);
  }

  @Test
  void theDefaultIterationCountIsOwasps() {
    assertThat(PasswordHash.DEFAULT_ITERATIONS).isEqualTo(210_000);
  }

  @Test
  void matchesOnlyTheRightPassword() {
    PasswordHash h = PasswordHash.parse(PasswordHash.create("grüße".toCharArray(), 1000).encode());
    assertThat(h.matches(utf8("grüße"))).isTrue();
    assertThat(h.matches(utf8("grüsse"))).isFalse();
    assertThat(h.matches(utf8(""))).isFalse();
    assertThat(h.matches(null)).isFalse();
    assertThat(h.matches(new byte[] {(byte) 0xFF, (byte) 0xFE})).as("not UTF-8").isFalse();
  }

  @Test
  void twoHashesOfOnePasswordDifferBySalt() {
    assertThat(PasswordHash.create("x".toCharArray(), 1000).encode())
        .isNotEqualTo(PasswordHash.create("x".toCharArray(), 1000).encode());
  }

  @Test
  void malformedHashesAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> PasswordHash.parse("$2y$10$abc")).hasMessageContaining("unknown hash format");
    assertThatThrownBy(() -> PasswordHash.parse("$pbkdf2-sha512$i=10$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .hasMessageContaining("below 1000");
    assertThatThrownBy(() -> PasswordHash.parse("$pbkdf2-sha512$i=1000$!!!$???"))
        .hasMessageContaining("base64").hasMessageNotContaining("!!!");
    assertThatThrownBy(() -> PasswordHash.parse("$pbkdf2-sha512$1000$a$b")).hasMessageContaining("malformed");
    assertThatThrownBy(() -> PasswordHash.create("x".toCharArray(), 999)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringHidesTheHash() {
    assertThat(PasswordHash.create("x".toCharArray(), 1000).toString()).isEqualTo("$pbkdf2-sha512$i=1000$...");
  }
}
