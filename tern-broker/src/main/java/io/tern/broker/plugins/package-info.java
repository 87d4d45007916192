/**
 * First-party plugins, built only on the public API: {@link io.tern.broker.plugins.DelayedPublish},
 * {@link io.tern.broker.plugins.TopicRewrite}, {@link io.tern.broker.plugins.AutoSubscribe},
 * {@link io.tern.broker.plugins.ExclusiveSubscriptions}. Register with
 * {@link io.tern.broker.Broker.Builder#plugin}.
 */
package io.tern.broker.plugins;
