package io.tern.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** MQTT 5.0 end to end with the Eclipse Paho Java v5 client. */
@Timeout(30)
class PahoV5Test {
  @RegisterExtension final TestBroker tb = new TestBroker();
  private final List<MqttClient> clients = new ArrayList<>();

  /** What one client received, in order. */
  record Received(String topic, MqttMessage message) {
    String text() {
      return new String(message.getPayload(), StandardCharsets.UTF_8);
    }
  }

  static final class Inbox implements MqttCallback {
    final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();

    Received next() throws InterruptedException {
      Received r = messages.poll(5, TimeUnit.SECONDS);
      assertThat(r).as("a message within 5 s").isNotNull();
      return r;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      messages.add(new Received(topic, message));
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {}

    @Override
    public void mqttErrorOccurred(MqttException exception) {}

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }

  @AfterEach
  void closeAll() {
    for (MqttClient c : clients) {
      try {
        if (c.isConnected()) {
          c.disconnect();
        }
        c.close();
      } catch (MqttException e) {
        // the broker may be gone already
      }
    }
  }

  private MqttClient client(String id, Inbox inbox) throws MqttException {
    MqttClient c = new MqttClient(tb.uri(), id, new MemoryPersistence());
    c.setCallback(inbox);
    clients.add(c);
    return c;
  }

  private static MqttConnectionOptions clean() {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    return o;
  }

  private static MqttMessage message(String text, int qos) {
    MqttMessage m = new MqttMessage(text.getBytes(StandardCharsets.UTF_8));
    m.setQos(qos);
    return m;
  }

  @Test
  void aMessageOf20MegabytesGoesThroughWithTheDefaultLimits() throws Exception {
    tb.start(); // no max_packet_size of its own: what MQTT can express, as Mosquitto and HiveMQ CE
    Inbox inbox = new Inbox();
    MqttClient sub = client("big-sub", inbox);
    sub.connect(clean());
    sub.subscribe("big/file", 1);
    MqttClient pub = client("big-pub", new Inbox());
    pub.connect(clean());
    byte[] payload = new byte[20 * 1024 * 1024];
    new java.util.Random(7).nextBytes(payload);
    MqttMessage m = new MqttMessage(payload);
    m.setQos(1);
    pub.publish("big/file", m);
    assertThat(inbox.next().message().getPayload()).as("the payload, byte for byte").isEqualTo(payload);
  }

  @Test
  void largeAndSmallMessagesReachSeveralSubscribersWholeAndInOrder() throws Exception {
    tb.start(); // payloads from 64 KiB go out as one shared copy per event loop (SharedPayloads)
    List<Inbox> inboxes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Inbox inbox = new Inbox();
      MqttClient sub = client("mixed-sub-" + i, inbox);
      sub.connect(clean());
      sub.subscribe("mixed/#", i % 2); // QoS 0 and 1 subscribers: packets with and without an id
      inboxes.add(inbox);
    }
    MqttClient pub = client("mixed-pub", new Inbox());
    pub.connect(clean());
    java.util.Random random = new java.util.Random(11);
    List<byte[]> sent = new ArrayList<>();
    for (int size : new int[] {10, 1024 * 1024, 20, 64 * 1024, 3 * 1024 * 1024 + 7, 30}) {
      byte[] payload = new byte[size];
      random.nextBytes(payload);
      sent.add(payload);
      MqttMessage m = new MqttMessage(payload);
      m.setQos(1);
      pub.publish("mixed/" + size, m);
    }
    for (Inbox inbox : inboxes) {
      for (byte[] expected : sent) {
        Received got = inbox.next();
        assertThat(got.topic()).isEqualTo("mixed/" + expected.length);
        assertThat(got.message().getPayload()).as("payload of %s", got.topic()).isEqualTo(expected);
      }
    }
  }

  @Test
  void requestResponsePropertiesAreForwardedUnchanged() throws Exception {
    tb.start();
    Inbox serverInbox = new Inbox();
    MqttClient server = client("responder", serverInbox);
    server.connect(clean());
    server.subscribe("service/request", 1);
    Inbox clientInbox = new Inbox();
    MqttClient requester = client("requester", clientInbox);
    requester.connect(clean());
    requester.subscribe("service/reply/requester", 1);

    MqttMessage request = message("{\"q\":1}", 1);
    MqttProperties props = new MqttProperties();
    props.setContentType("application/json");
    props.setResponseTopic("service/reply/requester");
    props.setCorrelationData(new byte[] {4, 2});
    props.setPayloadFormat(true);
    props.setUserProperties(List.of(new UserProperty("trace", "abc"), new UserProperty("trace", "def")));
    request.setProperties(props);
    requester.publish("service/request", request);

    Received got = serverInbox.next();
    MqttProperties p = got.message().getProperties();
    assertThat(p.getContentType()).isEqualTo("application/json");
    assertThat(p.getResponseTopic()).isEqualTo("service/reply/requester");
    assertThat(p.getCorrelationData()).containsExactly(4, 2);
    assertThat(p.getPayloadFormat()).isTrue();
    assertThat(p.getUserProperties()).extracting(UserProperty::getValue).containsExactly("abc", "def");

    MqttMessage reply = message("answer", 1);
    MqttProperties rp = new MqttProperties();
    rp.setCorrelationData(p.getCorrelationData());
    reply.setProperties(rp);
    server.publish(p.getResponseTopic(), reply);
    Received answer = clientInbox.next();
    assertThat(answer.text()).isEqualTo("answer");
    assertThat(answer.message().getProperties().getCorrelationData()).containsExactly(4, 2);
  }

  @Test
  void emptyClientIdGetsAnAssignedIdentifier() throws Exception {
    tb.start();
    MqttClient c = client("", new Inbox());
    IMqttToken token = c.connectWithResult(clean());
    assertThat(token.getResponseProperties().getAssignedClientIdentifier()).startsWith("tern-");
  }

  @Test
  void persistentSessionResumesWithinItsExpiryInterval() throws Exception {
    tb.start();
    Inbox inbox = new Inbox();
    MqttClient sub = client("keeper", inbox);
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(false);
    o.setSessionExpiryInterval(60L);
    sub.connect(o);
    sub.subscribe("queue/#", 1);
    sub.disconnect();
    MqttClient pub = client("pub", new Inbox());
    pub.connect(clean());
    pub.publish("queue/1", message("kept for you", 1));
    IMqttToken t = sub.connectWithResult(o);
    assertThat(t.getSessionPresent()).isTrue();
    assertThat(inbox.next().text()).isEqualTo("kept for you");
  }

  /**
   * Paho uses topic aliases towards the broker when the CONNACK allows them; the broker resolves
   * them. (Aliases from the broker to Paho are tested with the HiveMQ client: Paho 1.2.5 hands an
   * aliased message to its callback with an empty topic, eclipse-paho/paho.mqtt.java#866.)
   */
  @Test
  void topicAliasesFromPahoAreResolved() throws Exception {
    tb.start(b -> b.topicAliasMaximum(2));
    Inbox inbox = new Inbox();
    MqttClient sub = client("sub", inbox);
    sub.connect(clean());
    sub.subscribe("sensors/#", 0);
    MqttClient pub = client("pub", new Inbox());
    pub.connect(clean());
    String[] topics = {"sensors/a", "sensors/b", "sensors/a", "sensors/c", "sensors/a", "sensors/b"};
    for (String t : topics) {
      pub.publish(t, message(t, 1));
    }
    for (String t : topics) {
      Received r = inbox.next();
      assertThat(r.topic()).isEqualTo(t);
      assertThat(r.text()).isEqualTo(t);
    }
    assertThat(pub.isConnected()).isTrue();
  }

  @Test
  void sharedSubscriptionSplitsMessagesBetweenMembers() throws Exception {
    tb.start();
    Inbox a = new Inbox();
    Inbox b = new Inbox();
    MqttClient ca = client("worker-a", a);
    ca.connect(clean());
    ca.subscribe("$share/workers/jobs", 1);
    MqttClient cb = client("worker-b", b);
    cb.connect(clean());
    cb.subscribe("$share/workers/jobs", 1);
    MqttClient pub = client("pub", new Inbox());
    pub.connect(clean());
    for (int i = 0; i < 6; i++) {
      pub.publish("jobs", message("job" + i, 1));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> a.messages.size() + b.messages.size() == 6);
    assertThat(a.messages).hasSize(3);
    assertThat(b.messages).hasSize(3);
  }

  @Test
  void willIsPublishedAfterItsDelay() throws Exception {
    tb.start();
    Inbox watcher = new Inbox();
    MqttClient w = client("watcher", watcher);
    w.connect(clean());
    w.subscribe("status/#", 1);
    MqttClient dying = client("dying", new Inbox());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(false);
    o.setSessionExpiryInterval(60L);
    o.setWill("status/dying", message("offline", 1));
    MqttProperties willProps = new MqttProperties();
    willProps.setWillDelayInterval(1L);
    willProps.setContentType("text/plain");
    o.setWillMessageProperties(willProps);
    dying.connect(o);
    long lost = System.nanoTime();
    dying.disconnectForcibly(0, 1000, false); // no DISCONNECT: the will applies
    Received will = watcher.next();
    assertThat(will.text()).isEqualTo("offline");
    assertThat(will.message().getProperties().getContentType()).isEqualTo("text/plain");
    assertThat(System.nanoTime() - lost).as("not before the delay").isGreaterThanOrEqualTo(900_000_000L);
  }

  /**
   * Paho reads the broker's limits from CONNACK. (It enforces the Receive Maximum itself by refusing
   * a publish beyond it, error 32202, so the broker's 0x93 is tested with raw sockets.)
   */
  @Test
  void pahoLearnsTheBrokersLimitsFromConnAck() throws Exception {
    tb.start(b -> b.receiveMaximum(2).topicAliasMaximum(7).maxQos(1).serverKeepAlive(20));
    MqttClient c = client("c", new Inbox());
    IMqttToken t = c.connectWithResult(clean());
    MqttProperties p = t.getResponseProperties();
    assertThat(p.getReceiveMaximum()).isEqualTo(2);
    assertThat(p.getTopicAliasMaximum()).isEqualTo(7);
    assertThat(p.getMaximumQoS()).isEqualTo(1);
    assertThat(p.getServerKeepAlive()).isEqualTo(20);
    assertThat(p.isSharedSubscriptionAvailable()).isTrue();
  }

  @Test
  void noLocalSubscriptionSkipsOwnMessages() throws Exception {
    tb.start();
    Inbox inbox = new Inbox();
    MqttClient c = client("chatty", inbox);
    c.connect(clean());
    org.eclipse.paho.mqttv5.common.MqttSubscription s = new org.eclipse.paho.mqttv5.common.MqttSubscription("chat", 1);
    s.setNoLocal(true);
    c.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {s});
    c.publish("chat", message("mine", 1));
    MqttClient other = client("other", new Inbox());
    other.connect(clean());
    other.publish("chat", message("theirs", 1));
    assertThat(inbox.next().text()).isEqualTo("theirs");
  }
}
