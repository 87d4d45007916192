package io.tern.broker.auth;

import io.tern.codec.Topics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A fixed, in-memory table of users and access rules: both an {@link Authenticator} and an {@link
 * Authorizer}. For tests, demos and small deployments; passwords are kept in memory as given.
 *
 * <p>Rules are topic filters ({@code +}, {@code #}) where {@code %u} stands for the client's user
 * name and {@code %c} for its client id; a rule applies to one user, or to everyone ({@link
 * Builder#allowAll}). A client may do what any rule for it allows. For {@link Action#SUBSCRIBE}, a
 * filter is allowed when the rule's filter covers it (every topic it can match is matched by the
 * rule); a shared subscription {@code $share/{group}/{filter}} is checked as its filter. A client
 * id or user name that is empty, holds {@code /}, {@code +} or {@code #}, or starts with {@code $}
 * matches no rule that puts it into a topic ({@link TopicPatterns}). Users unknown to the table
 * are refused with {@code 0x86}; anonymous clients only when {@link Builder#anonymous(boolean)}
 * allows them.
 *
 * <pre>{@code
 * StaticAuth auth = StaticAuth.builder()
 *     .user("alice", "secret")
 *     .allow("alice", "sensors/#", Action.PUBLISH, Action.SUBSCRIBE, Action.RECEIVE)
 *     .allowAll("user/%u/#", Action.values())
 *     .build();
 * Broker.builder().authenticator(auth).authorizer(auth)...
 * }</pre>
 */
public final class StaticAuth implements Authenticator, Authorizer {
  private record Rule(String user, String filter, Set<Action> actions) {}

  private final Map<String, byte[]> passwords;
  private final List<Rule> rules;
  private final boolean anonymous;

  private StaticAuth(Builder b) {
    this.passwords = Map.copyOf(b.passwords);
    this.rules = List.copyOf(b.rules);
    this.anonymous = b.anonymous;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
    return CompletableFuture.completedFuture(check(request));
  }

  private AuthResult check(ConnectRequest request) {
    String user = request.username();
    if (user == null) {
      return anonymous ? AuthResult.accept(null) : AuthResult.notAuthorized();
    }
    byte[] expected = passwords.get(user);
    if (request.certificateIdentity() && expected != null) {
      return AuthResult.accept(user);
    }
    if (expected == null || request.password() == null || !MessageDigest.isEqual(expected, request.password())) {
      return AuthResult.badCredentials();
    }
    return AuthResult.accept(user);
  }

  @Override
  public Permission authorize(ClientInfo client, Action action, String topic, int qos) {
    // A shared subscription $share/{group}/{filter} is checked as its filter.
    String requested = action == Action.SUBSCRIBE ? Topics.topicFilterOf(topic) : topic;
    for (Rule r : rules) {
      if (!r.actions.contains(action) || (r.user != null && !r.user.equals(client.username()))) {
        continue;
      }
      String filter = TopicPatterns.substitute(r.filter, client.username(), client.clientId());
      if (filter != null && (action == Action.SUBSCRIBE ? covers(filter, requested) : Topics.matches(filter, requested))) {
        return Permission.ALLOW;
      }
    }
    return Permission.DENY;
  }

  /**
   * Whether every topic {@code requested} can match is matched by {@code rule}; a rule starting
   * with a wildcard covers no filter of {@code $} topics (MQTT-4.7.2-1).
   */
  static boolean covers(String rule, String requested) {
    if (requested.startsWith("$") && (rule.startsWith("#") || rule.startsWith("+"))) {
      return false;
    }
    String[] r = rule.split("/", -1);
    String[] q = requested.split("/", -1);
    for (int i = 0; i < r.length; i++) {
      if (r[i].equals("#")) {
        return true;
      }
      if (i >= q.length) {
        return false;
      }
      if (q[i].equals("#")) {
        return false;
      }
      if (r[i].equals("+")) {
        continue;
      }
      if (!r[i].equals(q[i])) {
        return false;
      }
    }
    return r.length == q.length;
  }

  @Override
  public String toString() {
    return "static table (" + passwords.size() + " users, " + rules.size() + " rules)";
  }

  /** Builds a {@link StaticAuth}. */
  public static final class Builder {
    private final Map<String, byte[]> passwords = new LinkedHashMap<>();
    private final List<Rule> rules = new ArrayList<>();
    private boolean anonymous;

    private Builder() {}

    public Builder user(String username, String password) {
      passwords.put(username, password.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** Whether clients without a user name may connect (default false); rules for everyone apply to them. */
    public Builder anonymous(boolean allowed) {
      this.anonymous = allowed;
      return this;
    }

    /** Lets {@code username} do {@code actions} on topics matching {@code filter} ({@code %u}, {@code %c} allowed). */
    public Builder allow(String username, String filter, Action... actions) {
      rules.add(new Rule(username, check(filter), EnumSet.of(actions[0], actions)));
      return this;
    }

    /** Lets every client do {@code actions} on topics matching {@code filter}. */
    public Builder allowAll(String filter, Action... actions) {
      rules.add(new Rule(null, check(filter), EnumSet.of(actions[0], actions)));
      return this;
    }

    private static String check(String filter) {
      if (!Topics.isValidFilter(filter.replace("%u", "u").replace("%c", "c"))) {
        throw new IllegalArgumentException("invalid topic filter: '" + filter + "'");
      }
      return filter;
    }

    public StaticAuth build() {
      return new StaticAuth(this);
    }
  }
}
