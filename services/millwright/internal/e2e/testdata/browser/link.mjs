// Link, as the end customer sees it: the form at 390 px, a wrong client
// secret (the system's reason shown), the right one by keyboard, the
// redirect to the account's app, then the used link's clear page at 1280 px.
import { launch, env, check, step, screenshot } from './lib.mjs';

const link = env('LINK_URL');
const redirect = env('REDIRECT_URL');
const baseURL = env('LIMBLE_BASE_URL');
const clientId = env('LIMBLE_CLIENT_ID');
const clientSecret = env('LIMBLE_CLIENT_SECRET');

async function noSideScroll(page, width) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scroll <= width, `the page scrolls sideways at ${width} px (${scroll} px wide)`);
}

// Phone width: the form fits, every control has a label.
{
  const { browser, page } = await launch({ width: 390, height: 844 });
  try {
    step('open the link at 390 px');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Connect your system' }).waitFor();
    check(!page.url().includes('#'), 'the secret stays in the address bar');
    const system = page.getByRole('radio', { name: 'Limble CMMS' });
    check(await system.isChecked(), 'the only allowed system is chosen');
    for (const label of ['API URL', 'Client ID', 'Client secret', 'Name for this connection']) {
      check(await page.getByLabel(label, { exact: false }).first().isVisible(), `a control labelled ${label}`);
    }
    check(await page.getByLabel('Client secret').getAttribute('type') === 'password', 'the client secret is masked');
    check(await page.getByText('Generate API Keys', { exact: false }).isVisible(), 'the fields carry their help text');
    await noSideScroll(page, 390);
    await screenshot(page, 'link-form-390');
  } finally {
    await browser.close();
  }
}

// Desktop width: the whole flow, by keyboard.
{
  const { browser, page } = await launch({ width: 1280, height: 800 });
  try {
    step('open the link at 1280 px');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Connect your system' }).waitFor();
    await page.getByLabel('API URL').fill(baseURL);
    await page.getByLabel('Client ID').fill(clientId);

    step('a wrong client secret shows the system\'s reason');
    await page.getByLabel('Client secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Connect Limble CMMS' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    check(text.includes('Limble CMMS did not accept these details'), `the error names the system: ${text}`);
    check(text.includes('Invalid client id or secret'), `the error keeps the system's reason: ${text}`);
    check(await alert.evaluate((el) => el === document.activeElement), 'the error takes the focus');
    await screenshot(page, 'link-wrong-secret');

    step('the right client secret, submitted with the keyboard');
    const secretField = page.getByLabel('Client secret');
    await secretField.fill(clientSecret);
    await secretField.focus();
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(redirect)),
      page.keyboard.press('Enter'),
    ]);
    const landed = new URL(page.url());
    check(landed.searchParams.get('code')?.startsWith('mw_lc_'), `the redirect carries a code: ${page.url()}`);
    check(landed.searchParams.get('customer') === '42', 'the redirect keeps the app\'s own query');
    check(!page.url().includes('mw_ct_'), 'no token reaches the browser');

    step('the used link shows a clear page');
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link has already been used' }).waitFor();
    check(await page.locator('form').count() === 0, 'the used link offers no form');
    await noSideScroll(page, 1280);
    await screenshot(page, 'link-used');
  } finally {
    await browser.close();
  }
}
