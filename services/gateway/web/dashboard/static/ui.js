// Small DOM helpers shared by the views. Text always goes in as text nodes,
// never as HTML, so nothing a system or a user typed can run as script.

// h builds an element: h('a', {href: '#/x', class: 'y'}, 'text', child...).
// Attributes starting with "on" are event listeners; false/null skip.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// fill replaces an element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// time shows a timestamp as "3 min ago" with the exact UTC time beside it
// for machines and in its title.
export function time(ts) {
  if (!ts) return h('span', { class: 'muted' }, '—');
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return h('span', {}, ts);
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, relative(d));
}

function relative(d) {
  const s = Math.round((d.getTime() - Date.now()) / 1000);
  const a = Math.abs(s);
  const [n, unit] = a < 60 ? [a, 's'] : a < 3600 ? [Math.round(a / 60), 'min'] : a < 86400 ? [Math.round(a / 3600), 'h'] : [Math.round(a / 86400), 'd'];
  if (a < 5) return 'just now';
  return s < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

// duration shows a protobuf JSON duration ("0.012s") in ms or s.
export function duration(d) {
  if (!d) return '—';
  const s = parseFloat(String(d));
  if (Number.isNaN(s)) return String(d);
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(s < 10 ? 2 : 0)} s`;
}

const statusSymbols = {
  ACTIVE: '●', PENDING: '◌', UNREACHABLE: '▲', AUTH_FAILED: '✖', INACTIVE: '◆', DISCONNECTED: '○', DELETING: '○',
  SUCCEEDED: '●', RUNNING: '◌', QUEUED: '◌', FAILED: '✖', CANCELLED: '○',
};

// badge shows a status in words and colour (never colour alone).
export function badge(status) {
  const s = status || 'UNKNOWN';
  return h('span', { class: `badge s-${s.toLowerCase()}`, 'data-status': s }, h('span', { 'aria-hidden': 'true' }, statusSymbols[s] || '•'), ' ', s);
}

// table renders rows under labelled columns: columns are [header, cell(row)].
// On narrow screens each row becomes a card, each cell labelled with its
// column (data-label); the explicit roles keep it a table for screen readers.
export function table(caption, columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'scroll', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', { role: 'table' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, columns.map(([name]) => h('th', { scope: 'col', role: 'columnheader' }, name)))),
      h('tbody', { role: 'rowgroup' }, rows.map((r) => h('tr', { role: 'row' }, columns.map(([name, cell]) => h('td', { role: 'cell', 'data-label': name }, cell(r))))))));
}

// errorBox shows a failed call: what went wrong, its reason, and the
// request id, linked to the request lookup.
export function errorBox(err, prefix = '') {
  const parts = [h('strong', {}, prefix ? `${prefix}: ` : 'Error: '), err.message || String(err)];
  if (err.reason) parts.push(' ', h('code', {}, err.reason));
  if (err.requestId) parts.push(' — request ', h('a', { href: `#/requests/${encodeURIComponent(err.requestId)}` }, err.requestId));
  return h('div', { class: 'error', role: 'alert' }, parts);
}

// notice shows a short success message.
export function notice(text) {
  return h('div', { class: 'notice', role: 'status' }, text);
}

// copyButton copies text to the clipboard.
export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      const sel = window.getSelection();
      const range = document.createRange();
      range.selectNodeContents(b.previousElementSibling || b);
      sel.removeAllRanges();
      sel.addRange(range);
      b.textContent = 'Selected: press Ctrl+C';
    }
  } }, label);
  return b;
}

// secretOnce shows a secret that will not be shown again, with a copy
// button.
export function secretOnce(title, value, explanation) {
  return h('section', { class: 'secret', 'aria-label': title },
    h('h3', {}, title),
    h('p', {}, explanation),
    h('p', { class: 'secret-row' }, h('code', { class: 'secret-value' }, value), ' ', copyButton(value, `Copy ${title.toLowerCase()}`)));
}

// confirm asks in a modal dialog; typed, when set, must be typed exactly
// before the confirm button works. Resolves to true when confirmed.
export function confirm({ title, body, action, typed = '', danger = true }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const input = typed ? h('input', { id: 'confirm-typed', autocomplete: 'off', spellcheck: 'false' }) : null;
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : '', disabled: !!typed }, action);
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('cancel') }, 'Cancel');
    if (input) input.addEventListener('input', () => { ok.disabled = input.value !== typed; });
    const form = h('form', { method: 'dialog' },
      h('h2', { id: 'confirm-title' }, title),
      body.map((p) => (typeof p === 'string' ? h('p', {}, p) : p)),
      input && h('p', {}, h('label', { for: 'confirm-typed' }, 'Type ', h('code', {}, typed), ' to confirm'), input),
      h('p', { class: 'actions' }, cancel, ' ', ok));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!ok.disabled) dialog.close('ok');
    });
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title' }, form);
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus(); // back where the keyboard user was
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
    (input || cancel).focus();
  });
}

// Pager keeps the page tokens seen so far, so a list can go back and forth.
export class Pager {
  constructor(onChange) {
    this.tokens = [''];
    this.next = '';
    this.onChange = onChange;
    this.prevButton = h('button', { type: 'button', class: 'secondary', onclick: () => this.go(-1) }, 'Previous page');
    this.nextButton = h('button', { type: 'button', class: 'secondary', onclick: () => this.go(1) }, 'Next page');
    this.el = h('p', { class: 'pager' }, this.prevButton, ' ', this.nextButton);
    this.update('');
  }

  get token() { return this.tokens[this.tokens.length - 1]; }

  reset() { this.tokens = ['']; this.next = ''; }

  update(next) {
    this.next = next || '';
    this.prevButton.disabled = this.tokens.length <= 1;
    this.nextButton.disabled = !this.next;
  }

  go(step) {
    if (step > 0 && this.next) this.tokens.push(this.next);
    if (step < 0 && this.tokens.length > 1) this.tokens.pop();
    this.onChange();
  }
}

// field is one labelled control.
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('p', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', {}, hint) : null);
}

// select builds a <select> of [value, label] options.
export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
}

// json shows a value as indented JSON.
export function json(value) {
  return h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(value ?? null, null, 2));
}

// changed tells the shell that something the header shows (the credit pool)
// may have changed.
export function changed() {
  window.dispatchEvent(new Event('millwright:changed'));
}

// systemsCache holds the systems catalog, fetched once per page load.
let systemsCache = null;

// systems returns the systems catalog (id and display name of each).
export async function systems(api) {
  if (!systemsCache) {
    systemsCache = api('GET', '/v1/systems').then((r) => r.systems || []).catch((err) => { systemsCache = null; throw err; });
  }
  return systemsCache;
}

// statuses are the connection statuses, in the order a filter lists them.
export const statuses = ['PENDING', 'ACTIVE', 'UNREACHABLE', 'AUTH_FAILED', 'INACTIVE', 'DISCONNECTED', 'DELETING'];

// latest returns the latest of some timestamps, or ''.
export function latest(times) {
  return times.filter(Boolean).sort((a, b) => new Date(b) - new Date(a))[0] || '';
}
