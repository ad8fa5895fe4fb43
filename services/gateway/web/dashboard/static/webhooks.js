// Webhook endpoints (create with the secret shown once, disable, delete) and
// one endpoint's deliveries with every attempt and a Retry button.
import { api, query, seg } from './api.js';
import { h, fill, table, badge, time, duration, errorBox, notice, confirm, secretOnce, Pager, field } from './ui.js';

export function webhooksView(root) {
  const url = h('input', { type: 'url', id: 'webhook-url', required: true, placeholder: 'https://example.com/millwright-events', autocomplete: 'url' });
  const types = h('input', { type: 'text', id: 'webhook-types', placeholder: 'connection.status_changed, sync.failed', autocomplete: 'off' });
  const messages = h('div', { 'aria-live': 'polite' });
  const list = h('div', { id: 'endpoints' }, h('p', { class: 'muted' }, 'Loading…'));
  const pager = new Pager(() => refresh());

  const form = h('form', { class: 'card', 'aria-labelledby': 'h-new-endpoint', onsubmit: async (e) => {
    e.preventDefault();
    const eventTypes = types.value.split(',').map((s) => s.trim()).filter(Boolean);
    try {
      const r = await api('POST', '/v1/webhookEndpoints', { url: url.value.trim(), event_types: eventTypes, enabled: true });
      fill(messages, secretOnce('Signing secret', r.webhook_endpoint.secret,
        `The secret that signs the events sent to ${r.webhook_endpoint.url} (Millwright-Signature header). It is shown only this once: copy it now.`));
      form.reset();
    } catch (err) {
      fill(messages, errorBox(err, 'Could not create the endpoint'));
    }
    refresh();
  } },
  h('h2', { id: 'h-new-endpoint' }, 'New endpoint'),
  field('URL', url, 'Events are POSTed here, signed with HMAC-SHA256.'),
  field('Event types (optional)', types, 'Comma-separated; empty means every event.'),
  h('p', {}, h('button', { type: 'submit' }, 'Create endpoint')));

  fill(root, h('h1', {}, 'Webhooks'), form, messages, h('h2', {}, 'Endpoints'), list, pager.el);

  async function setEnabled(ep, enabled) {
    try {
      await api('PATCH', `/v1/webhookEndpoints/${seg(ep.id)}?update_mask=enabled`, { enabled });
      fill(messages, notice(`${ep.url} ${enabled ? 'enabled' : 'disabled'}.`));
    } catch (err) {
      fill(messages, errorBox(err));
    }
    refresh();
  }

  async function remove(ep) {
    const ok = await confirm({ title: 'Delete this endpoint?', action: 'Delete endpoint', body: [
      `No more events will be sent to ${ep.url}, and its deliveries are no longer listed.`] });
    if (!ok) return;
    try {
      await api('DELETE', `/v1/webhookEndpoints/${seg(ep.id)}`);
      fill(messages, notice(`${ep.url} deleted.`));
    } catch (err) {
      fill(messages, errorBox(err));
    }
    refresh();
  }

  async function refresh() {
    let resp;
    try {
      resp = await api('GET', '/v1/webhookEndpoints' + query({ page_size: 50, page_token: pager.token }));
    } catch (err) {
      fill(list, errorBox(err, 'Could not list the endpoints'));
      return;
    }
    fill(list, table('Webhook endpoints', [
      ['URL', (ep) => h('a', { href: `#/webhooks/${seg(ep.id)}` }, ep.url)],
      ['Events', (ep) => (ep.event_types?.length ? ep.event_types.join(', ') : 'all')],
      ['State', (ep) => badge(ep.enabled ? 'ENABLED' : 'DISABLED')],
      ['Created', (ep) => time(ep.create_time)],
      ['Actions', (ep) => h('span', { class: 'row-actions' },
        h('a', { href: `#/webhooks/${seg(ep.id)}` }, 'Deliveries'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => setEnabled(ep, !ep.enabled) }, ep.enabled ? 'Disable' : 'Enable'), ' ',
        h('button', { type: 'button', class: 'danger', onclick: () => remove(ep) }, 'Delete…'))],
    ], resp.webhook_endpoints || [], 'No endpoint yet.'));
    pager.update(resp.next_page_token);
  }
  refresh();
  return { refresh };
}

export function webhookView(root, { id }) {
  const summary = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const messages = h('div', { 'aria-live': 'polite' });
  const list = h('div', { id: 'deliveries' });
  const pager = new Pager(() => refresh());
  fill(root, h('p', { class: 'crumbs' }, h('a', { href: '#/webhooks' }, '← Webhooks')), summary, messages,
    h('h2', {}, 'Deliveries'), list, pager.el);

  async function retry(d) {
    try {
      const r = await api('POST', `/v1/webhookEndpoints/${seg(id)}/deliveries/${seg(d.id)}:retry`, {});
      fill(messages, notice(`Delivery of ${d.event_type} retried: ${r.webhook_delivery?.state || 'queued'}.`));
    } catch (err) {
      fill(messages, errorBox(err, 'Retry'));
    }
    refresh();
  }

  async function refresh() {
    let ep, resp;
    try {
      [{ webhook_endpoint: ep }, resp] = await Promise.all([
        api('GET', `/v1/webhookEndpoints/${seg(id)}`),
        api('GET', `/v1/webhookEndpoints/${seg(id)}/deliveries` + query({ page_size: 20, page_token: pager.token })),
      ]);
    } catch (err) {
      fill(list, errorBox(err, 'Could not load the deliveries'));
      return;
    }
    fill(summary, h('h1', {}, 'Endpoint ', h('code', {}, ep.url)),
      h('p', {}, badge(ep.enabled ? 'ENABLED' : 'DISABLED'), ' · events: ', ep.event_types?.length ? ep.event_types.join(', ') : 'all', ' · id ', h('code', {}, ep.id)));
    fill(list, table('Webhook deliveries', [
      ['Event', (d) => h('span', {}, d.event_type, h('br'), h('small', { class: 'muted' }, d.event))],
      ['State', (d) => badge(d.state)],
      ['Created', (d) => time(d.create_time)],
      ['Attempts', (d) => attempts(d.attempts || [])],
      ['Next attempt', (d) => (d.state === 'PENDING' ? time(d.next_attempt_time) : '—')],
      ['', (d) => h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry the delivery of ${d.event_type} ${d.event}`, onclick: () => retry(d) }, 'Retry')],
    ], resp.webhook_deliveries || [], 'No delivery yet: events are delivered as they happen.'));
    pager.update(resp.next_page_token);
  }
  refresh();
  return { refresh };
}

function attempts(list) {
  if (!list.length) return h('span', { class: 'muted' }, 'none yet');
  return h('ol', { class: 'attempts' }, list.map((a) => h('li', {},
    time(a.time), ' · ', h('strong', { class: a.status_code >= 200 && a.status_code < 300 ? 'ok-text' : 'err-text' }, a.status_code ? `HTTP ${a.status_code}` : 'no answer'),
    ' · ', duration(a.latency), a.error ? [' · ', h('span', { class: 'err-text' }, a.error)] : null)));
}
