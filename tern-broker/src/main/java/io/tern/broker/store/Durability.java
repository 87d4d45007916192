package io.tern.broker.store;

/**
 * What a crash may lose: the promise a {@link MessageStore} makes about a batch once {@link
 * MessageStore#write} has returned and {@link MessageStore#afterSync} has called back.
 */
public enum Durability {
  /** Nothing is written: every session, queued message and retained message is lost on restart. */
  NONE,
  /**
   * Survives a killed process (SIGKILL, a JVM crash), not the loss of the machine: a batch is in
   * the operating system once {@link MessageStore#write} returns.
   */
  PROCESS,
  /**
   * Survives power loss: {@link MessageStore#afterSync} calls back once the batch is on disk. Many
   * batches, from many connections, share one sync (group commit).
   */
  FSYNC
}
