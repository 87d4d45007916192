package io.tern.broker.store;

import io.tern.codec.Publish;

/**
 * A will message waiting for its delay (v5 Will Delay Interval) to run out.
 *
 * @param publishAtMillis when to publish it, in milliseconds since the epoch
 */
public record StoredWill(Publish will, long publishAtMillis) {}
