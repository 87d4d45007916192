package io.tern.broker.auth;

/**
 * The answer of an {@link Authorizer}: allow, deny, or (for a subscription) allow at a lower QoS.
 * The instances are shared constants: answering allocates nothing.
 */
public final class Permission {
  /** Allowed (a subscription at the QoS the client asked for, capped by the broker's maximum). */
  public static final Permission ALLOW = new Permission(true, 2);
  /** Refused: a PUBLISH is not routed, a subscription is refused, a message is not delivered. */
  public static final Permission DENY = new Permission(false, -1);
  /**
   * No decision: the next authorizer of a chain decides ({@link Authorizer#chain}); treated as
   * {@link #DENY} when no other authorizer allows.
   */
  public static final Permission ABSTAIN = new Permission(false, -1);
  private static final Permission[] MAX_QOS = {new Permission(true, 0), new Permission(true, 1), ALLOW};

  private final boolean allowed;
  private final int maxQos;

  private Permission(boolean allowed, int maxQos) {
    this.allowed = allowed;
    this.maxQos = maxQos;
  }

  /** A subscription allowed, granted at most {@code qos} (0, 1 or 2). Means {@link #ALLOW} for other actions. */
  public static Permission maxQos(int qos) {
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("QoS " + qos);
    }
    return MAX_QOS[qos];
  }

  public boolean allowed() {
    return allowed;
  }

  /** The highest QoS a subscription is granted; -1 when denied. */
  public int maxQos() {
    return maxQos;
  }

  @Override
  public String toString() {
    if (this == ABSTAIN) {
      return "abstain";
    }
    return !allowed ? "deny" : maxQos == 2 ? "allow" : "allow up to QoS " + maxQos;
  }
}
