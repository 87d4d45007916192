package io.tern.broker.internal;

/**
 * One subscription of one session in the trie: immutable, replaced as a whole when the session
 * subscribes again to the same filter (MQTT-3.8.4-3). A value: equal when every field is.
 *
 * <p>A class rather than a record so that the QoS and the three options share one byte: 32 bytes
 * instead of 40, per subscription (there may be millions).
 */
final class Subscriber {
  private static final int NO_LOCAL = 1 << 2;
  private static final int RETAIN_AS_PUBLISHED = 1 << 3;
  private static final int RETAIN_HANDLING_SHIFT = 4;

  private final Session session;
  private final String filter;
  private final String shareName;
  private final int subscriptionId;
  /** Bits 0-1 the QoS, 2 No Local, 3 Retain As Published, 4-5 Retain Handling. */
  private final byte options;

  /**
   * @param filter the filter as the client sent it, {@code $share/{group}/} prefix included
   * @param subscriptionId the v5 Subscription Identifier, 0 when none
   * @param shareName the group of a shared subscription (MQTT 5.0 section 4.8.2), null when not shared
   */
  Subscriber(Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling,
      int subscriptionId, String shareName) {
    if ((qos & ~3) != 0 || (retainHandling & ~3) != 0) {
      throw new IllegalArgumentException("QoS " + qos + ", Retain Handling " + retainHandling);
    }
    this.session = session;
    this.filter = filter;
    this.shareName = shareName;
    this.subscriptionId = subscriptionId;
    this.options = (byte) (qos | (noLocal ? NO_LOCAL : 0) | (retainAsPublished ? RETAIN_AS_PUBLISHED : 0)
        | retainHandling << RETAIN_HANDLING_SHIFT);
  }

  /** A non-shared subscription. */
  Subscriber(Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling, int subscriptionId) {
    this(session, filter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId, null);
  }

  /** A subscription as the client sent it; a {@code $share/{group}/{filter}} one is shared. */
  static Subscriber of(Session session, String filter, int qos, boolean noLocal, boolean retainAsPublished,
      int retainHandling, int subscriptionId) {
    return new Subscriber(session, filter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId,
        io.tern.codec.Topics.shareNameOf(filter));
  }

  Session session() {
    return session;
  }

  /** The filter as the client sent it, {@code $share/{group}/} prefix included. */
  String filter() {
    return filter;
  }

  int qos() {
    return options & 3;
  }

  boolean noLocal() {
    return (options & NO_LOCAL) != 0;
  }

  boolean retainAsPublished() {
    return (options & RETAIN_AS_PUBLISHED) != 0;
  }

  int retainHandling() {
    return (options >> RETAIN_HANDLING_SHIFT) & 3;
  }

  /** The v5 Subscription Identifier, 0 when none. */
  int subscriptionId() {
    return subscriptionId;
  }

  /** The group of a shared subscription (MQTT 5.0 section 4.8.2), null when not shared. */
  String shareName() {
    return shareName;
  }

  boolean shared() {
    return shareName != null;
  }

  /** The filter the topic names are matched against: without the {@code $share/{group}/} prefix. */
  String topicFilter() {
    return io.tern.codec.Topics.topicFilterOf(filter);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Subscriber s && s.session == session && s.filter.equals(filter) && s.options == options
        && s.subscriptionId == subscriptionId && java.util.Objects.equals(s.shareName, shareName);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(System.identityHashCode(session), filter, options, subscriptionId, shareName);
  }

  @Override
  public String toString() {
    return "Subscriber[filter=" + filter + ", qos=" + qos() + ", noLocal=" + noLocal() + ", retainAsPublished="
        + retainAsPublished() + ", retainHandling=" + retainHandling() + ", subscriptionId=" + subscriptionId + "]";
  }
}
