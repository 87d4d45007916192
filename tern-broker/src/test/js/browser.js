// A real browser against a running Tern broker, driven by BrowserWebSocketTest: headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core) loads a page served here that connects
// with MQTT.js's browser bundle (mqtt/dist/mqtt.min.js) over ws:// or wss://, subscribes and waits.
//
// Usage: node browser.js BROKER_URL TOPIC
// Prints "subscribed" once the SUBACK is in (the Java test then publishes), then one JSON line with
// the message the page received, and exits 0; or exits 1 with the error on stderr (within 20 s).
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [brokerUrl, topic] = process.argv.slice(2);
const bundle = fs.readFileSync(path.join(__dirname, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js'));

// The page: MQTT.js from its browser bundle, nothing else. It reports through window.state.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>Tern over WebSocket</title>
<script src="/mqtt.min.js"></script></head>
<body><script>
  window.state = { subscribed: false, messages: [], errors: [] };
  const params = new URLSearchParams(location.search);
  const client = mqtt.connect(params.get('url'), {
    clientId: 'browser-' + Math.random().toString(16).slice(2), protocolVersion: 4, reconnectPeriod: 0 });
  client.on('error', (e) => window.state.errors.push(String(e)));
  client.on('message', (t, payload, packet) =>
    window.state.messages.push({ topic: t, payload: new TextDecoder().decode(payload), qos: packet.qos }));
  client.on('connect', () => client.subscribe(params.get('topic'), { qos: 1 }, (err, granted) => {
    if (err) window.state.errors.push(String(err));
    else { window.state.granted = granted[0].qos; window.state.subscribed = true; }
  }));
</script></body></html>`;

function fail(e) {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
}
setTimeout(() => fail('timed out after 20 s'), 20000).unref();

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/mqtt.min.js')) {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(bundle);
  } else if (req.url === '/' || req.url.startsWith('/?')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  } else {
    res.writeHead(404);
    res.end();
  }
});

async function main() {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // wss:// to a certificate made by the test: Chromium is told not to check certificates.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--ignore-certificate-errors'],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const tab = await context.newPage();
    tab.on('pageerror', (e) => console.error('page error: ' + e));
    await tab.goto(`${origin}/?url=${encodeURIComponent(brokerUrl)}&topic=${encodeURIComponent(topic)}`);
    await tab.waitForFunction(() => window.state.subscribed || window.state.errors.length > 0, null,
      { timeout: 10000 });
    const afterSubscribe = await tab.evaluate(() => window.state);
    if (!afterSubscribe.subscribed) {
      throw new Error('the page did not subscribe: ' + afterSubscribe.errors.join('; '));
    }
    console.log('subscribed');
    await tab.waitForFunction(() => window.state.messages.length > 0 || window.state.errors.length > 0, null,
      { timeout: 10000 });
    const state = await tab.evaluate(() => window.state);
    if (state.messages.length === 0) {
      throw new Error('no message: ' + state.errors.join('; '));
    }
    const userAgent = await tab.evaluate(() => navigator.userAgent);
    console.log(JSON.stringify({ granted: state.granted, message: state.messages[0], userAgent }));
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(() => process.exit(0), fail);
