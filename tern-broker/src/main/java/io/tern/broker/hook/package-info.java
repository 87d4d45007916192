/**
 * Hooks: the points where an application changes what the broker does (accept, connect,
 * subscribe, unsubscribe, publish, deliver, will), and {@link io.tern.broker.hook.Plugin}s that
 * package them. Each hook point is a small interface; a hook implements the ones it needs and is
 * registered with {@link io.tern.broker.Broker.Builder#hook} or {@link io.tern.broker.Broker#addHook}.
 * The catalogue (stable names, when each runs, what it may change, ordering) is docs/extending.md.
 *
 * <pre>{@code
 * broker.addHook((PublishHook) (client, message) -> message.topic().startsWith("$internal/")
 *     ? PublishDecision.refuse() : PublishDecision.CONTINUE);
 * }</pre>
 */
package io.tern.broker.hook;
