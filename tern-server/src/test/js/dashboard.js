// Drives the admin dashboard in headless Chromium, as an operator would:
//   node dashboard.js BASE_URL USER PASSWORD VICTIM_CLIENT_ID TOPIC PAYLOAD
// logs in, finds the connected client VICTIM in the clients table, disconnects it with its button,
// then publishes PAYLOAD to TOPIC with the publish form. Prints a JSON summary; exits 1 on failure.
'use strict';
const { chromium } = require('playwright-core');

const [base, user, password, victim, topic, payload] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const result = {};
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    const notFound = []; // any asset the page asks for and does not get (a 404 shows in the console)
    page.on('response', r => { if (r.status() === 404) notFound.push(r.url()); });
    await page.goto(base + '/dashboard/');

    // A wrong password is refused on the page, without the browser's own dialog.
    await page.fill('#login-user', user);
    await page.fill('#login-password', password + '-wrong');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
    result.wrongPasswordMessage = await page.textContent('#login-error');

    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])');
    result.loginFormHidden = !(await page.isVisible('#login'));
    await page.waitForFunction(() => document.querySelector('#stat-connections').textContent !== '-');
    result.connectionsShown = Number(await page.textContent('#stat-connections'));

    await page.click('nav a[data-tab=clients]');
    const row = `#clients-table tr[data-client="${victim}"]`;
    await page.waitForSelector(row + ' .client-disconnect');
    result.victimState = (await page.textContent(row + ' td:nth-child(5)')).trim();
    await page.click(row + ' .client-disconnect');
    await page.waitForFunction(() => document.querySelector('#flash').textContent.startsWith('Disconnected'));
    // A non-persistent session ends with its connection: the row goes.
    await page.waitForSelector(row, { state: 'detached' });
    result.victimGone = true;

    await page.click('nav a[data-tab=publish]');
    await page.fill('#publish-topic', topic);
    await page.fill('#publish-payload', payload);
    await page.selectOption('#publish-qos', '1');
    await page.click('#publish-submit');
    await page.waitForFunction(() => document.querySelector('#publish-result').textContent.startsWith('Published'));
    result.published = await page.textContent('#publish-result');
    result.pageErrors = errors;
    result.notFound = notFound;
    console.log(JSON.stringify(result));
  } catch (e) {
    console.error(String(e && e.stack || e));
    console.log(JSON.stringify(result));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
