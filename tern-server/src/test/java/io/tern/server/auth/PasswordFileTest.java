package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordFileTest {
  @TempDir
  Path dir;

  private static final String HASH = PasswordHash.create("pw".toCharArray(), 1000).encode();

  @Test
  void readsUsersSkippingCommentsAndBlankLines() throws Exception {
    Path f = dir.resolve("passwd");
    Files.writeString(f, "# users\n\nalice:" + HASH + "\n  bob:" + HASH + "  \n");
    PasswordFile p = PasswordFile.load(f);
    assertThat(p.size()).isEqualTo(2);
    assertThat(p.hash("alice").matches("pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(p.hash("carol")).isNull();
  }

  @Test
  void problemsNameTheLine() throws Exception {
    Path f = dir.resolve("passwd");
    Files.writeString(f, "alice:" + HASH + "\n# ok\nbroken line\n");
    assertThatThrownBy(() -> PasswordFile.load(f)).isInstanceOfSatisfying(AuthFileException.class, e -> {
      assertThat(e.line()).isEqualTo(3);
      assertThat(e).hasMessage(f + ": line 3: expected user:hash");
    });
    Files.writeString(f, "alice:" + HASH + "\nbob:plain-text-password\n");
    assertThatThrownBy(() -> PasswordFile.load(f))
        .hasMessageContaining("line 2: user bob: unknown hash format").hasMessageNotContaining("plain-text-password");
    Files.writeString(f, "alice:" + HASH + "\nalice:" + HASH + "\n");
    assertThatThrownBy(() -> PasswordFile.load(f)).hasMessageContaining("line 2: user alice appears twice");
    assertThatThrownBy(() -> PasswordFile.load(dir.resolve("missing"))).hasMessageEndingWith("no such file");
  }

  @Test
  void updateReplacesOneUserAndKeepsTheOtherLines() throws Exception {
    Path f = dir.resolve("passwd");
    Files.writeString(f, "# mine\nalice:" + HASH + "\nbob:" + HASH + "\n");
    PasswordHash newer = PasswordHash.create("new".toCharArray(), 1000);
    assertThat(PasswordFile.update(f, "alice", newer)).isTrue();
    assertThat(Files.readAllLines(f)).containsExactly("# mine", "alice:" + newer.encode(), "bob:" + HASH);
    assertThat(PasswordFile.update(f, "bob", null)).isTrue();
    assertThat(Files.readAllLines(f)).containsExactly("# mine", "alice:" + newer.encode());
    assertThat(PasswordFile.update(f, "bob", null)).isFalse();
    try (var tmp = Files.list(dir)) {
      assertThat(tmp).as("no temporary file left").containsExactly(f);
    }
  }

  @Test
  void aScramCredentialMayFollowTheHash() throws Exception {
    Path f = dir.resolve("passwd");
    io.tern.broker.auth.ScramCredential scram = io.tern.broker.auth.ScramCredential.create("pw".toCharArray(), 4096);
    Files.writeString(f, "alice:" + HASH + ":" + scram.encode() + "\nbob:" + HASH + "\n");
    PasswordFile p = PasswordFile.load(f);
    assertThat(p.scram("alice").encode()).isEqualTo(scram.encode());
    assertThat(p.hash("alice").matches("pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(p.scram("bob")).isNull();
    assertThat(p.scramUsers()).isEqualTo(1);
    assertThat(p.commonScramIterations()).isEqualTo(4096);

    PasswordFile.update(f, "bob", PasswordHash.parse(HASH), scram);
    assertThat(Files.readAllLines(f)).containsExactly("alice:" + HASH + ":" + scram.encode(),
        "bob:" + HASH + ":" + scram.encode());
    Files.writeString(f, "alice:" + HASH + ":SCRAM-SHA-256$100:AAAA$AAAA:AAAA\n");
    assertThatThrownBy(() -> PasswordFile.load(f)).hasMessageContaining("line 1: user alice: SCRAM iterations must be");
  }

  @Test
  void userNamesThatCannotBeWrittenAreRefused() {
    assertThat(PasswordFile.checkUserName("alice")).isNull();
    assertThat(PasswordFile.checkUserName("a:b")).contains("':'");
    assertThat(PasswordFile.checkUserName("")).contains("empty");
    assertThat(PasswordFile.checkUserName("#x")).isNotNull();
    assertThat(PasswordFile.checkUserName("a\nb")).isNotNull();
  }
}
