// Link, as the end customer sees it. At 390 px: pick a system among two by
// keyboard, its fields with help text, its ways to sign in. At 1280 px: a
// wrong client secret (the system's reason shown), the right one by
// keyboard, the redirect to the account's app, then the used link's clear
// page; at 390 px again, an expired link's clear page.
import { launch, env, check, step, screenshot } from './lib.mjs';

const pick = env('PICK_URL');
const link = env('LINK_URL');
const redirect = env('REDIRECT_URL');
const baseURL = env('LIMBLE_BASE_URL');
const clientId = env('LIMBLE_CLIENT_ID');
const clientSecret = env('LIMBLE_CLIENT_SECRET');
const expiring = env('EXPIRING_URL');
const expireTime = Date.parse(env('EXPIRE_TIME'));

async function noSideScroll(page, width) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scroll <= width, `the page scrolls sideways at ${width} px (${scroll} px wide)`);
}

// tabTo presses Tab until the focus is on the element, proving the keyboard
// reaches it.
async function tabTo(page, locator, what) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await locator.evaluate((el) => el === document.activeElement)) return;
  }
  check(false, `Tab never reaches ${what}`);
}

const { browser, page: phone } = await launch({ width: 390, height: 844 });
try {
  step('390 px: the link offers its two systems, none chosen yet');
  await phone.goto(pick);
  const maximo = phone.getByRole('radio', { name: 'IBM Maximo' });
  await maximo.waitFor();
  check(!phone.url().includes('#'), 'the secret leaves the address bar');
  check(await phone.getByRole('radio').count() === 2, 'two systems to pick from');
  check(!(await maximo.isChecked()), 'no system is chosen before the customer picks');
  check(await phone.getByRole('button', { name: 'Connect' }).isDisabled(), 'Connect waits for a system');

  step('pick IBM Maximo by keyboard: its settings, help text and ways to sign in');
  await tabTo(phone, maximo, 'the first system');
  await phone.keyboard.press('Space');
  check(await maximo.isChecked(), 'Space picks the focused system');
  check(await phone.getByLabel('Server URL').isVisible(), 'Maximo\'s Server URL field');
  check(await phone.getByText('the API is under /maximo/api/os/', { exact: false }).isVisible(), 'the field\'s help text');
  const apiKey = phone.getByRole('textbox', { name: 'API key', exact: true });
  const password = phone.getByRole('textbox', { name: 'Password', exact: true });
  check(await apiKey.isVisible() && !(await password.isVisible()), 'one way to sign in at a time: the API key first');
  check(await apiKey.getAttribute('type') === 'password', 'the API key is masked');
  const byUser = phone.getByRole('radio', { name: 'User name and password' });
  await phone.getByRole('radio', { name: 'API key' }).focus();
  await phone.keyboard.press('ArrowDown');
  check(await byUser.isChecked(), 'the arrow keys switch the way to sign in');
  check(await password.isVisible() && await password.getAttribute('type') === 'password', 'the password field, masked');
  await tabTo(phone, phone.getByRole('button', { name: 'Connect IBM Maximo' }), 'the Connect button');
  await noSideScroll(phone, 390);
  await screenshot(phone, 'link-pick-390');

  step('1280 px: open the link for Limble, the only system, chosen already');
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await desk.goto(link);
  const limble = desk.getByRole('radio', { name: 'Limble CMMS' });
  await limble.waitFor();
  check(await limble.isChecked(), 'the only allowed system is chosen');
  check(await desk.getByText('Generate API Keys', { exact: false }).isVisible(), 'the fields carry their help text');

  step('missing fields are named beside each field');
  await desk.getByRole('button', { name: 'Connect Limble CMMS' }).click();
  const missing = desk.getByRole('alert').filter({ hasText: 'Please check the highlighted fields' });
  await missing.waitFor();
  check((await missing.innerText()).includes('Check API URL, Client ID, Client secret.'), `the summary names the fields: ${await missing.innerText()}`);
  const apiURL = desk.getByLabel('API URL');
  check(await apiURL.getAttribute('aria-invalid') === 'true', 'the empty API URL is marked invalid');
  const described = await apiURL.evaluate((el) => el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '));
  check(described.includes('API URL is required'), `the API URL's error is tied to it: ${described}`);
  await screenshot(desk, 'link-missing-fields');

  await apiURL.fill(baseURL);
  await desk.getByLabel('Client ID').fill(clientId);

  step('a wrong client secret shows the system\'s reason');
  await desk.getByLabel('Client secret').fill('not-the-secret');
  await desk.getByRole('button', { name: 'Connect Limble CMMS' }).click();
  const alert = desk.getByRole('alert');
  await alert.waitFor();
  const text = await alert.innerText();
  check(text.includes('Limble CMMS did not accept these details'), `the error names the system: ${text}`);
  check(text.includes('Invalid client id or secret'), `the error keeps the system's reason: ${text}`);
  check(await alert.evaluate((el) => el === document.activeElement), 'the error takes the focus');
  await screenshot(desk, 'link-wrong-secret');

  step('the right client secret, submitted with the keyboard');
  const secretField = desk.getByLabel('Client secret');
  await secretField.fill(clientSecret);
  await secretField.focus();
  await Promise.all([
    desk.waitForURL((u) => u.href.startsWith(redirect)),
    desk.keyboard.press('Enter'),
  ]);
  const landed = new URL(desk.url());
  check(landed.searchParams.get('code')?.startsWith('mw_lc_'), `the redirect carries a code: ${desk.url()}`);
  check(landed.searchParams.get('customer') === '42', 'the redirect keeps the app\'s own query');
  check(!desk.url().includes('mw_ct_'), 'no token reaches the browser');

  step('back from the app, and the link opened again: a clear page');
  await desk.goBack();
  await desk.getByRole('heading', { name: 'This link has already been used' }).waitFor();
  await desk.goto(link);
  await desk.getByRole('heading', { name: 'This link has already been used' }).waitFor();
  check(await desk.locator('form').count() === 0, 'the used link offers no form');
  await noSideScroll(desk, 1280);
  await screenshot(desk, 'link-used');

  step('390 px: an expired link shows a clear page');
  const left = expireTime - Date.now();
  if (left > 0) await phone.waitForTimeout(left + 50); // the flow above usually outlasts it
  await phone.goto(expiring);
  await phone.getByRole('heading', { name: 'This link has expired' }).waitFor();
  check(await phone.locator('form').count() === 0, 'the expired link offers no form');
  await noSideScroll(phone, 390);
  await screenshot(phone, 'link-expired-390');
} finally {
  await browser.close();
}
