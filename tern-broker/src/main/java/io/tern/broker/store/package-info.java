/**
 * The store SPI: what the broker keeps so that a restart or a crash loses nothing acknowledged
 * ({@link io.tern.broker.store.MessageStore}), and an in-memory implementation
 * ({@link io.tern.broker.store.InMemoryStore}). The RocksDB store is in {@code tern-store-rocksdb}.
 */
package io.tern.broker.store;
