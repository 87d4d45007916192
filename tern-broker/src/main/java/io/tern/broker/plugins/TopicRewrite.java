package io.tern.broker.plugins;

import io.tern.broker.Broker;
import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.hook.Plugin;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;
import io.tern.broker.hook.Registration;
import io.tern.broker.hook.SubscribeDecision;
import io.tern.broker.hook.SubscribeHook;
import io.tern.broker.hook.UnsubscribeHook;
import io.tern.codec.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Topic rewrite rules: regular expressions over whole topics, with {@code $1}-style replacements.
 * The first rule that matches a PUBLISH's topic renames it; with {@link Builder#subscriptions(boolean)}
 * the same rules also rename the filters of SUBSCRIBE and UNSUBSCRIBE (so that old clients keep
 * working on a renamed topic tree). A rewrite that yields an invalid topic leaves it unchanged.
 *
 * <pre>{@code
 * Broker.builder().plugin(TopicRewrite.builder()
 *     .rule("^legacy/(.*)$", "v2/$1")
 *     .rule("^dev/([^/]+)/t$", "devices/$1/temperature")
 *     .build())...
 * }</pre>
 */
public final class TopicRewrite implements Plugin, PublishHook, SubscribeHook, UnsubscribeHook {
  private record Rule(Pattern pattern, String replacement) {}

  private final List<Rule> rules;
  private final boolean subscriptions;
  private Registration registration;

  private TopicRewrite(Builder b) {
    this.rules = List.copyOf(b.rules);
    this.subscriptions = b.subscriptions;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(Broker broker) {
    registration = broker.addHook(this);
  }

  @Override
  public void stop() {
    if (registration != null) {
      registration.remove();
    }
  }

  /** The topic after the first matching rule, or {@code topic} itself. */
  public String rewrite(String topic) {
    for (Rule r : rules) {
      Matcher m = r.pattern.matcher(topic);
      if (m.matches()) {
        return m.replaceFirst(r.replacement);
      }
    }
    return topic;
  }

  @Override
  public PublishDecision onPublish(ClientInfo client, MqttMessage message) {
    String topic = rewrite(message.topic());
    return topic.equals(message.topic()) || !Topics.isSendableName(topic) ? PublishDecision.CONTINUE
        : PublishDecision.rewrite(message.withTopic(topic));
  }

  @Override
  public SubscribeDecision onSubscribe(ClientInfo client, String filter, int qos) {
    if (!subscriptions) {
      return SubscribeDecision.CONTINUE;
    }
    String f = rewrite(filter);
    return f.equals(filter) || !Topics.isValidFilter(f) ? SubscribeDecision.CONTINUE : SubscribeDecision.grant(qos, f);
  }

  @Override
  public String onUnsubscribe(ClientInfo client, String filter) {
    if (!subscriptions) {
      return filter;
    }
    String f = rewrite(filter);
    return Topics.isValidFilter(f) ? f : filter;
  }

  @Override
  public String name() {
    return "topic rewrite (" + rules.size() + " rules)";
  }

  /** Builds a {@link TopicRewrite}. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();
    private boolean subscriptions;

    private Builder() {}

    /**
     * Adds a rule: topics matching {@code regex} as a whole become {@code replacement} ({@code $1}
     * for the first group). @throws java.util.regex.PatternSyntaxException for a bad expression
     * @throws IllegalArgumentException for a replacement that names a group the expression does not
     *     have ({@code $2} with one group), or ends in a lone {@code $} or {@code \}: it failed on
     *     every matching PUBLISH (0x80), not here
     */
    public Builder rule(String regex, String replacement) {
      Pattern pattern = Pattern.compile(regex);
      checkReplacement(regex, pattern.matcher("").groupCount(), replacement);
      rules.add(new Rule(pattern, replacement));
      return this;
    }

    /**
     * The replacement checked by the JDK's own parser of it, now rather than at the first matching
     * PUBLISH: applied to the empty string with the expression made to match it (an alternative with
     * nothing, which keeps its groups, unmatched, and their names).
     */
    private static void checkReplacement(String regex, int groups, String replacement) {
      try {
        Pattern.compile("(?:" + regex + ")|").matcher("").replaceFirst(replacement);
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        throw new IllegalArgumentException("topic rewrite " + regex + ": the replacement " + replacement
            + " does not fit the expression (" + e.getMessage() + "; it has " + groups + " group(s))", e);
      }
    }

    /** Whether the rules also rename subscription filters (default false). */
    public Builder subscriptions(boolean rewriteFilters) {
      this.subscriptions = rewriteFilters;
      return this;
    }

    public TopicRewrite build() {
      return new TopicRewrite(this);
    }
  }

  @Override
  public String toString() {
    return name();
  }
}
