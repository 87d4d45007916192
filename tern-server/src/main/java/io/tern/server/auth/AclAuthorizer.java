package io.tern.server.auth;

import io.tern.broker.auth.Action;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.auth.Permission;
import io.tern.broker.auth.TopicPatterns;
import io.tern.codec.Topics;
import io.tern.server.auth.AclFile.Rule;
import java.util.List;
import java.util.function.Supplier;

/**
 * Applies an {@link AclFile}. What is not allowed is denied, and a {@code deny} rule wins over any
 * rule that allows, wherever it is written.
 *
 * <ul>
 *   <li>PUBLISH to a topic: allowed by a {@code write}/{@code readwrite} rule whose filter matches it.
 *   <li>RECEIVE (every delivery, retained messages included): allowed by a {@code read}/{@code
 *       readwrite} rule whose filter matches the message's topic.
 *   <li>SUBSCRIBE to a filter: allowed when one {@code read}/{@code readwrite} rule's filter covers it
 *       (matches every topic the requested filter can match: {@code a/#} covers {@code a/+/b} and
 *       {@code a}; {@code a/+} does not cover {@code a/#}), and refused when a {@code deny} rule
 *       covers it. A subscription that is allowed but overlaps a {@code deny} rule ({@code #} beside
 *       {@code deny secret/#}) is granted, and the denied messages are not delivered (RECEIVE).
 *       For a shared subscription {@code $share/GROUP/FILTER} the rules apply to {@code FILTER}.
 * </ul>
 *
 * <p>Runs on event loops for every message: rules are matched from memory, a few string comparisons
 * per rule. The rules are read through a supplier, so a reload applies to the next check.
 */
public final class AclAuthorizer implements Authorizer {
  private final Supplier<AclFile> acl;

  public AclAuthorizer(Supplier<AclFile> acl) {
    this.acl = acl;
  }

  @Override
  public Permission authorize(ClientInfo client, Action action, String topic, int qos) {
    String filter = action == Action.SUBSCRIBE ? Topics.topicFilterOf(topic) : topic;
    return allowed(acl.get(), client, action, filter.split("/", -1)) ? Permission.ALLOW : Permission.DENY;
  }

  private static boolean allowed(AclFile file, ClientInfo client, Action action, String[] topic) {
    String user = client.attachment() instanceof AuthenticatedUser u ? u.name() : null;
    String clientId = client.clientId();
    boolean allowed = false;
    for (List<Rule> rules : List.of(file.everyone(), file.user(user), file.patterns())) {
      for (Rule r : rules) {
        if (!covers(r, user, clientId, topic)) {
          continue;
        }
        if (r.access() == AclFile.Access.DENY) {
          return false;
        }
        allowed |= action == Action.PUBLISH ? r.access().writes() : r.access().reads();
      }
    }
    return allowed;
  }

  /**
   * Whether every topic {@code filter} matches is matched by the rule's filter. For a topic name (no
   * wildcards) this is plain matching.
   */
  static boolean covers(Rule rule, String user, String clientId, String[] filter) {
    String[] levels = rule.levels();
    if (filter[0].startsWith("$") && (levels[0].equals("#") || levels[0].equals("+"))) {
      return false; // MQTT-4.7.2-1: wildcards at the start do not reach $-topics
    }
    for (int i = 0; i < filter.length; i++) {
      if (i >= levels.length) {
        return false;
      }
      String l = levels[i];
      if (l.equals("#")) {
        return true;
      }
      if (l.equals("+")) {
        if (filter[i].equals("#")) {
          return false;
        }
        continue;
      }
      if (rule.pattern() && l.indexOf('%') >= 0) {
        l = TopicPatterns.substitute(l, user, clientId);
        if (l == null) {
          return false;
        }
      }
      if (!l.equals(filter[i])) {
        return false;
      }
    }
    // a/# also matches a itself (MQTT-4.7.1-2)
    return levels.length == filter.length || (levels.length == filter.length + 1 && levels[filter.length].equals("#"));
  }

  @Override
  public String toString() {
    return "ACL file";
  }
}
