package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MqttPropertiesTest {

  @Test
  void builderWithNothingSetGivesEmpty() {
    MqttProperties p = MqttProperties.builder().build();
    assertThat(p).isSameAs(MqttProperties.EMPTY);
    assertThat(p.isEmpty()).isTrue();
    assertThat(MqttProperties.builder().userProperty("k", "v").remove(Property.USER_PROPERTY).build())
        .isSameAs(MqttProperties.EMPTY);
  }

  @Test
  void equalityIsByValueIncludingBinaryValues() {
    MqttProperties a = MqttProperties.builder().set(Property.CORRELATION_DATA, new byte[] {1, 2})
        .messageExpiryInterval(5).userProperty("k", "v").subscriptionIdentifier(3).build();
    MqttProperties b = MqttProperties.builder().subscriptionIdentifier(3).userProperty("k", "v")
        .messageExpiryInterval(5).set(Property.CORRELATION_DATA, new byte[] {1, 2}).build();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(b.toBuilder().set(Property.CORRELATION_DATA, new byte[] {1, 3}).build());
    assertThat(a).isNotEqualTo(MqttProperties.EMPTY);
  }

  @Test
  void integerTypesAreNormalisedSoEqualityDoesNotDependOnTheBoxedType() {
    MqttProperties fromInt = MqttProperties.builder().set(Property.MESSAGE_EXPIRY_INTERVAL, 60).build();
    MqttProperties fromLong = MqttProperties.builder().messageExpiryInterval(60L).build();
    assertThat(fromInt).isEqualTo(fromLong);
    assertThat(fromInt.get(Property.MESSAGE_EXPIRY_INTERVAL)).isEqualTo(60L);
    assertThat(MqttProperties.builder().set(Property.TOPIC_ALIAS, 3L).build().topicAlias()).isEqualTo(3);
  }

  @Test
  void userPropertiesKeepTheirOrderAndDuplicates() {
    MqttProperties p = MqttProperties.builder().userProperty("b", "2").userProperty("a", "1")
        .userProperty("b", "2").build();
    assertThat(p.userProperties()).containsExactly(
        new UserProperty("b", "2"), new UserProperty("a", "1"), new UserProperty("b", "2"));
    MqttProperties reordered = MqttProperties.builder().userProperty("a", "1").userProperty("b", "2")
        .userProperty("b", "2").build();
    assertThat(p).isNotEqualTo(reordered);
  }

  @Test
  void settingASingleValuedPropertyTwiceKeepsTheLastValue() {
    MqttProperties p = MqttProperties.builder().reasonString("a").reasonString("b").build();
    assertThat(p.reasonString()).isEqualTo("b");
  }

  @Test
  void settingNullOrRemovingTakesThePropertyAway() {
    MqttProperties p = MqttProperties.builder().topicAlias(1).set(Property.TOPIC_ALIAS, null).build();
    assertThat(p.has(Property.TOPIC_ALIAS)).isFalse();
    MqttProperties q = MqttProperties.builder().topicAlias(1).remove(Property.TOPIC_ALIAS).build();
    assertThat(q).isSameAs(MqttProperties.EMPTY);
  }

  @Test
  void subscriptionIdentifiersAccumulateAndSetReplacesOrRemovesThem() {
    MqttProperties.Builder b = MqttProperties.builder().subscriptionIdentifier(1).subscriptionIdentifier(2);
    assertThat(b.build().subscriptionIdentifiers()).containsExactly(1, 2);
    assertThat(b.set(Property.SUBSCRIPTION_IDENTIFIER, 7).build().subscriptionIdentifiers()).containsExactly(7);
    assertThat(b.set(Property.SUBSCRIPTION_IDENTIFIER, null).build()).isSameAs(MqttProperties.EMPTY);
    assertThat(MqttProperties.builder().subscriptionIdentifier(4).remove(Property.SUBSCRIPTION_IDENTIFIER).build())
        .isSameAs(MqttProperties.EMPTY);
  }

  @Test
  void binaryValuesAreCopiedInAndOut() {
    byte[] data = {1, 2, 3};
    MqttProperties p = MqttProperties.builder().set(Property.CORRELATION_DATA, data).build();
    data[0] = 9;
    byte[] out = p.getBinary(Property.CORRELATION_DATA);
    assertThat(out).containsExactly(1, 2, 3);
    out[1] = 9;
    assertThat((byte[]) p.get(Property.CORRELATION_DATA)).containsExactly(1, 2, 3);
  }

  @Test
  void builtListsCannotBeModified() {
    MqttProperties p = MqttProperties.builder().userProperty("k", "v").subscriptionIdentifier(1).build();
    assertThatThrownBy(() -> p.userProperties().add(new UserProperty("x", "y")))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.subscriptionIdentifiers().add(2)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builderIsIndependentOfWhatItBuilt() {
    MqttProperties.Builder b = MqttProperties.builder().userProperty("k", "v");
    MqttProperties first = b.build();
    b.userProperty("k2", "v2").reasonString("r");
    assertThat(first.userProperties()).hasSize(1);
    assertThat(first.reasonString()).isNull();
  }

  @Test
  void toBuilderStartsFromTheseProperties() {
    MqttProperties p = MqttProperties.builder().sessionExpiryInterval(10).userProperty("k", "v")
        .subscriptionIdentifier(5).build();
    assertThat(p.toBuilder().build()).isEqualTo(p);
    MqttProperties q = p.toBuilder().receiveMaximum(10).build();
    assertThat(q.getInt(Property.RECEIVE_MAXIMUM, 65_535)).isEqualTo(10);
    assertThat(p.has(Property.RECEIVE_MAXIMUM)).isFalse();
  }

  @Test
  void typedGettersReturnValuesOrDefaults() {
    MqttProperties p = MqttProperties.builder().sessionExpiryInterval(4_294_967_295L).maximumPacketSize(1024)
        .set(Property.CONTENT_TYPE, "json").build();
    assertThat(p.sessionExpiryInterval()).isEqualTo(4_294_967_295L);
    assertThat(p.getLong(Property.SESSION_EXPIRY_INTERVAL, 0)).isEqualTo(4_294_967_295L);
    assertThat(p.getLong(Property.MESSAGE_EXPIRY_INTERVAL, -1)).isEqualTo(-1);
    assertThat(p.messageExpiryInterval()).isNull();
    assertThat(p.getInt(Property.MAXIMUM_PACKET_SIZE, 0)).isEqualTo(1024);
    assertThat(p.getString(Property.CONTENT_TYPE)).isEqualTo("json");
    assertThat(p.getString(Property.MAXIMUM_PACKET_SIZE)).isNull();
    assertThat(p.getBinary(Property.CORRELATION_DATA)).isNull();
    assertThat(p.topicAlias()).isNull();
  }

  @Test
  void userPropertyAndWrongValueTypesAreRefusedBySet() {
    MqttProperties.Builder b = MqttProperties.builder();
    assertThatThrownBy(() -> b.set(Property.USER_PROPERTY, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.set(Property.CONTENT_TYPE, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.set(Property.TOPIC_ALIAS, "5")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.set(Property.CORRELATION_DATA, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.set(Property.TOPIC_ALIAS, 1L << 32)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void userPropertyNameAndValueMustNotBeNull() {
    assertThatThrownBy(() -> new UserProperty(null, "v")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> MqttProperties.builder().userProperty("k", null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void toStringNamesPropertiesAndHidesBinaryContent() {
    MqttProperties p = MqttProperties.builder().topicAlias(3).set(Property.AUTHENTICATION_DATA, new byte[] {7, 7})
        .userProperty("k", "v").subscriptionIdentifier(9).build();
    assertThat(p.toString()).contains("TOPIC_ALIAS=3", "AUTHENTICATION_DATA=2 bytes", "USER_PROPERTY", "SUBSCRIPTION_IDENTIFIER=[9]");
    assertThat(MqttProperties.EMPTY.toString()).isEqualTo("{}");
  }

  @Test
  void userPropertiesCanBeAddedAsAList() {
    List<UserProperty> list = List.of(new UserProperty("a", "1"), new UserProperty("b", "2"));
    assertThat(MqttProperties.builder().userProperties(list).build().userProperties()).isEqualTo(list);
  }
}
