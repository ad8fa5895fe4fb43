// The connections table: system, name, status, credits, last successful
// sync and last error, filtered by status and system.
import { api, query, seg } from './api.js';
import { h, fill, table, badge, time, errorBox, Pager, field, select, systems, statuses, latest } from './ui.js';

export function connectionsView(root) {
  const state = { status: '', system: '' };
  const statusSel = select([['', 'All statuses'], ...statuses.map((s) => [s, s])], '', { id: 'filter-status' });
  const systemSel = select([['', 'All systems']], '', { id: 'filter-system' });
  const list = h('div', { id: 'connections', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const pager = new Pager(() => refresh());
  const onFilter = () => {
    state.status = statusSel.value;
    state.system = systemSel.value;
    pager.reset();
    refresh();
  };
  statusSel.addEventListener('change', onFilter);
  systemSel.addEventListener('change', onFilter);
  systems(api).then((all) => {
    for (const s of all) systemSel.append(h('option', { value: s.id }, s.display_name || s.id));
  }).catch(() => {});

  fill(root,
    h('h1', {}, 'Connections'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter connections', onsubmit: (e) => e.preventDefault() },
      field('Status', statusSel), field('System', systemSel)),
    list, pager.el);

  async function refresh() {
    let resp;
    try {
      resp = await api('GET', '/v1/connections' + query({ status: state.status, system: state.system, page_size: 50, page_token: pager.token }));
    } catch (err) {
      fill(list, errorBox(err, 'Could not list the connections'));
      return;
    }
    const conns = resp.connections || [];
    // Sync health per connection: the latest success and error of its collections.
    const syncs = await Promise.all(conns.map((c) => api('GET', `/v1/connections/${seg(c.id)}/syncStatus`).catch(() => null)));
    const rows = conns.map((c, i) => {
      const cols = syncs[i]?.collections || [];
      const lastErrorCol = cols.filter((x) => x.last_error).sort((a, b) => new Date(b.last_error_time) - new Date(a.last_error_time))[0];
      return { c, lastSync: latest(cols.map((x) => x.last_success_time)), lastError: c.status_reason || lastErrorCol?.last_error || '' };
    });
    fill(list, table('Connections', [
      ['System', (r) => r.c.system],
      ['Name', (r) => h('a', { href: `#/connections/${seg(r.c.id)}`, 'data-connection': r.c.id }, r.c.display_name || r.c.id)],
      ['Status', (r) => badge(r.c.status)],
      ['Credits', (r) => String(r.c.credits ?? 0)],
      ['Last successful sync', (r) => time(r.lastSync)],
      ['Last error', (r) => (r.lastError ? h('span', { class: 'err-text' }, r.lastError) : h('span', { class: 'muted' }, '—'))],
    ], rows, state.status || state.system ? 'No connection matches these filters.' : 'No connections yet: create one with POST /v1/connections or a Link session.'));
    pager.update(resp.next_page_token);
  }
  refresh();
  return { refresh };
}
