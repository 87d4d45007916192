package io.tern.server.config;

import io.tern.broker.store.Durability;
import io.tern.store.rocksdb.RocksDbStore.OnCorrupt;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where and how durably the server keeps persistent sessions, their messages and retained
 * messages, under {@code storage:}.
 *
 * @param durability what a crash may lose: {@code none} (everything: memory only), {@code process}
 *     (the default: nothing acknowledged is lost when the process is killed, as long as the
 *     machine keeps running) or {@code fsync} (nothing acknowledged is lost, even on power loss)
 * @param dataDir the RocksDB data directory (not used with {@code none})
 * @param onCorruptStore {@code fail} (the default) stops the server when the data directory cannot
 *     be read; {@code quarantine} moves it aside and starts empty
 */
public record StorageConfig(Durability durability, Path dataDir, OnCorrupt onCorruptStore) {
  public static final Path DEFAULT_DATA_DIR = Path.of("data");

  public StorageConfig {
    Objects.requireNonNull(durability, "durability");
    dataDir = Objects.requireNonNull(dataDir, "dataDir").normalize(); // ./data and data are one setting
    Objects.requireNonNull(onCorruptStore, "onCorruptStore");
  }

  public static StorageConfig defaults() {
    return new StorageConfig(Durability.PROCESS, DEFAULT_DATA_DIR, OnCorrupt.FAIL);
  }
}
