package io.tern.codec;

/**
 * MQTT 5.0 reason codes (spec section 2.4) and the MQTT 3.x CONNACK return codes.
 *
 * <p>Plain {@code int} constants: one value can carry several names depending on the packet (0x00
 * is Success, Normal disconnection and Granted QoS 0), and packets store the byte they carry.
 */
public final class ReasonCodes {
  private ReasonCodes() {}

  public static final int SUCCESS = 0x00;
  public static final int NORMAL_DISCONNECTION = 0x00;
  public static final int GRANTED_QOS_0 = 0x00;
  public static final int GRANTED_QOS_1 = 0x01;
  public static final int GRANTED_QOS_2 = 0x02;
  public static final int DISCONNECT_WITH_WILL_MESSAGE = 0x04;
  public static final int NO_MATCHING_SUBSCRIBERS = 0x10;
  public static final int NO_SUBSCRIPTION_EXISTED = 0x11;
  public static final int CONTINUE_AUTHENTICATION = 0x18;
  public static final int RE_AUTHENTICATE = 0x19;
  public static final int UNSPECIFIED_ERROR = 0x80;
  public static final int MALFORMED_PACKET = 0x81;
  public static final int PROTOCOL_ERROR = 0x82;
  public static final int IMPLEMENTATION_SPECIFIC_ERROR = 0x83;
  public static final int UNSUPPORTED_PROTOCOL_VERSION = 0x84;
  public static final int CLIENT_IDENTIFIER_NOT_VALID = 0x85;
  public static final int BAD_USER_NAME_OR_PASSWORD = 0x86;
  public static final int NOT_AUTHORIZED = 0x87;
  public static final int SERVER_UNAVAILABLE = 0x88;
  public static final int SERVER_BUSY = 0x89;
  public static final int BANNED = 0x8A;
  public static final int SERVER_SHUTTING_DOWN = 0x8B;
  public static final int BAD_AUTHENTICATION_METHOD = 0x8C;
  public static final int KEEP_ALIVE_TIMEOUT = 0x8D;
  public static final int SESSION_TAKEN_OVER = 0x8E;
  public static final int TOPIC_FILTER_INVALID = 0x8F;
  public static final int TOPIC_NAME_INVALID = 0x90;
  public static final int PACKET_IDENTIFIER_IN_USE = 0x91;
  public static final int PACKET_IDENTIFIER_NOT_FOUND = 0x92;
  public static final int RECEIVE_MAXIMUM_EXCEEDED = 0x93;
  public static final int TOPIC_ALIAS_INVALID = 0x94;
  public static final int PACKET_TOO_LARGE = 0x95;
  public static final int MESSAGE_RATE_TOO_HIGH = 0x96;
  public static final int QUOTA_EXCEEDED = 0x97;
  public static final int ADMINISTRATIVE_ACTION = 0x98;
  public static final int PAYLOAD_FORMAT_INVALID = 0x99;
  public static final int RETAIN_NOT_SUPPORTED = 0x9A;
  public static final int QOS_NOT_SUPPORTED = 0x9B;
  public static final int USE_ANOTHER_SERVER = 0x9C;
  public static final int SERVER_MOVED = 0x9D;
  public static final int SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E;
  public static final int CONNECTION_RATE_EXCEEDED = 0x9F;
  public static final int MAXIMUM_CONNECT_TIME = 0xA0;
  public static final int SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1;
  public static final int WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2;

  /** MQTT 3.x SUBACK failure return code. */
  public static final int V3_SUBACK_FAILURE = 0x80;

  // MQTT 3.1 / 3.1.1 CONNACK return codes.
  public static final int V3_CONNECTION_ACCEPTED = 0x00;
  public static final int V3_UNACCEPTABLE_PROTOCOL_VERSION = 0x01;
  public static final int V3_IDENTIFIER_REJECTED = 0x02;
  public static final int V3_SERVER_UNAVAILABLE = 0x03;
  public static final int V3_BAD_USER_NAME_OR_PASSWORD = 0x04;
  public static final int V3_NOT_AUTHORIZED = 0x05;

  /** True when a v5 reason code reports a failure (0x80 and above). */
  public static boolean isError(int reasonCode) {
    return reasonCode >= 0x80;
  }

  /**
   * Whether a packet of this type may carry this reason code (MQTT 5.0 tables of 3.4.2.1 PUBACK,
   * 3.5.2.1 PUBREC, 3.6.2.1 PUBREL, 3.7.2.1 PUBCOMP, 3.14.2.1 DISCONNECT, 3.15.2.1 AUTH; MQTT-3.4.2-1
   * and its like: the sender MUST use one of them). True for the other types, whose codes are not
   * checked here. A DISCONNECT code that only the other side may send (the server's 0x8E, say)
   * counts as allowed: the table is shared by both directions.
   */
  public static boolean allowedIn(PacketType type, int code) {
    switch (type) {
      case PUBACK:
      case PUBREC:
        return code == SUCCESS || code == NO_MATCHING_SUBSCRIBERS || code == UNSPECIFIED_ERROR
            || code == IMPLEMENTATION_SPECIFIC_ERROR || code == NOT_AUTHORIZED || code == TOPIC_NAME_INVALID
            || code == PACKET_IDENTIFIER_IN_USE || code == QUOTA_EXCEEDED || code == PAYLOAD_FORMAT_INVALID;
      case PUBREL:
      case PUBCOMP:
        return code == SUCCESS || code == PACKET_IDENTIFIER_NOT_FOUND;
      case DISCONNECT:
        return code == NORMAL_DISCONNECTION || code == DISCONNECT_WITH_WILL_MESSAGE
            || (code >= UNSPECIFIED_ERROR && code <= IMPLEMENTATION_SPECIFIC_ERROR) || code == NOT_AUTHORIZED
            || code == SERVER_BUSY || code == SERVER_SHUTTING_DOWN
            || (code >= KEEP_ALIVE_TIMEOUT && code <= TOPIC_NAME_INVALID)
            || (code >= RECEIVE_MAXIMUM_EXCEEDED && code <= WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
      case AUTH:
        return code == SUCCESS || code == CONTINUE_AUTHENTICATION || code == RE_AUTHENTICATE;
      default:
        return true;
    }
  }

  /**
   * The MQTT 3.x CONNACK return code closest to a v5 CONNACK reason code, as MQTT 5.0 itself
   * suggests for servers that answer older clients.
   */
  public static int toV3ConnAck(int reasonCode) {
    switch (reasonCode) {
      case SUCCESS:
        return V3_CONNECTION_ACCEPTED;
      case UNSUPPORTED_PROTOCOL_VERSION:
        return V3_UNACCEPTABLE_PROTOCOL_VERSION;
      case CLIENT_IDENTIFIER_NOT_VALID:
        return V3_IDENTIFIER_REJECTED;
      case BAD_USER_NAME_OR_PASSWORD:
      case BAD_AUTHENTICATION_METHOD:
        return V3_BAD_USER_NAME_OR_PASSWORD;
      case NOT_AUTHORIZED:
      case BANNED:
        return V3_NOT_AUTHORIZED;
      default:
        return V3_SERVER_UNAVAILABLE;
    }
  }

  /** A readable name of an MQTT 3.x CONNACK return code for logs, e.g. {@code 0x02 Identifier rejected}. */
  public static String describeV3ConnAck(int returnCode) {
    String name = switch (returnCode) {
      case V3_CONNECTION_ACCEPTED -> "Connection Accepted";
      case V3_UNACCEPTABLE_PROTOCOL_VERSION -> "unacceptable protocol version";
      case V3_IDENTIFIER_REJECTED -> "Identifier rejected";
      case V3_SERVER_UNAVAILABLE -> "Server unavailable";
      case V3_BAD_USER_NAME_OR_PASSWORD -> "bad user name or password";
      case V3_NOT_AUTHORIZED -> "not authorized";
      default -> "reserved";
    };
    return String.format("0x%02X %s", returnCode, name);
  }

  /** A readable name for logs, e.g. {@code 0x87 Not authorized}. */
  public static String describe(int reasonCode) {
    String name;
    switch (reasonCode) {
      case 0x00: name = "Success"; break;
      case 0x01: name = "Granted QoS 1"; break;
      case 0x02: name = "Granted QoS 2"; break;
      case 0x04: name = "Disconnect with Will Message"; break;
      case 0x10: name = "No matching subscribers"; break;
      case 0x11: name = "No subscription existed"; break;
      case 0x18: name = "Continue authentication"; break;
      case 0x19: name = "Re-authenticate"; break;
      case 0x80: name = "Unspecified error"; break;
      case 0x81: name = "Malformed Packet"; break;
      case 0x82: name = "Protocol Error"; break;
      case 0x83: name = "Implementation specific error"; break;
      case 0x84: name = "Unsupported Protocol Version"; break;
      case 0x85: name = "Client Identifier not valid"; break;
      case 0x86: name = "Bad User Name or Password"; break;
      case 0x87: name = "Not authorized"; break;
      case 0x88: name = "Server unavailable"; break;
      case 0x89: name = "Server busy"; break;
      case 0x8A: name = "Banned"; break;
      case 0x8B: name = "Server shutting down"; break;
      case 0x8C: name = "Bad authentication method"; break;
      case 0x8D: name = "Keep Alive timeout"; break;
      case 0x8E: name = "Session taken over"; break;
      case 0x8F: name = "Topic Filter invalid"; break;
      case 0x90: name = "Topic Name invalid"; break;
      case 0x91: name = "Packet Identifier in use"; break;
      case 0x92: name = "Packet Identifier not found"; break;
      case 0x93: name = "Receive Maximum exceeded"; break;
      case 0x94: name = "Topic Alias invalid"; break;
      case 0x95: name = "Packet too large"; break;
      case 0x96: name = "Message rate too high"; break;
      case 0x97: name = "Quota exceeded"; break;
      case 0x98: name = "Administrative action"; break;
      case 0x99: name = "Payload format invalid"; break;
      case 0x9A: name = "Retain not supported"; break;
      case 0x9B: name = "QoS not supported"; break;
      case 0x9C: name = "Use another server"; break;
      case 0x9D: name = "Server moved"; break;
      case 0x9E: name = "Shared Subscriptions not supported"; break;
      case 0x9F: name = "Connection rate exceeded"; break;
      case 0xA0: name = "Maximum connect time"; break;
      case 0xA1: name = "Subscription Identifiers not supported"; break;
      case 0xA2: name = "Wildcard Subscriptions not supported"; break;
      default: name = "Unknown";
    }
    return String.format("0x%02X %s", reasonCode, name);
  }
}
