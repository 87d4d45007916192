// MQTT.js (protocolVersion 5) against a running Tern broker, driven by MqttJsTest.
// Usage: node scenarios.js PORT SCENARIO. Prints one JSON line with what the clients saw; exits 0,
// or 1 with the error on stderr. Every scenario ends within 10 s.
'use strict';
const mqtt = require('mqtt');

const [port, scenario] = process.argv.slice(2);
const url = `mqtt://127.0.0.1:${port}`;

function connect(clientId, extra = {}, onMessage = null) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 5, clientId, reconnectPeriod: 0, ...extra });
    if (onMessage) c.on('message', onMessage); // before CONNACK: queued messages follow it at once
    c.once('connect', (connack) => resolve({ client: c, connack }));
    c.once('error', reject);
  });
}

function nextMessages(client, n) {
  return new Promise((resolve) => {
    const got = [];
    client.on('message', (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), properties: packet.properties || {} });
      if (got.length === n) resolve(got);
    });
  });
}

const scenarios = {
  async properties() {
    const { client: sub } = await connect('js-sub');
    await sub.subscribeAsync('js/t', { qos: 1 });
    const received = nextMessages(sub, 1);
    const { client: pub } = await connect('js-pub');
    await pub.publishAsync('js/t', 'hello', {
      qos: 1,
      properties: {
        userProperties: { trace: 'abc' },
        contentType: 'text/plain',
        responseTopic: 'js/reply',
        correlationData: Buffer.from([1, 2, 3]),
        messageExpiryInterval: 60,
        payloadFormatIndicator: true,
      },
    });
    const [m] = await received;
    await Promise.all([sub.endAsync(), pub.endAsync()]);
    return {
      payload: m.payload,
      userProperties: m.properties.userProperties,
      contentType: m.properties.contentType,
      responseTopic: m.properties.responseTopic,
      correlationData: [...m.properties.correlationData],
      messageExpiryInterval: m.properties.messageExpiryInterval,
    };
  },

  async shared() {
    const { client: a } = await connect('js-a');
    const { client: b } = await connect('js-b');
    await a.subscribeAsync('$share/g/js/work', { qos: 1 });
    await b.subscribeAsync('$share/g/js/work', { qos: 1 });
    let toA = 0;
    let toB = 0;
    const all = new Promise((resolve) => {
      const check = () => { if (toA + toB === 4) resolve(); };
      a.on('message', () => { toA++; check(); });
      b.on('message', () => { toB++; check(); });
    });
    const { client: pub } = await connect('js-pub');
    for (let i = 0; i < 4; i++) await pub.publishAsync('js/work', `w${i}`, { qos: 1 });
    await all;
    await Promise.all([a.endAsync(), b.endAsync(), pub.endAsync()]);
    return { toA, toB };
  },

  async topicAliases() {
    // The subscriber allows 2 aliases: the broker uses them; MQTT.js resolves them to topics.
    const { client: sub } = await connect('js-sub', { properties: { topicAliasMaximum: 2 } });
    await sub.subscribeAsync('js/a/#', { qos: 0 });
    const topics = ['js/a/1', 'js/a/2', 'js/a/1', 'js/a/3', 'js/a/1', 'js/a/2'];
    const received = nextMessages(sub, topics.length);
    const { client: pub } = await connect('js-pub');
    for (const t of topics) await pub.publishAsync(t, t, { qos: 1 });
    const got = await received;
    await Promise.all([sub.endAsync(), pub.endAsync()]);
    return { topics: got.map((m) => m.topic), payloads: got.map((m) => m.payload) };
  },

  async sessionExpiry() {
    const opts = { clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await connect('js-keeper', opts);
    await first.client.subscribeAsync('js/q', { qos: 1 });
    await first.client.endAsync();
    const { client: pub } = await connect('js-pub');
    await pub.publishAsync('js/q', 'queued', { qos: 1 });
    await pub.endAsync();
    let resolveMessage;
    const message = new Promise((resolve) => { resolveMessage = resolve; });
    const again = await connect('js-keeper', opts, (topic, payload) => resolveMessage(payload.toString()));
    const payload = await message;
    await again.client.endAsync();
    return { firstSessionPresent: first.connack.sessionPresent, sessionPresent: again.connack.sessionPresent,
      payload };
  },
};

const timer = setTimeout(() => { console.error(`scenario ${scenario} timed out`); process.exit(1); }, 10000);
scenarios[scenario]()
  .then((result) => { console.log(JSON.stringify(result)); clearTimeout(timer); process.exit(0); })
  .catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
