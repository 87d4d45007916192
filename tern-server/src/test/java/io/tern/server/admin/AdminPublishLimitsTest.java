package io.tern.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A publish through the REST API is held to the limits an MQTT client's PUBLISH is held to:
 * {@code limits.max_topic_length}, {@code limits.max_topic_levels}, {@code limits.max_packet_size},
 * {@code limits.max_qos} and {@code mqtt.retain_available}; a subscription made through it, to those
 * of a SUBSCRIBE.
 */
class AdminPublishLimitsTest {
  private AdminFixture f;

  @BeforeEach
  void start() {
    f = new AdminFixture(b -> b.configure(c -> c.maxTopicLength(16).maxTopicLevels(3).maxPacketSize(256).maxQos(1)
        .retainAvailable(false)));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void aTopicOverMaxTopicLengthOrMaxTopicLevelsIsRefused() {
    assertPublished(f.call("POST", "/api/v1/publish", "{\"topic\": \"a/sixteen/chars1\"}"));
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a/seventeen/chars\"}"), "topic");
    assertPublished(f.call("POST", "/api/v1/publish", "{\"topic\": \"a/b/c\"}"));
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"a/b/c/d\"}"), "topic");
    assertError(f.call("POST", "/api/v1/publish/batch", "{\"messages\": [{\"topic\": \"a/b/c/d\"}]}"),
        "messages[0].topic");
  }

  @Test
  void aMessageWhosePublishWouldExceedMaxPacketSizeIsRefused() {
    // Topic "t", QoS 0, no properties: 1 + 2 (Remaining Length) + 3 + 1 + 249 = 256 bytes.
    assertPublished(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"payload\": \"" + "x".repeat(249) + "\"}"));
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"payload\": \"" + "x".repeat(250) + "\"}"),
        "payload");
    // The properties count too, as an MQTT 5 client would have to send them.
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"payload\": \"" + "x".repeat(240) + "\", "
        + "\"properties\": {\"content_type\": \"text/plain\"}}"), "payload");
    assertError(f.call("POST", "/api/v1/publish/batch", "{\"messages\": [{\"topic\": \"t\"}, "
        + "{\"topic\": \"t\", \"payload\": \"" + "x".repeat(250) + "\"}]}"), "messages[1].payload");
  }

  @Test
  void retainIsRefusedWhenRetainIsNotAvailable() {
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"payload\": \"x\", \"retain\": true}"),
        "retain");
    assertError(f.call("POST", "/api/v1/publish/batch",
        "{\"messages\": [{\"topic\": \"t\", \"payload\": \"x\", \"retain\": true}]}"), "messages[0].retain");
    assertThat(f.getJson("/api/v1/retained").get("total").asInt()).isZero();
    assertPublished(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"payload\": \"x\", \"retain\": false}"));
  }

  @Test
  void aQosAboveMaxQosIsRefused() {
    assertPublished(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"qos\": 1}"));
    assertError(f.call("POST", "/api/v1/publish", "{\"topic\": \"t\", \"qos\": 2}"), "qos");
  }

  @Test
  void aSubscriptionIsHeldToTheLimitsAndFeaturesOfAnMqttClientsSubscribe() {
    // Checked before the session is looked up: 404 means the filter passed.
    assertThat(f.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/+/c\"}").statusCode()).isEqualTo(404);
    assertError(f.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/b/c/d\"}"), "filter");
    assertError(f.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/seventeen/chars\"}"), "filter");
    assertError(f.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/\\u0000\"}"), "filter");
    AdminFixture off = new AdminFixture(b -> b.configure(c -> c.sharedSubscriptionsAvailable(false)
        .wildcardSubscriptionsAvailable(false)));
    try {
      assertError(off.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/#\"}"), "filter");
      assertError(off.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"$share/g/a\"}"), "filter");
      assertThat(off.call("POST", "/api/v1/subscriptions/none", "{\"filter\": \"a/b\"}").statusCode()).isEqualTo(404);
    } finally {
      off.close();
    }
  }

  private static void assertPublished(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(AdminFixture.json(r).get("published").asInt()).isEqualTo(1);
  }

  private static void assertError(HttpResponse<String> r, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode e = AdminFixture.json(r);
    assertThat(e.get("error").asText()).isEqualTo("bad_request");
    assertThat(e.get("field").asText()).as(r.body()).isEqualTo(field);
  }
}
