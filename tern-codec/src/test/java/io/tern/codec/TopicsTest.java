package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Topic name and filter rules (section 4.7, 4.8.2) and the reference matcher. */
class TopicsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "a/b/c", "/", "//", "/a", "a/", " ", "a b/ /c", "$SYS/broker", "$share/g/a",
      "ü/€/\uD83D\uDE00", "sport/tennis/player1"})
  void validTopicNames(String name) {
    assertThat(Topics.isValidName(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "+", "#", "a/+", "a/#", "a+b", "a#", "+/a", "#/"})
  void invalidTopicNames(String name) {
    assertThat(Topics.isValidName(name)).isFalse();
  }

  @Test
  void wellFormedStringsFollowTheUtf8EncodedStringRules() {
    assertThat(Topics.isWellFormedString("a/ü/€/\uD83D\uDE00")).isTrue(); // a surrogate pair is one character
    assertThat(Topics.isWellFormedString("")).isTrue();
    assertThat(Topics.isWellFormedString("a\u0000b")).isFalse(); // MQTT-1.5.4-2
    assertThat(Topics.isWellFormedString("a\uD83D")).isFalse(); // a lone high surrogate at the end
    assertThat(Topics.isWellFormedString("\uD83Da")).isFalse();
    assertThat(Topics.isWellFormedString("a\uDE00b")).isFalse(); // a lone low surrogate
    assertThat(Topics.isWellFormedString("\uDE00\uD83D")).isFalse(); // a pair the wrong way round
    assertThat(Topics.isWellFormedString("x".repeat(65_535))).isTrue();
    assertThat(Topics.isWellFormedString("x".repeat(65_536))).isFalse();
    assertThat(Topics.isWellFormedString("€".repeat(21_845))).isTrue(); // 3 bytes each: 65,535
    assertThat(Topics.isWellFormedString("€".repeat(21_846))).isFalse();
    assertThat(Topics.isWellFormedString("\uD83D\uDE00".repeat(16_384))).isFalse(); // 4 bytes each: 65,536
    assertThat(Topics.isWellFormedString("\uD83D\uDE00".repeat(16_383) + "xxx")).isTrue();
  }

  @Test
  void sendableNamesAreValidNamesThatAreWellFormedStrings() {
    assertThat(Topics.isSendableName("a/b")).isTrue();
    assertThat(Topics.isSendableName("a/+")).isFalse();
    assertThat(Topics.isSendableName("a/\u0000")).isFalse();
    assertThat(Topics.isSendableName("a/\uD83D")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"#", "+", "/", "//", "a", "a/#", "a/+", "+/+", "/+", "+/", "a/+/c", "+/#", "/#", "a//#",
      "+/+/+", "$SYS/#", "$share/g/#", "$share/g/a/+", "$share/group-1/a/b", "$share/g//", "$share", "$shared/a",
      "$sharex/+", "ü/+"})
  void validTopicFilters(String filter) {
    assertThat(Topics.isValidFilter(filter)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/#/b", "a+", "#/a", "+a", "a/b#", "a/+b/c", "##", "++", "a/#/", "#/",
      "$share/", "$share//a", "$share/g", "$share/g/", "$share/g+/x", "$share/#/x", "$share/+/x", "$share/g/a#"})
  void invalidTopicFilters(String filter) {
    assertThat(Topics.isValidFilter(filter)).isFalse();
  }

  @Test
  void sharedAndWildcardFiltersAreRecognised() {
    assertThat(Topics.isShared("$share/g/a")).isTrue();
    assertThat(Topics.isShared("$share")).isFalse();
    assertThat(Topics.isShared("a/$share/g")).isFalse();
    assertThat(Topics.hasWildcard("a/+/b")).isTrue();
    assertThat(Topics.hasWildcard("#")).isTrue();
    assertThat(Topics.hasWildcard("a/b")).isFalse();
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      // exact
      "a/b      | a/b     | true",
      "a/b      | a/b/    | false",
      "a/b/     | a/b/    | true",
      "a//b     | a//b    | true",
      "A        | a       | false",
      "/        | /       | true",
      "/a       | a       | false",
      // + is exactly one level, and may match an empty level
      "a/+      | a/b     | true",
      "a/+      | a/b/c   | false",
      "a/+      | a       | false",
      "a/+      | a/      | true",
      "a/+/b    | a//b    | true",
      "+/+      | /       | true",
      "+        | /       | false",
      "/+       | /       | true",
      "+        | a       | true",
      "+/b      | /b      | true",
      // # is any number of levels, including the parent: sport/# matches sport
      "a/#      | a       | true",
      "a/#      | a/      | true",
      "a/#      | a/b/c   | true",
      "a/#      | ab      | false",
      "a/#      | b/a     | false",
      "#        | a/b/c   | true",
      "#        | /       | true",
      "/#       | /a      | true",
      "/#       | a       | false",
      "+/#      | a       | true",
      "+/#      | a/b/c   | true",
      "a/b/#    | a       | false",
      // a filter starting with a wildcard does not match a topic starting with $ (MQTT-4.7.2-1)
      "#        | $SYS/x  | false",
      "+/x      | $SYS/x  | false",
      "+        | $       | false",
      "+/#      | $SYS    | false",
      "$SYS/#   | $SYS/x  | true",
      "$SYS/+   | $SYS/x  | true",
      "$SYS/#   | $SYS    | true",
      "a/#      | a/$b    | true",
      "a/+      | a/$b    | true",
      "+/$x     | a/$x    | true",
  })
  void matching(String filter, String topic, boolean expected) {
    assertThat(Topics.matches(filter, topic)).isEqualTo(expected);
  }

  @Test
  void levelsAreTheSeparatorsAndOne() {
    assertThat(Topics.levels("")).isEqualTo(1);
    assertThat(Topics.levels("a")).isEqualTo(1);
    assertThat(Topics.levels("a/b")).isEqualTo(2);
    assertThat(Topics.levels("/")).isEqualTo(2);
    assertThat(Topics.levels("a//b/#")).isEqualTo(4);
  }
}
