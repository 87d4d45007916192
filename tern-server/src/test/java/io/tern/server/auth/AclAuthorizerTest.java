package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.auth.Action;
import io.tern.broker.auth.ClientInfo;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AclAuthorizerTest {
  private static final Path FILE = Path.of("acl");

  private static AclAuthorizer acl(String text) {
    AclFile file = AclFile.parse(FILE, Arrays.asList(text.split("\n", -1)));
    return new AclAuthorizer(() -> file);
  }

  private static ClientInfo user(String name, String clientId) {
    return new ClientInfo(clientId, name, null, "mqtt", name == null ? null : new AuthenticatedUser(name));
  }

  private static ClientInfo anonymous(String clientId) {
    return new ClientInfo(clientId, null, null, "mqtt", null);
  }

  private static boolean may(AclAuthorizer a, ClientInfo c, Action action, String topic) {
    return a.authorize(c, action, topic, 1).allowed();
  }

  private static final String RULES = """
      # for everyone
      topic read status/#
      topic deny status/private

      user alice
      topic readwrite alice/#
      topic write alarms/+
      topic deny alice/secret/#

      user bob
      topic bob/#

      pattern readwrite devices/%c/#
      pattern read inbox/%u
      pattern read mixed/%u-%c
      """;

  /** The example in docs/security.md loads and means what its comments say (it had comments after rules, refused). */
  @Test
  void theExampleInTheSecurityDocsLoadsAndMeansWhatItSays() throws Exception {
    String doc = java.nio.file.Files.readString(Path.of("..", "docs", "security.md"));
    int at = doc.indexOf("```", doc.indexOf("**ACL file**"));
    String example = doc.substring(doc.indexOf('\n', at) + 1, doc.indexOf("```", at + 3));
    AclAuthorizer a = acl(example);
    assertThat(may(a, anonymous("x"), Action.RECEIVE, "status/1")).isTrue();
    assertThat(may(a, user("alice", "a1"), Action.PUBLISH, "alice/1")).isTrue();
    assertThat(may(a, user("alice", "a1"), Action.RECEIVE, "alice/secret/1")).isFalse();
    assertThat(may(a, user("bob", "b1"), Action.PUBLISH, "alice/1")).isFalse();
    assertThat(may(a, user("bob", "dev7"), Action.PUBLISH, "devices/dev7/t")).isTrue();
    assertThat(may(a, user("bob", "dev7"), Action.PUBLISH, "devices/dev8/t")).isFalse();
  }

  @Test
  void topicLinesBeforeAnyUserApplyToEveryoneAnonymousIncluded() {
    AclAuthorizer a = acl(RULES);
    for (ClientInfo c : new ClientInfo[] {anonymous("x"), user("alice", "a1"), user("bob", "b1")}) {
      assertThat(may(a, c, Action.RECEIVE, "status/a/b")).isTrue();
      assertThat(may(a, c, Action.SUBSCRIBE, "status/#")).isTrue();
      assertThat(may(a, c, Action.PUBLISH, "status/a")).as("read only").isFalse();
    }
  }

  @Test
  void userSectionsApplyToThatVerifiedUserOnly() {
    AclAuthorizer a = acl(RULES);
    assertThat(may(a, user("alice", "a1"), Action.PUBLISH, "alice/x")).isTrue();
    assertThat(may(a, user("alice", "a1"), Action.PUBLISH, "alarms/fire")).isTrue();
    assertThat(may(a, user("alice", "a1"), Action.RECEIVE, "alarms/fire")).as("write only").isFalse();
    assertThat(may(a, user("bob", "b1"), Action.PUBLISH, "alice/x")).isFalse();
    assertThat(may(a, user("bob", "b1"), Action.PUBLISH, "bob/x")).as("access left out: readwrite").isTrue();
    assertThat(may(a, user("bob", "b1"), Action.RECEIVE, "bob/x")).isTrue();
    ClientInfo claimsAlice = new ClientInfo("c", "alice", null, "mqtt", null);
    assertThat(may(a, claimsAlice, Action.PUBLISH, "alice/x")).as("an unverified user name is anonymous").isFalse();
  }

  @Test
  void denyWinsWhereverItIsWritten() {
    AclAuthorizer a = acl(RULES);
    ClientInfo alice = user("alice", "a1");
    assertThat(may(a, alice, Action.PUBLISH, "alice/secret/x")).isFalse();
    assertThat(may(a, alice, Action.RECEIVE, "alice/secret")).as("a/# covers a").isFalse();
    assertThat(may(a, alice, Action.SUBSCRIBE, "alice/secret/+")).isFalse();
    assertThat(may(a, alice, Action.RECEIVE, "status/private")).isFalse();
    assertThat(may(acl("topic deny x\ntopic readwrite #"), anonymous("c"), Action.PUBLISH, "x"))
        .as("deny before allow").isFalse();
  }

  @Test
  void aSubscriptionIsAllowedWhenOneReadRuleCoversItsFilter() {
    AclAuthorizer a = acl(RULES);
    ClientInfo alice = user("alice", "a1");
    assertThat(may(a, alice, Action.SUBSCRIBE, "alice/#")).isTrue();
    assertThat(may(a, alice, Action.SUBSCRIBE, "alice/+/temp")).isTrue();
    assertThat(may(a, alice, Action.SUBSCRIBE, "alice")).isTrue();
    assertThat(may(a, alice, Action.SUBSCRIBE, "#")).isFalse();
    assertThat(may(a, alice, Action.SUBSCRIBE, "+/x")).isFalse();
    assertThat(may(a, alice, Action.SUBSCRIBE, "$share/g/alice/#")).as("shared: the filter after the group").isTrue();
    assertThat(may(a, alice, Action.SUBSCRIBE, "$share/g/bob/#")).isFalse();
    AclAuthorizer plus = acl("topic read a/+");
    assertThat(may(plus, anonymous("c"), Action.SUBSCRIBE, "a/+")).isTrue();
    assertThat(may(plus, anonymous("c"), Action.SUBSCRIBE, "a/#")).as("+ does not cover #").isFalse();
    assertThat(may(plus, anonymous("c"), Action.SUBSCRIBE, "a/b/c")).isFalse();
    // Overlapping a deny rule without being inside it: granted, the denied messages filtered on delivery.
    AclAuthorizer overlap = acl("topic read #\ntopic deny secret/#");
    assertThat(may(overlap, anonymous("c"), Action.SUBSCRIBE, "#")).isTrue();
    assertThat(may(overlap, anonymous("c"), Action.RECEIVE, "secret/x")).isFalse();
  }

  @Test
  void patternsSubstituteClientIdAndUserName() {
    AclAuthorizer a = acl(RULES);
    assertThat(may(a, anonymous("dev-7"), Action.PUBLISH, "devices/dev-7/temp")).isTrue();
    assertThat(may(a, anonymous("dev-7"), Action.PUBLISH, "devices/dev-8/temp")).isFalse();
    assertThat(may(a, user("bob", "b1"), Action.RECEIVE, "inbox/bob")).isTrue();
    assertThat(may(a, user("bob", "b1"), Action.RECEIVE, "inbox/alice")).isFalse();
    assertThat(may(a, anonymous("b1"), Action.RECEIVE, "inbox/%u")).as("%u: never for anonymous").isFalse();
    assertThat(may(a, user("bob", "b1"), Action.RECEIVE, "mixed/bob-b1")).isTrue();
  }

  @Test
  void valuesThatCouldWidenAPatternMatchNothing() {
    AclAuthorizer a = acl(RULES);
    assertThat(may(a, anonymous("dev/other"), Action.PUBLISH, "devices/dev/other/x")).isFalse();
    assertThat(may(a, anonymous("#"), Action.PUBLISH, "devices/#")).isFalse();
    assertThat(may(a, anonymous("+"), Action.PUBLISH, "devices/+/x")).isFalse();
    assertThat(may(a, user("%c", "x"), Action.RECEIVE, "inbox/x")).as("substituted once").isFalse();
  }

  @Test
  void wildcardsDoNotReachDollarTopics() {
    AclAuthorizer a = acl("topic readwrite #\ntopic read +/x");
    assertThat(may(a, anonymous("c"), Action.RECEIVE, "$SYS/x")).isFalse();
    assertThat(may(a, anonymous("c"), Action.PUBLISH, "any/thing")).isTrue();
    assertThat(may(acl("topic read $SYS/#"), anonymous("c"), Action.RECEIVE, "$SYS/x")).isTrue();
  }

  @Test
  void nothingIsAllowedByAnEmptyFile() {
    assertThat(may(acl(""), anonymous("c"), Action.PUBLISH, "a")).isFalse();
  }

  @Test
  void syntaxErrorsNameTheLine() {
    assertThatThrownBy(() -> acl("topic read a\n\ntopik read b"))
        .isInstanceOfSatisfying(AuthFileException.class, e -> assertThat(e.line()).isEqualTo(3))
        .hasMessage("acl: line 3: unknown keyword 'topik' (expected topic, pattern or user)");
    assertThatThrownBy(() -> acl("topic reed a/b")).hasMessageContaining("line 1: unknown access 'reed'");
    assertThatThrownBy(() -> acl("# c\ntopic read a/#/b")).hasMessageContaining("line 2: topic 'a/#/b': #");
    assertThatThrownBy(() -> acl("pattern read a+/b")).hasMessageContaining("line 1: topic 'a+/b': +");
    assertThatThrownBy(() -> acl("user")).hasMessageContaining("line 1: user needs a name");
    assertThatThrownBy(() -> acl("topic")).hasMessageContaining("line 1: topic needs a topic");
  }
}
