package io.tern.server.config;

import io.tern.broker.hook.Plugin;
import io.tern.broker.plugins.AutoSubscribe;
import io.tern.broker.plugins.DelayedPublish;
import io.tern.broker.plugins.ExclusiveSubscriptions;
import io.tern.broker.plugins.TopicRewrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The first-party plugins the server runs (key {@code plugins}; all off by default).
 *
 * @param delayedPublish {@code $delayed/{seconds}/{topic}} publishes
 * @param exclusiveSubscriptions {@code $exclusive/{filter}}: one subscriber at a time
 * @param autoSubscribe filters every client is subscribed to when it connects
 * @param topicRewrite rules renaming published topics, tried in order
 * @param rewriteSubscriptions whether {@code topicRewrite} also renames subscription filters
 */
public record PluginsConfig(
    boolean delayedPublish,
    boolean exclusiveSubscriptions,
    List<AutoSubscription> autoSubscribe,
    List<Rewrite> topicRewrite,
    boolean rewriteSubscriptions) {

  /** A filter ({@code %c}: client id, {@code %u}: user name) and its QoS. */
  public record AutoSubscription(String filter, int qos) {
    public AutoSubscription {
      Objects.requireNonNull(filter, "filter");
      if (qos < 0 || qos > 2) {
        throw new IllegalArgumentException("qos must be 0, 1 or 2");
      }
    }
  }

  /** A rewrite rule: a regular expression over the whole topic and its replacement ({@code $1} ...). */
  public record Rewrite(String match, String replace) {
    public Rewrite {
      java.util.regex.Pattern.compile(match); // throws for a bad expression
      Objects.requireNonNull(replace, "replace");
    }
  }

  public PluginsConfig {
    autoSubscribe = List.copyOf(autoSubscribe);
    topicRewrite = List.copyOf(topicRewrite);
  }

  /** No plugin. */
  public static PluginsConfig defaults() {
    return new PluginsConfig(false, false, List.of(), List.of(), false);
  }

  /** The plugins to register with the broker, in a fixed order. */
  public List<Plugin> plugins() {
    List<Plugin> out = new ArrayList<>();
    if (!topicRewrite.isEmpty()) {
      TopicRewrite.Builder b = TopicRewrite.builder().subscriptions(rewriteSubscriptions);
      topicRewrite.forEach(r -> b.rule(r.match(), r.replace()));
      out.add(b.build());
    }
    if (delayedPublish) {
      out.add(new DelayedPublish());
    }
    if (exclusiveSubscriptions) {
      out.add(new ExclusiveSubscriptions());
    }
    if (!autoSubscribe.isEmpty()) {
      AutoSubscribe.Builder b = AutoSubscribe.builder();
      autoSubscribe.forEach(a -> b.filter(a.filter(), a.qos()));
      out.add(b.build());
    }
    return out;
  }
}
