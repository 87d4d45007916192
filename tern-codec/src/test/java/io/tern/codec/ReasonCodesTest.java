package io.tern.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The v5 to 3.x CONNACK mapping and the names logs give codes. */
class ReasonCodesTest {

  @Test
  void v5ConnAckRefusalsMapToTheClosest3xReturnCode() {
    assertThat(ReasonCodes.toV3ConnAck(ReasonCodes.SUCCESS)).isEqualTo(ReasonCodes.V3_CONNECTION_ACCEPTED);
    assertThat(ReasonCodes.toV3ConnAck(ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID)).isEqualTo(ReasonCodes.V3_IDENTIFIER_REJECTED);
    assertThat(ReasonCodes.toV3ConnAck(ReasonCodes.BAD_USER_NAME_OR_PASSWORD))
        .isEqualTo(ReasonCodes.V3_BAD_USER_NAME_OR_PASSWORD);
    assertThat(ReasonCodes.toV3ConnAck(ReasonCodes.NOT_AUTHORIZED)).isEqualTo(ReasonCodes.V3_NOT_AUTHORIZED);
    assertThat(ReasonCodes.toV3ConnAck(ReasonCodes.QUOTA_EXCEEDED)).isEqualTo(ReasonCodes.V3_SERVER_UNAVAILABLE);
  }

  @Test
  void logsNameTheCodeOfTheVersionOnTheWire() {
    assertThat(ReasonCodes.describe(ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID)).isEqualTo("0x85 Client Identifier not valid");
    assertThat(ReasonCodes.describeV3ConnAck(ReasonCodes.V3_IDENTIFIER_REJECTED)).isEqualTo("0x02 Identifier rejected");
    assertThat(ReasonCodes.describeV3ConnAck(ReasonCodes.V3_NOT_AUTHORIZED)).isEqualTo("0x05 not authorized");
    assertThat(ReasonCodes.describeV3ConnAck(7)).isEqualTo("0x07 reserved");
  }
}
