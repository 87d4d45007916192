package io.tern.broker.internal;

/**
 * One subscription of one session in the trie: immutable, replaced as a whole when the session
 * subscribes again to the same filter (MQTT-3.8.4-3).
 *
 * @param filter the filter as the client sent it, {@code $share/{group}/} prefix included
 * @param subscriptionId the v5 Subscription Identifier, 0 when none
 * @param shareName the group of a shared subscription (MQTT 5.0 section 4.8.2), null when not shared
 */
record Subscriber(
    Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling,
    int subscriptionId, String shareName) {

  /** A non-shared subscription. */
  Subscriber(Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling, int subscriptionId) {
    this(session, filter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId, null);
  }

  /** A subscription as the client sent it; a {@code $share/{group}/{filter}} one is shared. */
  static Subscriber of(Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling, int subscriptionId) {
    return new Subscriber(session, filter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId,
        shareNameOf(filter));
  }

  boolean shared() {
    return shareName != null;
  }

  /** The filter the topic names are matched against: without the {@code $share/{group}/} prefix. */
  String topicFilter() {
    return topicFilterOf(filter);
  }

  /** The share name of a {@code $share/{group}/{filter}} filter, or null for a non-shared one. */
  static String shareNameOf(String filter) {
    if (!filter.startsWith(io.tern.codec.Topics.SHARE_PREFIX)) {
      return null;
    }
    int slash = filter.indexOf('/', io.tern.codec.Topics.SHARE_PREFIX.length());
    return slash < 0 ? null : filter.substring(io.tern.codec.Topics.SHARE_PREFIX.length(), slash);
  }

  static String topicFilterOf(String filter) {
    if (!filter.startsWith(io.tern.codec.Topics.SHARE_PREFIX)) {
      return filter;
    }
    int slash = filter.indexOf('/', io.tern.codec.Topics.SHARE_PREFIX.length());
    return slash < 0 ? filter : filter.substring(slash + 1);
  }
}
