// Request lookup: paste a request id (the X-Request-Id header of a response,
// or request_id in an error body) and see how that request ended.
import { api, seg } from './api.js';
import { h, fill, time, duration, errorBox, field } from './ui.js';

export function requestsView(root, { id }) {
  const input = h('input', { type: 'text', id: 'request-id', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'req_…', value: id || '' });
  const out = h('div', { id: 'request', 'aria-live': 'polite' });
  fill(root, h('h1', {}, 'Request lookup'),
    h('form', { class: 'card', role: 'search', 'aria-label': 'Look up a request', onsubmit: (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v) location.hash = `#/requests/${seg(v)}`;
    } },
    h('p', {}, 'Every API response carries a request id (the X-Request-Id header, and request_id in error bodies). Requests of the last 7 days can be looked up.'),
    field('Request id', input), h('p', {}, h('button', { type: 'submit' }, 'Look up'))),
    out);
  if (!id) {
    input.focus();
    return null;
  }
  (async () => {
    let r;
    try {
      ({ request_log_entry: r } = await api('GET', `/v1/requests/${seg(id)}`));
    } catch (err) {
      fill(out, err.status === 404
        ? h('div', { class: 'error', role: 'alert' }, `No request ${id} of this account in the request log (it keeps 7 days).`)
        : errorBox(err, 'Lookup failed'));
      return;
    }
    const failed = r.status_code >= 400;
    fill(out, h('section', { class: 'card', 'aria-labelledby': 'h-request' },
      h('h2', { id: 'h-request' }, r.http_method ? `${r.http_method} ${r.http_path}` : r.grpc_method),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Request id'), h('dd', {}, h('code', {}, r.request_id)),
        h('dt', {}, 'Outcome'), h('dd', { id: 'request-status', class: failed ? 'err-text' : 'ok-text' }, `${r.status_code}${r.reason ? ` ${r.reason}` : ' OK'}`),
        r.message && [h('dt', {}, 'Message'), h('dd', {}, r.message)],
        h('dt', {}, 'Connection'), h('dd', {}, r.connection ? h('a', { href: `#/connections/${seg(r.connection)}` }, r.connection) : '—'),
        h('dt', {}, 'gRPC method'), h('dd', {}, h('code', {}, r.grpc_method)),
        h('dt', {}, 'Service'), h('dd', {}, r.service),
        h('dt', {}, 'Time'), h('dd', {}, time(r.time), ' ', h('small', { class: 'muted' }, r.time)),
        h('dt', {}, 'Duration'), h('dd', {}, duration(r.duration)))));
  })();
  return null;
}
