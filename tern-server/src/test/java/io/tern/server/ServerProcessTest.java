package io.tern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tern.broker.store.Durability;
import io.tern.broker.store.MessageStore;
import io.tern.server.config.StorageConfig;
import io.tern.store.rocksdb.RocksDbStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerProcessTest {
  @TempDir
  Path dir;

  /**
   * A start with durability none leaves the store of an earlier run as it is, and a later start
   * with a store serves it again: stale sessions and retained values come back. Said at start.
   */
  @Test
  void durabilityNoneSaysThatAStoreOfAnEarlierRunIsLeftAsItIs() throws Exception {
    Path data = dir.resolve("data");
    StorageConfig none = new StorageConfig(Durability.NONE, data, RocksDbStore.OnCorrupt.FAIL);
    assertThat(ServerProcess.unusedStore(none)).as("no directory").isNull();
    Files.createDirectories(data);
    assertThat(ServerProcess.unusedStore(none)).as("an empty directory").isNull();
    try (MessageStore store = RocksDbStore.open(data, Durability.PROCESS, RocksDbStore.OnCorrupt.FAIL)) {
      assertThat(store).isNotNull();
    }
    assertThat(ServerProcess.unusedStore(none)).contains(data.toString()).contains("is not used")
        .contains("serves its sessions, queued and retained messages again");
  }
}
