package io.tern.broker.store;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Everything a store holds, read once at start-up.
 *
 * @param sessions the persistent sessions; a store may read each from its files only when an
 *     iteration reaches it (the RocksDB store does: the broker makes its sessions one at a time,
 *     and what the store read and what the broker made of it are not all held at once). Held as
 *     given (an unmodifiable view, not a copy), as are the maps.
 * @param messages stored messages by id, each referenced by a queue entry or a retained topic
 * @param retained retained message ids by topic
 * @param wills delayed wills by client id
 * @param aliveAtMillis the last time the broker was known to run ({@link StoreBatch#putAliveAt}),
 *     milliseconds since the epoch; 0 when unknown
 */
public record StoredState(
    List<StoredSession> sessions, Map<Long, StoredMessage> messages, Map<String, Long> retained,
    Map<String, StoredWill> wills, long aliveAtMillis) {
  public StoredState {
    sessions = Collections.unmodifiableList(sessions);
    messages = Collections.unmodifiableMap(messages);
    retained = Collections.unmodifiableMap(retained);
    wills = Collections.unmodifiableMap(wills);
  }

  /** A state without the time the broker was last known to run (a store that does not keep it). */
  public StoredState(List<StoredSession> sessions, Map<Long, StoredMessage> messages, Map<String, Long> retained,
      Map<String, StoredWill> wills) {
    this(sessions, messages, retained, wills, 0);
  }

  public static StoredState empty() {
    return new StoredState(List.of(), Map.of(), Map.of(), Map.of(), 0);
  }
}
