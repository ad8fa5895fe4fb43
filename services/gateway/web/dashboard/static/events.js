// The account's event log, newest first, filtered by type and connection.
import { api, query, seg } from './api.js';
import { h, fill, table, time, errorBox, Pager, field, select } from './ui.js';

const types = ['connection.created', 'connection.status_changed', 'connection.disconnected', 'connection.reconnected',
  'connection.deleted', 'sync.completed', 'sync.failed', 'record.created', 'record.updated', 'record.deleted'];

export function eventsView(root, { query: params }) {
  const typeSel = select([['', 'All types'], ...types.map((t) => [t, t])], params.get('type') || '', { id: 'filter-type' });
  const connSel = select([['', 'All connections']], '', { id: 'filter-connection' });
  const list = h('div', { id: 'events' }, h('p', { class: 'muted' }, 'Loading…'));
  const pager = new Pager(() => refresh());
  const wanted = params.get('connection') || '';
  api('GET', '/v1/connections?page_size=500').then((r) => {
    for (const c of r.connections || []) connSel.append(h('option', { value: c.id, selected: c.id === wanted }, `${c.display_name || c.id} (${c.status.toLowerCase()})`));
  }).catch(() => {});
  if (wanted) connSel.append(h('option', { value: wanted, selected: true }, wanted));
  const onFilter = () => { pager.reset(); refresh(); };
  typeSel.addEventListener('change', onFilter);
  connSel.addEventListener('change', onFilter);
  fill(root, h('h1', {}, 'Events'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter events', onsubmit: (e) => e.preventDefault() },
      field('Type', typeSel), field('Connection', connSel)),
    list, pager.el);

  async function refresh() {
    let resp;
    try {
      resp = await api('GET', '/v1/events' + query({ type: typeSel.value, connection: connSel.value, order_by: 'create_time desc', page_size: 50, page_token: pager.token }));
    } catch (err) {
      fill(list, errorBox(err, 'Could not list the events'));
      return;
    }
    fill(list, table('Events', [
      ['When', (e) => time(e.create_time)],
      ['Type', (e) => h('code', {}, e.type)],
      ['Connection', (e) => (e.connection ? h('a', { href: `#/connections/${seg(e.connection)}` }, e.connection) : '—')],
      ['Data', (e) => h('code', { class: 'data' }, JSON.stringify(e.data || {}))],
    ], resp.events || [], 'No event matches.'));
    pager.update(resp.next_page_token);
  }
  refresh();
  return { refresh };
}
