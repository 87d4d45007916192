package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.server.auth.PasswordFile;
import io.tern.server.auth.PasswordHash;
import io.tern.server.config.AdminConfig;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Administrators from a password file (tern passwd's format), read again on reload (SIGHUP). */
class AdminPasswordFileTest {
  @Test
  void usersOfThePasswordFileLogInAndAReloadTakesEffectAtOnce(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("admin.passwd");
    PasswordFile.update(file, "alice", PasswordHash.create("one".toCharArray(), PasswordHash.MIN_ITERATIONS));
    try (AdminFixture f = new AdminFixture(b -> {},
        c -> new AdminConfig(null, c.bind(), 0, null, List.of(), file, List.of()), HttpClient.newHttpClient())) {
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("alice", "one")).statusCode()).isEqualTo(200);
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("bob", "two")).statusCode()).isEqualTo(401);

      PasswordFile.update(file, "alice", null); // removed
      PasswordFile.update(file, "bob", PasswordHash.create("two".toCharArray(), PasswordHash.MIN_ITERATIONS));
      f.admin.reload();
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("alice", "one")).statusCode()).isEqualTo(401);
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("bob", "two")).statusCode()).isEqualTo(200);

      Files.writeString(file, "not a password file\n");
      f.admin.reload(); // a broken file keeps the previous users
      assertThat(f.send("GET", "/api/v1/stats", null, AdminFixture.basic("bob", "two")).statusCode()).isEqualTo(200);
    }
  }
}
