// Link: the page where an end customer connects their own system for an
// account. Its address is /link/<link session id>#<link session secret>; the
// secret is the page's bearer credential for the public REST API, which
// lets it read its session, describe systems and connect one, nothing else.

const main = document.getElementById('main');
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
const storageKey = `millwright.link.${sessionId}`;

// The secret leaves the address bar at once (screenshots, shoulders,
// history) and stays in this tab's session storage, so a reload still works.
let secret = location.hash.slice(1);
if (secret) {
  sessionStorage.setItem(storageKey, secret);
  history.replaceState(null, '', location.pathname + location.search);
} else {
  secret = sessionStorage.getItem(storageKey) || '';
}

// h makes an element; children are nodes or text (never parsed as HTML).
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

// ApiError is a Millwright error body: its reason, message, bad fields and
// request id.
class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    const details = body.details || [];
    const info = details.find((d) => (d['@type'] || '').endsWith('google.rpc.ErrorInfo')) || {};
    const bad = details.find((d) => (d['@type'] || '').endsWith('google.rpc.BadRequest')) || {};
    this.reason = info.reason || '';
    this.requestId = (info.metadata || {}).request_id || '';
    this.fields = bad.field_violations || bad.fieldViolations || [];
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${secret}` };
  if (body) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' });
  } catch {
    throw new ApiError(0, { message: 'Millwright could not be reached. Check your network and try again.' });
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

// gone shows the clear page of a link that cannot be used, and forgets it.
function gone(title, text) {
  sessionStorage.removeItem(storageKey);
  document.title = title;
  show(
    h('h1', { id: 'title', tabindex: '-1' }, title),
    h('p', { class: 'lead', id: 'gone', 'data-state': 'gone' }, text),
    h('p', {}, 'You can close this page. To connect your system, ask the app that sent you here for a new link.'),
  );
  document.getElementById('title').focus();
}

// fatal handles an error no form can fix; it returns false for the others.
function fatal(err) {
  switch (err.reason) {
    case 'LINK_SESSION_EXPIRED':
      gone('This link has expired', 'For your security, connection links work for a limited time only.');
      return true;
    case 'LINK_SESSION_USED':
      gone('This link has already been used', 'A system was already connected with this link, and each link works only once.');
      return true;
    case 'INVALID_TOKEN':
    case 'PERMISSION_DENIED':
      gone('This link is not valid', 'The link is incomplete or wrong. Open it again exactly as you received it.');
      return true;
  }
  return false;
}

async function start() {
  if (!sessionId || !secret) {
    gone('This link is not valid', 'The link is incomplete. Open it again exactly as you received it.');
    return;
  }
  let session;
  let systems;
  try {
    session = (await api('GET', `/v1/linkSessions/${encodeURIComponent(sessionId)}`)).link_session;
    const allowed = session.allowed_systems || [];
    systems = allowed.length
      ? await Promise.all(allowed.map(async (id) => (await api('GET', `/v1/systems/${encodeURIComponent(id)}`)).system))
      : (await api('GET', '/v1/systems')).systems || [];
  } catch (err) {
    if (!fatal(err)) {
      show(h('h1', { id: 'title' }, 'Something went wrong'), errorBox(err));
    }
    return;
  }
  renderForm(session, systems);
}

function errorBox(err, title) {
  return h('div', { class: 'error', role: 'alert', id: 'error', tabindex: '-1' },
    h('p', { class: 'error-title' }, title || 'That did not work'),
    h('p', { id: 'error-message' }, err.message),
    err.requestId ? h('p', { class: 'small' }, `Reference for support: ${err.requestId}`) : null);
}

// inputId is the id of a field's input: its place in the request.
const inputId = (kind, name) => `${kind}.${name}`;

function fieldInput(kind, f) {
  const id = inputId(kind, f.name);
  const help = f.description ? h('p', { class: 'help', id: `${id}-help` }, f.description) : null;
  const isUrl = f.name.endsWith('url');
  const input = h('input', {
    id,
    name: id,
    type: f.secret ? 'password' : isUrl ? 'url' : 'text',
    autocomplete: f.secret ? 'new-password' : 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    required: f.required && !f.group,
    'aria-describedby': help ? `${id}-help` : null,
    'data-kind': kind,
    'data-name': f.name,
    placeholder: isUrl ? 'https://' : null,
  });
  return h('div', { class: 'field', 'data-group': f.group || null },
    h('label', { for: id }, f.display_name || f.name, f.required || f.group ? null : h('span', { class: 'optional' }, ' (optional)')),
    help, input);
}

// groupsOf returns a system's ways to authenticate: credential fields of
// the same group go together, and one group is given whole.
function groupsOf(fields) {
  const groups = new Map();
  for (const f of fields) {
    if (!f.group) continue;
    if (!groups.has(f.group)) groups.set(f.group, []);
    groups.get(f.group).push(f);
  }
  return groups;
}

function renderForm(session, systems) {
  const who = session.end_user_name ? `${session.end_user_name}, connect` : 'Connect';
  const expires = session.expire_time ? new Date(session.expire_time).toLocaleString() : '';
  const details = h('div', { id: 'details' });
  const status = h('p', { id: 'status', role: 'status', class: 'status' });
  const submit = h('button', { type: 'submit', id: 'connect', disabled: true }, 'Connect');
  const errorSlot = h('div', { id: 'error-slot' });
  let chosen = null;

  const choose = (sys) => {
    chosen = sys;
    errorSlot.replaceChildren();
    status.textContent = '';
    submit.disabled = false;
    submit.textContent = `Connect ${sys.display_name}`;
    details.replaceChildren(...systemFields(sys));
  };

  const picker = h('fieldset', { class: 'systems' },
    h('legend', {}, '1. Choose your system'),
    systems.map((sys) => h('label', { class: 'system' },
      h('input', { type: 'radio', name: 'system', value: sys.id, onchange: () => choose(sys) }),
      h('span', {}, sys.display_name))));

  const form = h('form', { id: 'link-form', method: 'post', novalidate: true, onsubmit: (ev) => { ev.preventDefault(); connect(); } },
    picker, details, errorSlot, status, submit);

  async function connect() {
    if (!chosen) return;
    clearFieldErrors(form);
    errorSlot.replaceChildren();
    const connection = { system: chosen.id, settings: {}, credentials: {} };
    for (const input of form.querySelectorAll('input[data-kind]')) {
      if (input.closest('[hidden]') || input.value.trim() === '') continue;
      const value = input.dataset.kind === 'credentials' ? input.value : input.value.trim();
      if (input.dataset.kind === 'display_name') connection.display_name = value;
      else connection[input.dataset.kind][input.dataset.name] = value;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    status.textContent = `Checking the connection with ${chosen.display_name}…`;
    try {
      // The secret stays in session storage: coming back to this page shows
      // that the link was used, not that it is incomplete.
      const resp = await api('POST', `/v1/linkSessions/${encodeURIComponent(sessionId)}:connect`, { connection });
      show(
        h('h1', { id: 'title', tabindex: '-1' }, `${chosen.display_name} is connected`),
        h('p', { class: 'lead', role: 'status' }, 'Taking you back…'),
        h('p', {}, h('a', { href: resp.redirect_to, id: 'continue' }, 'Continue')),
      );
      location.assign(resp.redirect_to);
    } catch (err) {
      form.removeAttribute('aria-busy');
      status.textContent = '';
      submit.disabled = false;
      if (fatal(err)) return;
      const title = {
        CONNECTED_SYSTEM_AUTH_FAILED: `${chosen.display_name} did not accept these details`,
        CONNECTED_SYSTEM_UNAVAILABLE: `${chosen.display_name} did not answer`,
        CONNECTED_SYSTEM_ERROR: `${chosen.display_name} answered with an error`,
        INVALID_ARGUMENT: 'Please check the highlighted fields',
        INSUFFICIENT_CREDITS: 'This connection cannot be made right now',
      }[err.reason];
      if (err.reason === 'INSUFFICIENT_CREDITS') {
        err.message = 'The app that sent you here cannot add another connection at the moment. Please contact them.';
      }
      const marked = markFields(form, err.fields);
      if (marked.length > 0 && marked.length === err.fields.length) {
        err.message = `Check ${marked.join(', ')}.`;
      }
      const box = errorBox(err, title);
      errorSlot.replaceChildren(box);
      box.focus();
    }
  }

  show(
    h('h1', { id: 'title', tabindex: '-1' }, 'Connect your system'),
    h('p', { class: 'lead' }, `${who} the system your maintenance or ERP data lives in.`),
    h('p', { class: 'small' }, 'Your details go to Millwright only. They are checked with your system now, stored encrypted, and never shown to the app that sent you here.',
      expires ? ` This link works until ${expires}.` : ''),
    form,
  );
  if (systems.length === 1) {
    const only = form.querySelector('input[name="system"]');
    only.checked = true;
    choose(systems[0]);
  }
}

function systemFields(sys) {
  const out = [];
  const settings = sys.settings_fields || [];
  const creds = sys.credential_fields || [];
  out.push(h('fieldset', {},
    h('legend', {}, `2. Your ${sys.display_name} details`),
    h('div', { class: 'field' },
      h('label', { for: 'display_name' }, 'Name for this connection', h('span', { class: 'optional' }, ' (optional)')),
      h('input', { id: 'display_name', name: 'display_name', type: 'text', autocomplete: 'off', 'data-kind': 'display_name', placeholder: sys.display_name })),
    settings.map((f) => fieldInput('settings', f))));

  const groups = groupsOf(creds);
  const plain = creds.filter((f) => !f.group);
  const credentials = h('fieldset', {}, h('legend', {}, 'Credentials'), plain.map((f) => fieldInput('credentials', f)));
  if (groups.size > 0) {
    const panels = [];
    const ways = h('fieldset', { class: 'ways' }, h('legend', {}, 'How do you sign in?'));
    let first = true;
    for (const [group, fields] of groups) {
      const label = fields.map((f, i) => sentenceCase(f.display_name || f.name, i > 0)).join(' and ');
      const panel = h('div', { class: 'way', hidden: !first }, fields.map((f) => fieldInput('credentials', f)));
      for (const input of panel.querySelectorAll('input')) input.required = true;
      panels.push(panel);
      ways.append(h('label', { class: 'system' },
        h('input', { type: 'radio', name: 'way', value: group, checked: first,
          onchange: () => panels.forEach((p) => { p.hidden = p !== panel; }) }),
        h('span', {}, label)));
      first = false;
    }
    credentials.append(ways, ...panels);
  }
  out.push(credentials);
  return out;
}

// sentenceCase lower-cases a label's first letter inside a sentence, unless
// it starts an acronym ("Password" but "API key").
function sentenceCase(label, inside) {
  return inside && /^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label;
}

function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    const help = document.getElementById(`${input.id}-help`);
    if (help) input.setAttribute('aria-describedby', help.id);
    else input.removeAttribute('aria-describedby');
  }
}

// markFields shows each bad field's problem beside it (the error names it
// as connection.settings.base_url, connection.credentials.password, ...) and
// returns the labels of the fields it marked.
function markFields(form, fields) {
  const marked = [];
  for (const v of fields) {
    const id = (v.field || '').replace(/^connection\./, '');
    const input = document.getElementById(id);
    if (!input || !form.contains(input)) continue;
    const errId = `${id}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), errId].filter(Boolean).join(' '));
    const label = input.labels[0]?.firstChild?.textContent || '';
    input.insertAdjacentElement('afterend', h('p', { class: 'field-error', id: errId }, `${label} ${v.description}`.trim()));
    marked.push(label);
  }
  return marked;
}

start();
