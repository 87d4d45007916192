package io.tern.codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The immutable MQTT 5.0 properties of one packet.
 *
 * <p>Single-valued properties are held in a table indexed by identifier; user properties and
 * subscription identifiers, which may repeat, are lists. {@link #EMPTY} stands for "no properties"
 * and is what every MQTT 3.x packet carries. Binary values are copied on the way in and out, so an
 * instance can be shared between threads and subscribers.
 *
 * <pre>{@code
 * MqttProperties p = MqttProperties.builder()
 *     .messageExpiryInterval(60)
 *     .userProperty("trace", "abc")
 *     .build();
 * }</pre>
 */
public final class MqttProperties {
  /** No properties. */
  public static final MqttProperties EMPTY = new MqttProperties(new Object[Property.MAX_ID + 1], List.of(), List.of());

  private final Object[] values;
  private final List<UserProperty> userProperties;
  private final List<Integer> subscriptionIdentifiers;
  /** {@link #encodedSize()}, once asked; -1 before (a benign race: every thread computes the same). */
  private int encodedSize = -1;

  private MqttProperties(Object[] values, List<UserProperty> userProperties, List<Integer> subscriptionIdentifiers) {
    this.values = values;
    this.userProperties = userProperties;
    this.subscriptionIdentifiers = subscriptionIdentifiers;
  }

  /**
   * For the decoder: takes ownership of the arrays it read, without copying; {@code encodedSize} is
   * the size it read them from (the decoder takes only the shortest length prefix, so it is the
   * size they encode to).
   */
  static MqttProperties of(Object[] values, List<UserProperty> userProperties, List<Integer> subscriptionIdentifiers,
      int encodedSize) {
    MqttProperties p = new MqttProperties(
        values,
        userProperties == null ? List.of() : Collections.unmodifiableList(userProperties),
        subscriptionIdentifiers == null ? List.of() : Collections.unmodifiableList(subscriptionIdentifiers));
    p.encodedSize = encodedSize;
    return p;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these properties. */
  public Builder toBuilder() {
    Builder b = new Builder();
    System.arraycopy(values, 0, b.values, 0, values.length);
    b.userProperties.addAll(userProperties);
    b.subscriptionIdentifiers.addAll(subscriptionIdentifiers);
    return b;
  }

  /**
   * The bytes these properties take in a packet, with their length prefix (0 for {@link #EMPTY}):
   * what a broker holding the message holds for them. Computed once.
   */
  public int encodedSize() {
    int n = encodedSize;
    if (n < 0) {
      n = this == EMPTY ? 0 : MqttEncoder.propertiesSize(this);
      encodedSize = n;
    }
    return n;
  }

  /** True when no property is set. */
  public boolean isEmpty() {
    if (this == EMPTY) {
      // Most packets have no properties (every MQTT 3 one): without this, each decoded PUBACK and
      // each encoded v5 ack walked the slots of every property (CodecBenchmark PUBACK decode 25-33 ns
      // against 9-13 before acks were shared and asked this).
      return true;
    }
    if (!userProperties.isEmpty() || !subscriptionIdentifiers.isEmpty()) {
      return false;
    }
    for (Object v : values) {
      if (v != null) {
        return false;
      }
    }
    return true;
  }

  /** True when the single-valued property is present. */
  public boolean has(Property p) {
    return values[p.id()] != null;
  }

  /**
   * The raw value of a single-valued property ({@code Integer}, {@code Long}, {@code String} or a
   * copy of the {@code byte[]}), or {@code null} when absent.
   */
  public Object get(Property p) {
    Object v = values[p.id()];
    return v instanceof byte[] ? ((byte[]) v).clone() : v;
  }

  /** An integer-typed property (byte, two-byte, four-byte or variable-byte), or {@code dflt}. */
  public long getLong(Property p, long dflt) {
    Object v = values[p.id()];
    return v == null ? dflt : ((Number) v).longValue();
  }

  /** An integer-typed property that fits an {@code int}, or {@code dflt}. */
  public int getInt(Property p, int dflt) {
    Object v = values[p.id()];
    return v == null ? dflt : ((Number) v).intValue();
  }

  /** A UTF-8 string property, or {@code null}. */
  public String getString(Property p) {
    Object v = values[p.id()];
    return v instanceof String ? (String) v : null;
  }

  /** A copy of a binary property, or {@code null}. */
  public byte[] getBinary(Property p) {
    Object v = values[p.id()];
    return v instanceof byte[] ? ((byte[]) v).clone() : null;
  }

  /** User properties, in order; empty when none. */
  public List<UserProperty> userProperties() {
    return userProperties;
  }

  /** Subscription identifiers, in order; empty when none. */
  public List<Integer> subscriptionIdentifiers() {
    return subscriptionIdentifiers;
  }

  // Typed shortcuts for the properties the broker reads on its hot paths.

  public Long messageExpiryInterval() {
    return (Long) values[Property.MESSAGE_EXPIRY_INTERVAL.id()];
  }

  public Integer topicAlias() {
    return (Integer) values[Property.TOPIC_ALIAS.id()];
  }

  public Long sessionExpiryInterval() {
    return (Long) values[Property.SESSION_EXPIRY_INTERVAL.id()];
  }

  public String reasonString() {
    return (String) values[Property.REASON_STRING.id()];
  }

  /** Raw view for the encoder: no copies. */
  Object rawValue(int id) {
    return values[id];
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof MqttProperties)) {
      return false;
    }
    MqttProperties other = (MqttProperties) o;
    return Arrays.deepEquals(values, other.values)
        && userProperties.equals(other.userProperties)
        && subscriptionIdentifiers.equals(other.subscriptionIdentifiers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.deepHashCode(values), userProperties, subscriptionIdentifiers);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Property p : Property.values()) {
      Object v = values[p.id()];
      if (v != null) {
        if (sb.length() > 1) {
          sb.append(", ");
        }
        sb.append(p).append('=').append(v instanceof byte[] ? ((byte[]) v).length + " bytes" : v);
      }
    }
    if (!userProperties.isEmpty()) {
      sb.append(sb.length() > 1 ? ", " : "").append("USER_PROPERTY=").append(userProperties);
    }
    if (!subscriptionIdentifiers.isEmpty()) {
      sb.append(sb.length() > 1 ? ", " : "").append("SUBSCRIPTION_IDENTIFIER=").append(subscriptionIdentifiers);
    }
    return sb.append('}').toString();
  }

  /** Builds {@link MqttProperties}; setting a single-valued property twice keeps the last value. */
  public static final class Builder {
    private final Object[] values = new Object[Property.MAX_ID + 1];
    private final List<UserProperty> userProperties = new ArrayList<>();
    private final List<Integer> subscriptionIdentifiers = new ArrayList<>();

    private Builder() {}

    /**
     * Sets a single-valued property; {@code null} removes it. The value's Java type must match
     * {@link Property#type()}: Integer, Long, String or byte[].
     */
    public Builder set(Property p, Object value) {
      if (p == Property.USER_PROPERTY) {
        throw new IllegalArgumentException("use userProperty(name, value)");
      }
      if (p == Property.SUBSCRIPTION_IDENTIFIER) {
        // Replaces all identifiers with this one; null removes them all, as for other properties.
        subscriptionIdentifiers.clear();
        if (value != null) {
          subscriptionIdentifiers.add((Integer) checked(p, value));
        }
        return this;
      }
      values[p.id()] = value == null ? null : checked(p, value);
      return this;
    }

    private static Object checked(Property p, Object value) {
      try {
        return convert(p, value);
      } catch (ClassCastException | ArithmeticException e) {
        throw new IllegalArgumentException(
            p + " takes a " + p.type() + " value, not a " + value.getClass().getSimpleName(), e);
      }
    }

    private static Object convert(Property p, Object value) {
      switch (p.type()) {
        case BYTE:
        case TWO_BYTE_INT:
        case VARIABLE_BYTE_INT:
          return Math.toIntExact(((Number) value).longValue());
        case FOUR_BYTE_INT:
          return ((Number) value).longValue();
        case UTF8_STRING:
          return (String) value;
        case BINARY:
          return ((byte[]) value).clone();
        default:
          throw new IllegalArgumentException(p + " is not single-valued");
      }
    }

    public Builder remove(Property p) {
      if (p == Property.USER_PROPERTY) {
        userProperties.clear();
      } else if (p == Property.SUBSCRIPTION_IDENTIFIER) {
        subscriptionIdentifiers.clear();
      } else {
        values[p.id()] = null;
      }
      return this;
    }

    public Builder userProperty(String name, String value) {
      userProperties.add(new UserProperty(name, value));
      return this;
    }

    public Builder userProperties(List<UserProperty> props) {
      userProperties.addAll(props);
      return this;
    }

    public Builder subscriptionIdentifier(int id) {
      subscriptionIdentifiers.add(id);
      return this;
    }

    public Builder messageExpiryInterval(long seconds) {
      return set(Property.MESSAGE_EXPIRY_INTERVAL, seconds);
    }

    public Builder sessionExpiryInterval(long seconds) {
      return set(Property.SESSION_EXPIRY_INTERVAL, seconds);
    }

    public Builder reasonString(String reason) {
      return set(Property.REASON_STRING, reason);
    }

    public Builder topicAlias(int alias) {
      return set(Property.TOPIC_ALIAS, alias);
    }

    public Builder receiveMaximum(int max) {
      return set(Property.RECEIVE_MAXIMUM, max);
    }

    public Builder maximumPacketSize(long max) {
      return set(Property.MAXIMUM_PACKET_SIZE, max);
    }

    public MqttProperties build() {
      if (userProperties.isEmpty() && subscriptionIdentifiers.isEmpty()) {
        boolean empty = true;
        for (Object v : values) {
          if (v != null) {
            empty = false;
            break;
          }
        }
        if (empty) {
          return EMPTY;
        }
      }
      return new MqttProperties(
          values.clone(),
          userProperties.isEmpty() ? List.of() : Collections.unmodifiableList(new ArrayList<>(userProperties)),
          subscriptionIdentifiers.isEmpty() ? List.of() : List.copyOf(subscriptionIdentifiers));
    }
  }
}
