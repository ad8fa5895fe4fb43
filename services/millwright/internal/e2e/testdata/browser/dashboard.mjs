// The dashboard in a real browser, against `millwright dev` with a Maximo
// simulator (started by TestDashboard): sign in (a wrong key first), the
// connections, a connection's page and records, an outage seen without a
// reload, the request lookup of a failed request, disconnect and reconnect,
// events, a webhook endpoint and its deliveries; then the 390 px layout and
// the keyboard.
import fs from 'node:fs';
import { launch, env, check, step, screenshot } from './lib.mjs';

const url = env('MILLWRIGHT_URL');
const key = env('MILLWRIGHT_API_KEY');
const sim = env('SIMULATOR_URL');
const receiver = env('RECEIVER_URL');
const secretFile = env('SECRET_FILE');

// text waits until the element matching selector contains text.
async function text(page, selector, want, timeout = 15000) {
  await page.waitForFunction(([s, t]) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t)), [selector, want], { timeout });
}

async function rest(method, path, body) {
  const resp = await fetch(url + path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: resp.status, requestId: resp.headers.get('x-request-id'), body: await resp.json() };
}

async function fault(state) {
  const resp = await fetch(`${sim}/_sim/faults`, state ? { method: 'PUT', body: JSON.stringify(state) } : { method: 'DELETE' });
  check(resp.ok, `simulator fault ${JSON.stringify(state)}: ${resp.status}`);
}

// credits reads the credits used shown in the header.
async function creditsUsed(page) {
  return Number(await page.textContent('#credits-used'));
}

const { browser, context, page } = await launch({ width: 1280, height: 900 });
await context.grantPermissions(['clipboard-read', 'clipboard-write']);
try {
  step('a wrong key is refused with a clear message');
  await page.goto(url);
  await page.getByLabel('Account API key').fill('mw_sk_thisisnotakeythisisnotakeythisisnotakey');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await text(page, '[role=alert]', 'not accepted');
  await screenshot(page, 'dashboard-sign-in');

  step('sign in and see the demo connection, ACTIVE, and the credit pool');
  await page.getByLabel('Account API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await text(page, '#connections', 'Demo maximo');
  await text(page, '#connections .badge', 'ACTIVE');
  check(await creditsUsed(page) === 4, 'Maximo uses 4 credits of the pool');
  check(await page.evaluate(() => sessionStorage.getItem('millwright.apiKey')) === key && await page.evaluate(() => localStorage.length) === 0,
    'the key is kept in sessionStorage only');
  await page.getByLabel('Status').selectOption('DISCONNECTED');
  await text(page, '#connections', 'No connection matches');
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('System').selectOption('maximo');
  await text(page, '#connections', 'Demo maximo');
  await screenshot(page, 'dashboard-connections');

  step('create a webhook endpoint: its secret is shown once');
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByLabel('URL').fill(receiver);
  await page.getByLabel('Event types (optional)').fill('connection.status_changed, connection.disconnected, connection.created');
  await page.getByRole('button', { name: 'Create endpoint' }).click();
  const secret = (await page.locator('.secret-value').textContent()).trim();
  check(secret.startsWith('whsec_'), `the signing secret is shown: ${secret.slice(0, 8)}…`);
  fs.writeFileSync(secretFile, secret);
  await text(page, '#endpoints', receiver);
  await screenshot(page, 'dashboard-webhooks');

  step('a connection: sync status, runs, records with remote_data');
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('link', { name: 'Demo maximo' }).click();
  const connection = decodeURIComponent(page.url().split('#/connections/')[1]);
  await text(page, '#conn-title', 'ACTIVE');
  await text(page, 'table', 'workOrders');
  await page.getByRole('button', { name: /^workOrders \(\d+\)/ }).click();
  await page.locator('#records button.link').first().click();
  await text(page, '#record', 'remote_data');
  check(await page.locator('#record pre').count() === 2, 'the record shows its unified fields and remote_data');
  check(await page.evaluate(() => document.documentElement.scrollWidth) <= 1280, 'nothing is wider than the window');
  await screenshot(page, 'dashboard-connection');

  step('the system goes down: UNREACHABLE appears without a reload');
  await page.evaluate(() => { window.notReloaded = true; });
  await fault({ mode: 'down' });
  await page.getByRole('button', { name: 'Sync now' }).click();
  await text(page, '#conn-title', 'UNREACHABLE', 45000);
  await text(page, '#h-history + *', 'UNREACHABLE');
  check(await page.evaluate(() => window.notReloaded === true), 'the page was not reloaded');
  const failed = await rest('GET', `/v1/connections/${connection}/workOrders?consistency=LIVE&page_size=1`);
  check(failed.status === 503 && failed.requestId, `a live read during the outage fails with 503: ${failed.status}`);
  await screenshot(page, 'dashboard-unreachable');
  await fault(null);

  step('disconnect through the confirmation: DISCONNECTED, credits return');
  await page.getByRole('button', { name: 'Disconnect…' }).click();
  const dialog = page.getByRole('dialog');
  for (const promise of ['token stops working', 'syncs and workflows stop', 'credits return to your pool', 'data synced so far is kept']) {
    await text(page, 'dialog', promise);
  }
  await screenshot(page, 'dashboard-disconnect-confirmation');
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await text(page, '#conn-title', 'DISCONNECTED');
  await page.waitForFunction(() => document.querySelector('#credits-used')?.textContent === '0');
  check(await page.getByRole('button', { name: 'Delete data…' }).isVisible(), 'delete data is offered once disconnected');

  step('reconnect: a new connection and its token, shown once, with a copy button');
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await page.waitForFunction((old) => !location.hash.endsWith(old), connection);
  const reconnected = decodeURIComponent(page.url().split('#/connections/')[1]);
  const token = (await page.locator('.secret-value').textContent()).trim();
  check(token.startsWith('mw_ct_'), 'the new token is shown');
  await page.getByRole('button', { name: 'Copy connection token' }).click();
  check(await page.evaluate(() => navigator.clipboard.readText()) === token, 'the copy button copies the token');
  await text(page, '#conn-title', 'ACTIVE', 30000);
  await page.waitForFunction(() => document.querySelector('#credits-used')?.textContent === '4');
  await screenshot(page, 'dashboard-reconnected');
  await page.reload();
  await text(page, '#conn-title', 'Demo maximo');
  check(await page.locator('.secret-value').count() === 0, 'the token is not shown a second time');

  step('rotate the new connection\'s token: the new one is shown once');
  await page.getByRole('button', { name: 'Rotate token' }).click();
  await text(page, 'dialog', 'current token stops working at once');
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate token' }).click();
  await page.locator('.secret-value').waitFor();
  const rotated = (await page.locator('.secret-value').textContent()).trim();
  check(rotated.startsWith('mw_ct_') && rotated !== token, 'a different token is shown');

  step('delete the old connection\'s data, with a typed confirmation');
  await page.getByRole('link', { name: connection }).click();
  await text(page, '#conn-title', 'DISCONNECTED');
  await page.getByRole('button', { name: 'Delete data…' }).click();
  const confirmDelete = page.getByRole('dialog').getByRole('button', { name: 'Delete data' });
  check(await confirmDelete.isDisabled(), 'delete waits for the typed confirmation');
  await page.getByLabel('Type Demo maximo to confirm').fill('Demo maximo');
  await confirmDelete.click();
  await text(page, '#messages', 'Deleting');
  await text(page, 'main', 'This connection is gone', 30000);

  step('the request lookup finds the failed request');
  await page.getByRole('link', { name: 'Request lookup' }).click();
  await page.getByLabel('Request id').fill(failed.requestId);
  await page.getByRole('button', { name: 'Look up' }).click();
  await text(page, '#request-status', '503 CONNECTED_SYSTEM_UNAVAILABLE');
  await text(page, '#request', `GET /v1/connections/${connection}/workOrders`);
  await screenshot(page, 'dashboard-request-lookup');

  step('events, filtered by type and connection');
  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByLabel('Type').selectOption('connection.disconnected');
  await text(page, '#events', 'credits_returned');
  await page.getByLabel('Type').selectOption('connection.created');
  await page.getByLabel('Connection').selectOption(reconnected);
  await text(page, '#events', `"previous_connection":"${connection}"`);
  await screenshot(page, 'dashboard-events');

  step('the webhook endpoint\'s deliveries, every attempt, and a retry');
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('link', { name: 'Deliveries' }).click();
  await text(page, '#deliveries', 'HTTP 200', 30000);
  await text(page, '#deliveries', 'connection.disconnected');
  const retries = page.getByRole('button', { name: /^Retry the delivery/ });
  const attemptsBefore = await page.locator('ol.attempts li').count();
  await retries.first().click();
  await page.waitForFunction((n) => document.querySelectorAll('ol.attempts li').length > n, attemptsBefore, { timeout: 15000 });
  await screenshot(page, 'dashboard-deliveries');

  step('disable, then delete the endpoint');
  await page.getByRole('link', { name: '← Webhooks' }).click();
  await page.getByRole('button', { name: 'Disable' }).click();
  await text(page, '#endpoints .badge', 'DISABLED');
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete endpoint' }).click();
  await text(page, '#endpoints', 'No endpoint yet');

  step('sign out forgets the key');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Account API key').waitFor();
  check(await page.evaluate(() => sessionStorage.length) === 0, 'the key is gone');
} finally {
  await browser.close();
}

step('390 px: signed in by keyboard alone, nothing wider than the screen, every control labelled');
const narrow = await launch({ width: 390, height: 844 });
try {
  const p = narrow.page;
  await p.goto(url);
  await p.getByLabel('Account API key').waitFor();
  check(await p.evaluate(() => document.activeElement?.id) === 'api-key', 'the key field has the focus');
  await p.keyboard.type(key);
  await p.keyboard.press('Enter');
  await text(p, '#connections', 'Demo maximo');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await p.keyboard.press('Tab');
    reached = await p.evaluate(() => document.activeElement?.textContent === 'Webhooks');
  }
  check(reached, 'Tab reaches the navigation');
  await p.keyboard.press('Enter');
  await p.getByLabel('URL').waitFor();
  for (const route of ['#/webhooks', '#/events', '#/requests', '#/connections']) {
    await p.goto(url + route);
    await p.locator('main h1').waitFor();
    await p.waitForTimeout(300); // the lists fill in
    const unlabelled = await p.evaluate(() => [...document.querySelectorAll('input, select, button')]
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
      .map((el) => el.outerHTML.slice(0, 80)));
    check(unlabelled.length === 0, `${route}: unlabelled controls ${unlabelled.join(', ')}`);
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 390, `${route}: the page is ${width} px wide at 390 px`);
  }
  await screenshot(p, 'dashboard-connections-390');
  await p.getByRole('link', { name: 'Demo maximo' }).click();
  await text(p, 'main', 'workOrders');
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, `a connection's page is ${width} px wide at 390 px`);
  await screenshot(p, 'dashboard-connection-390');
} finally {
  await narrow.browser.close();
}
console.log('ok');
