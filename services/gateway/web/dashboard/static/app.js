// The dashboard's shell: sign in, navigation by URL hash, the credit pool in
// the header, and polling so statuses change on screen without a reload.
import { api, session, onUnauthorized, ApiError } from './api.js';
import { h, fill, errorBox, field } from './ui.js';
import { connectionsView } from './connections.js';
import { connectionView } from './connection.js';
import { webhooksView, webhookView } from './webhooks.js';
import { eventsView } from './events.js';
import { requestsView } from './requests.js';

// pollEvery is how often the current page refreshes its data.
const pollEvery = 3000;

const routes = [
  [/^#\/connections\/([^/?]+)$/, connectionView, 'connections'],
  [/^#\/connections\/?$/, connectionsView, 'connections'],
  [/^#\/webhooks\/([^/?]+)$/, webhookView, 'webhooks'],
  [/^#\/webhooks\/?$/, webhooksView, 'webhooks'],
  [/^#\/events\/?$/, eventsView, 'events'],
  [/^#\/requests(?:\/([^/?]+))?\/?$/, requestsView, 'requests'],
];

const main = document.getElementById('main');
const header = document.querySelector('header.top');
const credits = document.getElementById('credits');
let current = null; // { refresh() } of the page on screen
let generation = 0;

// refreshCredits shows the account's credit pool, always in view.
async function refreshCredits() {
  try {
    const { account } = await api('GET', '/v1/account');
    const c = account.credits || {};
    fill(credits, h('span', { class: 'muted' }, `${account.display_name || account.id} · `),
      'Credits used ', h('strong', { id: 'credits-used' }, String(c.used ?? 0)), ' / ',
      h('strong', { id: 'credits-limit' }, String(c.limit ?? 0)), ` (${c.available ?? 0} available)`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) fill(credits, 'Credits unavailable');
  }
}

function signIn(message) {
  current = null;
  header.hidden = true;
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'mw_sk_…' });
  const status = h('div', { id: 'sign-in-status', 'aria-live': 'assertive' }, message ? h('div', { class: 'error', role: 'alert' }, message) : null);
  const form = h('form', { class: 'card sign-in', onsubmit: async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (key.startsWith('mw_ct_')) {
      fill(status, h('div', { class: 'error', role: 'alert' }, 'That is a connection token. Sign in with an account API key (mw_sk_…).'));
      return;
    }
    try {
      await api('GET', '/v1/account', undefined, key);
    } catch (err) {
      const why = err instanceof ApiError && err.status === 401
        ? 'That API key was not accepted. Check you copied the whole account API key (mw_sk_…) and that it has not been revoked.'
        : null;
      fill(status, why ? h('div', { class: 'error', role: 'alert' }, why) : errorBox(err, 'Could not sign in'));
      input.focus();
      return;
    }
    session.set(key);
    if (!location.hash || location.hash === '#/') location.hash = '#/connections';
    route();
  } },
  h('h1', {}, 'Sign in to Millwright'),
  h('p', {}, 'Paste your account API key. It stays in this browser tab only (session storage) and is sent as a bearer header to the Millwright API.'),
  field('Account API key', input),
  h('p', {}, h('button', { type: 'submit' }, 'Sign in')),
  status);
  fill(main, form);
  input.focus();
}

function route() {
  if (!session.key) return signIn();
  header.hidden = false;
  const hash = location.hash || '#/connections';
  const [path, q] = hash.split('?');
  for (const [re, view, nav] of routes) {
    const m = path.match(re);
    if (!m) continue;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    const gen = ++generation;
    main.replaceChildren();
    current = view(main, { id: m[1] ? decodeURIComponent(m[1]) : '', query: new URLSearchParams(q || '') }) || null;
    if (gen === generation) refreshCredits();
    return;
  }
  location.hash = '#/connections';
}

async function poll() {
  if (!session.key || document.hidden || document.querySelector('dialog[open]')) return;
  // Redrawing a table under a keyboard user's focus would lose it: wait
  // until the focus leaves the table.
  if (document.activeElement?.closest('main .scroll')) return;
  const page = current;
  try {
    await Promise.all([page?.refresh?.(), refreshCredits()]);
  } catch {
    // Each page shows its own errors; polling goes on.
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.clear();
  location.hash = '';
  signIn();
});
onUnauthorized(() => {
  session.clear();
  signIn('The API key is no longer accepted (revoked?). Sign in again.');
});
window.addEventListener('hashchange', route);
window.addEventListener('millwright:changed', refreshCredits);
setInterval(poll, pollEvery);
route();
