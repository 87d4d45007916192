// Drives the admin dashboard in headless Chromium on a client and a retained topic whose name has a
// ".." level, beside the one it would resolve to:
//   node dashboard-dots.js BASE_URL USER PASSWORD DOTS_ID
// with clients DOTS_ID and its resolved twin connected, and a retained message on each name. Opens
// DOTS_ID's details, turns its tracing on, subscribes it and unsubscribes it with the detail's form,
// deletes its retained message and disconnects it with their buttons. Prints a JSON summary with
// every API request the page made; exits 1 on failure.
'use strict';
const { chromium } = require('playwright-core');

const [base, user, password, dots] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const result = { requests: [] };
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    page.on('request', r => { if (r.url().includes('/api/v1/')) result.requests.push(r.method() + ' ' + r.url()); });
    await page.goto(base + '/dashboard/');
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])');

    await page.click('nav a[data-tab=clients]');
    const row = `#clients-table tr[data-client="${dots}"]`;
    await page.click(row + ' .client-open');
    await page.waitForSelector('#client-detail:not([hidden])');
    result.detailId = await page.textContent('#detail-id');
    result.detailFields = await page.textContent('#detail-fields');

    const traced = page.waitForResponse(r => r.url().endsWith('/api/v1/trace'));
    await page.click('#detail-trace');
    result.traceStatus = (await traced).status();

    await page.fill('#subscribe-filter', 'dots/#');
    await page.click('#subscribe-form button[type=submit]');
    const subscription = '#detail-subscriptions tr[data-filter="dots/#"]';
    await page.waitForSelector(subscription);
    result.subscribed = true;
    await page.click(subscription + ' .unsubscribe');
    await page.waitForSelector(subscription, { state: 'detached' });
    result.unsubscribed = true;

    await page.click('nav a[data-tab=retained]');
    const retained = `#retained-table tr[data-topic="${dots}"]`;
    await page.click(retained + ' .retained-delete');
    await page.waitForSelector(retained, { state: 'detached' });
    result.retainedShown = await page.$$eval('#retained-table tr[data-topic]', rows => rows.map(r => r.dataset.topic));

    await page.click('nav a[data-tab=clients]');
    await page.click(row + ' .client-disconnect');
    await page.waitForFunction(() => document.querySelector('#flash').textContent.startsWith('Disconnected'));
    // The refresh after it finds the client gone and closes its open detail; the flash still says
    // what was done (it said "no client" once the detail's refresh raced it).
    await page.waitForSelector(row, { state: 'detached' });
    await page.waitForSelector('#client-detail', { state: 'hidden' });
    result.flash = await page.textContent('#flash');
    result.pageErrors = errors;
    console.log(JSON.stringify(result));
  } catch (e) {
    console.error(String(e && e.stack || e));
    console.log(JSON.stringify(result));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
