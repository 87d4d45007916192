package io.tern.server.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import io.tern.broker.management.RetainedMessage;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the REST API shows a retained message, whose payload may be megabytes: a list holds the
 * first {@link #LIST_PAYLOAD_BYTES} of each, and a payload is written into the JSON as it is
 * encoded (text and base64), never held again as a {@code String}.
 */
final class RetainedJson {
  /**
   * Bytes of its payload a listing ({@code GET /retained}) shows of each message, its first; the
   * whole payload is {@code GET /retained/{topic}}'s. A page of 200 messages of 8 MB, each held as
   * text, base64 and in one JSON string, ran a 512 MB heap out.
   */
  static final int LIST_PAYLOAD_BYTES = 4096;

  private RetainedJson() {}

  /**
   * Bytes held by answers at once: a request may take what is left of the limit, or any amount while
   * nothing is held (so that a message larger than the limit can still be read, alone).
   */
  static final class PayloadBudget {
    private final long limit;
    private long held;

    PayloadBudget(long limit) {
      this.limit = limit;
    }

    synchronized boolean take(long bytes) {
      if (held > 0 && held + bytes > limit) {
        return false;
      }
      held += bytes;
      return true;
    }

    synchronized void give(long bytes) {
      held -= bytes;
    }
  }

  /** A retained message as the API shows it (see docs/rest-api.md). */
  static Map<String, Object> of(RetainedMessage r) {
    byte[] payload = r.payload();
    // A payload cut for a listing may end in the middle of a character: the text leaves it out.
    int textLength = r.truncated() ? wholeCharacters(payload) : payload.length;
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("topic", r.topic());
    o.put("qos", r.qos());
    o.put("payload", isUtf8(payload, textLength) ? new Utf8String(payload, textLength) : null);
    o.put("payload_base64", new Base64String(payload));
    o.put("payload_size", r.payloadSize());
    o.put("truncated", r.truncated());
    o.put("received_at", r.receivedAt() == null ? null : r.receivedAt().toString());
    o.put("message_expiry_interval", r.messageExpiryInterval());
    o.put("content_type", r.contentType());
    o.put("user_properties", r.userProperties());
    return o;
  }

  /** The length of {@code b} without a UTF-8 sequence cut short at its end. */
  static int wholeCharacters(byte[] b) {
    int n = b.length;
    for (int back = 1; back <= Math.min(4, n); back++) {
      int lead = b[n - back] & 0xFF;
      if ((lead & 0xC0) == 0x80) {
        continue; // a continuation byte: the sequence began before it
      }
      int needs = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      return needs > back ? n - back : n;
    }
    return n;
  }

  /**
   * Whether {@code b[0..length)} is well-formed UTF-8 (as the JDK's decoder reads it: no encoded
   * surrogates, no overlong forms), decoded through a small buffer: a payload may be megabytes.
   */
  static boolean isUtf8(byte[] b, int length) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b, 0, length);
    CharBuffer out = CharBuffer.allocate(Math.min(8192, Math.max(16, length)));
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        return false;
      }
      if (result.isUnderflow()) {
        return !decoder.flush(out).isError();
      }
      out.clear();
    }
  }

  /** Bytes known to be UTF-8, written as a JSON string without a {@code String} of them. */
  private record Utf8String(byte[] bytes, int length) implements JsonSerializable {
    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws java.io.IOException {
      gen.writeUTF8String(bytes, 0, length); // escapes what JSON needs escaped, as writeString does
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
        throws java.io.IOException {
      serialize(gen, serializers);
    }
  }

  /** Bytes written as a base64 JSON string, encoded piece by piece into the output. */
  private record Base64String(byte[] bytes) implements JsonSerializable {
    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws java.io.IOException {
      gen.writeBinary(bytes);
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
        throws java.io.IOException {
      serialize(gen, serializers);
    }
  }
}
