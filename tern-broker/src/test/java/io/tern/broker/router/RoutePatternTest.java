package io.tern.broker.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.auth.Action;
import io.tern.broker.auth.ClientInfo;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The route matcher: literals, parameters, globs, prefix globs. */
class RoutePatternTest {
  private static Map<String, String> bind(String pattern, String topic) {
    RoutePattern p = RoutePattern.compile(pattern);
    int[] bounds = new int[2 * p.parameterCount()];
    if (!p.match(topic, bounds)) {
      return null;
    }
    return new RouteContext(new ClientInfo("c", null, null, "l", null), Action.PUBLISH, topic, 0, null, p, topic,
        bounds, null).params();
  }

  @Test
  void literalsMatchExactlyAndLevelByLevel() {
    RoutePattern p = RoutePattern.compile("a/b/c");
    assertThat(p.matches("a/b/c")).isTrue();
    assertThat(p.matches("a/b")).isFalse();
    assertThat(p.matches("a/b/c/d")).isFalse();
    assertThat(p.matches("a/bb/c")).isFalse();
    assertThat(p.matches("a/b/")).isFalse();
  }

  @Test
  void namedParametersBindOneLevel() {
    assertThat(bind("user/:username/location", "user/alice/location")).containsExactly(Map.entry("username", "alice"));
    assertThat(bind("user/:username/location", "user/alice/bob/location")).isNull();
    assertThat(bind(":a/:b", "x/y")).containsExactly(Map.entry("a", "x"), Map.entry("b", "y"));
    assertThat(bind("user/:name", "user/")).containsExactly(Map.entry("name", ""));
    assertThat(bind("user/:name", "user")).isNull();
  }

  @Test
  void aParameterMayBeWrittenInBracesToo() {
    assertThat(bind("devices/{id}/telemetry", "devices/42/telemetry")).containsExactly(Map.entry("id", "42"));
    assertThat(RoutePattern.compile("devices/{id}/{kind}").parameterNames()).containsExactly("id", "kind");
    assertThat(bind("devices/{id}/telemetry", "devices/{id}/telemetry")).containsExactly(Map.entry("id", "{id}"));
    assertThat(bind("a/x{y}/b", "a/x{y}/b")).as("braces inside a level are text").isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RoutePattern.compile("devices/{}/t"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void trailingGlobTakesTheRestOfTheTopic() {
    assertThat(bind("files/*path", "files/a/b/c")).containsExactly(Map.entry("path", "a/b/c"));
    assertThat(bind("files/*path", "files")).containsExactly(Map.entry("path", ""));
    assertThat(bind("files/*path", "filesx/a")).isNull();
    assertThat(bind("*all", "anything/at/all")).containsExactly(Map.entry("all", "anything/at/all"));
    assertThat(bind("user/:u/*rest", "user/bob/x/y")).containsExactly(Map.entry("u", "bob"), Map.entry("rest", "x/y"));
  }

  @Test
  void prefixGlobMatchesALevelByItsStart() {
    assertThat(bind("$*admin", "$admin/users")).containsExactly(Map.entry("admin", "admin/users"));
    assertThat(bind("$*admin", "$SYS")).containsExactly(Map.entry("admin", "SYS"));
    assertThat(bind("$*admin", "admin")).isNull();
    assertThat(bind("dev/sensor*id", "dev/sensor42")).containsExactly(Map.entry("id", "42"));
    assertThat(bind("dev/sensor*id", "dev/actuator1")).isNull();
  }

  @Test
  void wildcardsAreMatchedAsText() {
    assertThat(bind("user/:u/*rest", "user/+/#")).containsExactly(Map.entry("u", "+"), Map.entry("rest", "#"));
  }

  @Test
  void malformedPatternsAreRejected() {
    assertThatThrownBy(() -> RoutePattern.compile("a/*rest/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RoutePattern.compile("a/:")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RoutePattern.compile("a/+/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RoutePattern.compile("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void scopePrefixesJoinPatterns() {
    assertThat(RoutePattern.join("user/:username/", "location")).isEqualTo("user/:username/location");
    assertThat(RoutePattern.join("admin", "x")).isEqualTo("admin/x");
    assertThat(RoutePattern.join("", "x")).isEqualTo("x");
  }
}
