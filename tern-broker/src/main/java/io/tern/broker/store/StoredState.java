package io.tern.broker.store;

import java.util.List;
import java.util.Map;

/**
 * Everything a store holds, read once at start-up.
 *
 * @param messages stored messages by id, each referenced by a queue entry or a retained topic
 * @param retained retained message ids by topic
 * @param wills delayed wills by client id
 */
public record StoredState(
    List<StoredSession> sessions, Map<Long, StoredMessage> messages, Map<String, Long> retained,
    Map<String, StoredWill> wills) {
  public StoredState {
    sessions = List.copyOf(sessions);
    messages = Map.copyOf(messages);
    retained = Map.copyOf(retained);
    wills = Map.copyOf(wills);
  }

  public static StoredState empty() {
    return new StoredState(List.of(), Map.of(), Map.of(), Map.of());
  }
}
