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

  // SCRAM-SHA-256 enhanced authentication (RFC 5802/7677, client side written here from the RFC):
  // alice/secret connects; a wrong password is refused with CONNACK 0x86.
  async scram() {
    const ok = await scramLogin('js-scram', 'alice', 'secret');
    const { client } = ok;
    await client.subscribeAsync('js/scram', { qos: 1 });
    const received = nextMessages(client, 1);
    await client.publishAsync('js/scram', 'after SCRAM', { qos: 1 });
    const [m] = await received;
    await client.endAsync();
    let refused = null;
    try {
      const bad = await scramLogin('js-scram-bad', 'alice', 'wrong');
      await bad.client.endAsync();
    } catch (e) {
      refused = e.code;
    }
    return { reasonCode: ok.connack.reasonCode || 0, method: ok.connack.properties.authenticationMethod,
      serverVerified: ok.serverVerified, payload: m.payload, wrongPassword: refused };
  },
};

function scramLogin(clientId, user, password) {
  const crypto = require('crypto');
  const nonce = crypto.randomBytes(18).toString('base64');
  const clientFirstBare = `n=${user},r=${nonce}`;
  let authMessage = null;
  let saltedPassword = null;
  const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      protocolVersion: 5, clientId, reconnectPeriod: 0,
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(`n,,${clientFirstBare}`) },
    });
    c.handleAuth = (packet, callback) => {
      const serverFirst = packet.properties.authenticationData.toString();
      const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
      if (!attrs.r.startsWith(nonce)) return callback(new Error('server nonce does not extend ours'));
      saltedPassword = crypto.pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
      const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${attrs.r}`;
      authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientKey = hmac(saltedPassword, 'Client Key');
      const signature = hmac(crypto.createHash('sha256').update(clientKey).digest(), authMessage);
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
      callback(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256',
        authenticationData: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`) } });
    };
    c.once('connect', (connack) => {
      const expected = `v=${hmac(hmac(saltedPassword, 'Server Key'), authMessage).toString('base64')}`;
      const got = connack.properties && connack.properties.authenticationData;
      resolve({ client: c, connack, serverVerified: !!got && got.toString() === expected });
    });
    c.once('error', (e) => { c.end(true); reject(e); });
  });
}

const timer = setTimeout(() => { console.error(`scenario ${scenario} timed out`); process.exit(1); }, 10000);
scenarios[scenario]()
  .then((result) => { console.log(JSON.stringify(result)); clearTimeout(timer); process.exit(0); })
  .catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
