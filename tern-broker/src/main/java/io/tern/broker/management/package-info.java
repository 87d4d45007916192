/**
 * Management of a running broker: read-only snapshots of its clients, sessions, subscriptions and
 * retained messages, and the operator's actions on them (disconnect a client, delete a session,
 * subscribe or unsubscribe on a client's behalf, delete a retained message, trace a client).
 * Reached through {@link io.tern.broker.Broker#management()}; used by the standalone server's admin
 * HTTP API, usable by any embedding program.
 */
package io.tern.broker.management;
