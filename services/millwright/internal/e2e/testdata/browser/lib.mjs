// Shared helpers of the browser tests: launch Debian's Chromium headless
// through playwright-core, check, and save screenshots as CI artifacts.
import { chromium } from 'playwright-core';
import path from 'node:path';

// launch starts headless Chromium with the flags this closed network needs
// and returns { browser, page } with a page of the given width.
export async function launch({ width = 1280, height = 800 } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
  return { browser, context, page };
}

// env returns a required environment variable.
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

// screenshot saves the page as <name>.png in MILLWRIGHT_ARTIFACTS.
export async function screenshot(page, name) {
  const dir = process.env.MILLWRIGHT_ARTIFACTS;
  if (!dir) return;
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// check throws with message unless cond holds.
export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

// step logs a step of the scenario, so a failure shows how far it got.
export function step(name) {
  console.log(`- ${name}`);
}
