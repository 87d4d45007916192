package io.tern.broker.auth;

/**
 * Decides what a connected client may do: publish to a topic, subscribe to a filter, receive a
 * message (delivered through a subscription or as a retained message).
 *
 * <p>Called on event loops, on the path of every message: answer from memory, without blocking.
 * Must be thread-safe. When the broker's authorizer is {@link #ALLOW_ALL} (the default) it is not
 * called at all.
 *
 * <p>What the broker does with a {@link Permission#DENY}: a SUBSCRIBE gets the failure code for
 * that filter (MQTT 3.1.1 {@code 0x80}, MQTT 5 {@code 0x87}); a PUBLISH is not routed (MQTT 5: its
 * PUBACK or PUBREC says {@code 0x87}; MQTT 3: it is acknowledged as usual and dropped, or the client
 * is disconnected, see {@link io.tern.broker.BrokerConfig#disconnectOnDeniedPublish()}); a message
 * that may not be received is skipped for that subscriber only.
 *
 * <pre>{@code
 * Authorizer ownTopicsOnly = (client, action, topic, qos) ->
 *     topic.startsWith("user/" + client.username() + "/") ? Permission.ALLOW : Permission.DENY;
 * }</pre>
 */
@FunctionalInterface
public interface Authorizer {
  /** Allows everything; the broker skips authorization entirely with it. */
  Authorizer ALLOW_ALL = new Authorizer() {
    @Override
    public Permission authorize(ClientInfo client, Action action, String topic, int qos) {
      return Permission.ALLOW;
    }

    @Override
    public String toString() {
      return "allow all";
    }
  };

  /**
   * @param client the client
   * @param action what it wants to do
   * @param topic a topic name (PUBLISH, RECEIVE) or a topic filter (SUBSCRIBE)
   * @param qos the QoS of the message, or the QoS the subscription asks for
   */
  Permission authorize(ClientInfo client, Action action, String topic, int qos);

  /**
   * Asks each authorizer in turn: the first answer other than {@link Permission#ABSTAIN} decides;
   * when all abstain, {@link Permission#DENY}. An authorizer that throws or answers null ends the
   * chain as if the whole chain had failed: the operation is denied, and the failure logged and
   * counted ({@link io.tern.broker.Broker#hookFailures()}); the authorizers after it are not asked
   * (a failing policy must not let a more lenient one decide).
   */
  static Authorizer chain(Authorizer... authorizers) {
    Authorizer[] list = authorizers.clone();
    return new Authorizer() {
      @Override
      public Permission authorize(ClientInfo client, Action action, String topic, int qos) {
        for (Authorizer a : list) {
          Permission p = a.authorize(client, action, topic, qos); // a throw or null: the broker denies
          if (p != Permission.ABSTAIN) {
            return p;
          }
        }
        return Permission.DENY;
      }

      @Override
      public String toString() {
        return "chain" + java.util.Arrays.toString(list);
      }
    };
  }
}
