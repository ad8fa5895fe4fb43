// One connection: status and its history, sync status per collection,
// recent runs, the actions (sync now, disconnect, reconnect, rotate token,
// delete data) and a browser of its synced records.
import { api, query, seg } from './api.js';
import { h, fill, table, badge, time, duration, errorBox, notice, confirm, secretOnce, Pager, json, changed } from './ui.js';

// revealed is a token to show once on the next connection page: the one
// returned by reconnect, which creates a new connection.
let revealed = null;

export function connectionView(root, { id }) {
  let conn = null;
  const summary = h('section', { class: 'card', 'aria-labelledby': 'conn-title' }, h('p', { class: 'muted' }, 'Loading…'));
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Connection actions' });
  const messages = h('div', { id: 'messages', 'aria-live': 'polite' });
  const history = h('div', {});
  const syncStatus = h('div', {});
  const runs = h('div', {});
  const records = recordBrowser(id);

  fill(root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/connections' }, '← Connections')),
    summary, actions, messages,
    h('section', { 'aria-labelledby': 'h-sync' }, h('h2', { id: 'h-sync' }, 'Sync status'), syncStatus),
    h('section', { 'aria-labelledby': 'h-runs' }, h('h2', { id: 'h-runs' }, 'Recent runs'), runs),
    h('section', { 'aria-labelledby': 'h-history' }, h('h2', { id: 'h-history' }, 'Status history'), history),
    records.el);

  if (revealed && revealed.connection === id) {
    messages.append(secretOnce('Connection token', revealed.token, 'The new connection\'s API token. It is shown only this once: copy it now.'));
    revealed = null;
  }

  const show = (el) => { fill(messages, el); };

  async function act(label, fn) {
    try {
      await fn();
    } catch (err) {
      show(errorBox(err, label));
    }
    await refresh();
    changed();
  }

  function renderActions() {
    const disconnected = conn.status === 'DISCONNECTED';
    const deleting = conn.status === 'DELETING';
    fill(actions,
      !disconnected && !deleting && h('button', { type: 'button', onclick: () => act('Sync now', async () => {
        const r = await api('POST', `/v1/connections/${seg(id)}:sync`, {});
        show(notice(`Sync run ${r.sync_run?.id || ''} queued.`));
      }) }, 'Sync now'),
      !disconnected && !deleting && h('button', { type: 'button', class: 'secondary', onclick: async () => {
        const ok = await confirm({ title: 'Rotate the connection token?', action: 'Rotate token', body: [
          'A new API token is made for this connection and shown once. The current token stops working at once: update every program that uses it.'] });
        if (ok) await act('Rotate token', async () => {
          const r = await api('POST', `/v1/connections/${seg(id)}:rotateToken`, {});
          show(secretOnce('Connection token', r.token, 'The new API token of this connection. It is shown only this once: copy it now.'));
        });
      } }, 'Rotate token'),
      !disconnected && !deleting && h('button', { type: 'button', class: 'danger', onclick: async () => {
        const ok = await confirm({ title: `Disconnect ${conn.display_name || conn.id}?`, action: 'Disconnect', body: [
          h('ul', {},
            h('li', {}, 'The connection\'s API token stops working at once.'),
            h('li', {}, 'Its scheduled syncs and workflows stop.'),
            h('li', {}, `Its ${conn.credits} credit${conn.credits === 1 ? '' : 's'} return${conn.credits === 1 ? 's' : ''} to your pool.`),
            h('li', {}, 'The data synced so far is kept and stays readable with your account key, until you delete it.')),
          'You can reconnect later: that creates a new connection with a new token.'] });
        if (ok) await act('Disconnect', async () => {
          await api('POST', `/v1/connections/${seg(id)}:disconnect`, {});
          show(notice('Disconnected. The token no longer works and the credits are back in your pool.'));
        });
      } }, 'Disconnect…'),
      disconnected && h('button', { type: 'button', onclick: () => act('Reconnect', async () => {
        const r = await api('POST', `/v1/connections/${seg(id)}:reconnect`, {});
        revealed = { connection: r.connection.id, token: r.token };
        location.hash = `#/connections/${seg(r.connection.id)}`;
      }) }, 'Reconnect'),
      disconnected && h('button', { type: 'button', class: 'danger', onclick: async () => {
        const name = conn.display_name || conn.id;
        const ok = await confirm({ title: `Delete the data of ${name}?`, action: 'Delete data', typed: name, body: [
          'Every record synced from this connection is deleted for good, and the connection with it. This cannot be undone.'] });
        if (ok) await act('Delete data', async () => {
          await api('DELETE', `/v1/connections/${seg(id)}`);
          show(notice('Deleting the connection and its data.'));
        });
      } }, 'Delete data…'));
  }

  async function refresh() {
    let c;
    try {
      ({ connection: c } = await api('GET', `/v1/connections/${seg(id)}`));
    } catch (err) {
      fill(summary, errorBox(err, conn ? 'This connection is gone' : 'Could not load the connection'));
      actions.replaceChildren();
      return;
    }
    const statusChanged = !conn || conn.status !== c.status;
    conn = c;
    fill(summary,
      h('h1', { id: 'conn-title' }, c.display_name || c.id, ' ', badge(c.status)),
      c.status_reason && h('p', { class: 'err-text', id: 'status-reason' }, c.status_reason),
      h('dl', { class: 'facts' },
        h('dt', {}, 'System'), h('dd', {}, c.system),
        h('dt', {}, 'Connection id'), h('dd', {}, h('code', {}, c.id)),
        h('dt', {}, 'Credits'), h('dd', {}, String(c.credits ?? 0)),
        h('dt', {}, 'Status since'), h('dd', {}, time(c.status_time)),
        h('dt', {}, 'Created'), h('dd', {}, time(c.create_time)),
        c.previous_connection && [h('dt', {}, 'Reconnects'), h('dd', {}, h('a', { href: `#/connections/${seg(c.previous_connection)}` }, c.previous_connection))],
        c.disconnect_time && [h('dt', {}, 'Disconnected'), h('dd', {}, time(c.disconnect_time))]));
    if (statusChanged || !actions.childElementCount) renderActions();

    const [st, rs, ev] = await Promise.all([
      api('GET', `/v1/connections/${seg(id)}/syncStatus`).catch((e) => e),
      api('GET', `/v1/connections/${seg(id)}/syncRuns?page_size=10`).catch((e) => e),
      api('GET', '/v1/events' + query({ connection: id, type: 'connection.status_changed', order_by: 'create_time desc', page_size: 20 })).catch((e) => e),
    ]);
    const cols = st instanceof Error ? [] : st.collections || [];
    fill(syncStatus, st instanceof Error ? errorBox(st) : table('Sync status per collection', [
      ['Collection', (x) => x.collection],
      ['Records', (x) => String(x.record_count ?? 0)],
      ['Last success', (x) => time(x.last_success_time)],
      ['Next run', (x) => (conn.status === 'DISCONNECTED' ? h('span', { class: 'muted' }, 'stopped') : time(x.next_run_time))],
      ['Failures', (x) => String(x.consecutive_failures || 0)],
      ['Backoff until', (x) => time(x.backoff_until)],
      ['Last error', (x) => (x.last_error ? h('span', { class: 'err-text' }, x.last_error, ' ', time(x.last_error_time)) : '—')],
    ], cols, 'No collection synced yet.'));
    records.setCounts(cols);
    fill(runs, rs instanceof Error ? errorBox(rs) : table('Recent sync runs', [
      ['Started', (r) => time(r.start_time || r.create_time)],
      ['State', (r) => badge(r.state)],
      ['Mode', (r) => `${r.mode}${r.manual ? ' (manual)' : ''}`],
      ['Seen', (r) => String(r.counts?.seen ?? 0)],
      ['Created', (r) => String(r.counts?.created ?? 0)],
      ['Updated', (r) => String(r.counts?.updated ?? 0)],
      ['Deleted', (r) => String(r.counts?.deleted ?? 0)],
      ['Took', (r) => (r.end_time && r.start_time ? duration(`${(new Date(r.end_time) - new Date(r.start_time)) / 1000}s`) : '—')],
      ['Error', (r) => (r.error ? h('span', { class: 'err-text' }, r.error_reason ? `${r.error_reason}: ` : '', r.error) : '—')],
    ], rs.sync_runs || [], 'No run yet.'));
    fill(history, ev instanceof Error ? errorBox(ev) : table('Status history', [
      ['When', (e) => time(e.create_time)],
      ['From', (e) => badge(e.data?.old_status)],
      ['To', (e) => badge(e.data?.new_status)],
      ['Reason', (e) => e.data?.reason || '—'],
    ], ev.events || [], `${c.status} since it was created; no change yet.`));
  }

  refresh();
  return { refresh };
}

// The collections a connection may have records in, with the JSON key of
// their list response.
const collections = ['workOrders', 'assets', 'locations', 'parts', 'inventoryLevels', 'purchaseOrders', 'vendors', 'users'];

// recordBrowser lists a collection's synced records page by page and shows
// one record's unified fields and raw remote_data.
function recordBrowser(conn) {
  let collection = '';
  let counts = {};
  const picker = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Collections' });
  const list = h('div', { id: 'records' });
  const detail = h('div', { id: 'record' });
  const pager = new Pager(() => load());
  pager.el.hidden = true;
  const el = h('section', { 'aria-labelledby': 'h-records' }, h('h2', { id: 'h-records' }, 'Records'), picker, list, pager.el, detail);

  function renderPicker() {
    fill(picker, collections.map((c) => h('button', { type: 'button', class: c === collection ? '' : 'secondary', 'aria-pressed': String(c === collection), 'data-collection': c,
      onclick: () => { collection = c; pager.reset(); detail.replaceChildren(); renderPicker(); load(); } },
    `${c} (${counts[c] ?? 0})`)));
  }

  async function load() {
    pager.el.hidden = false;
    let resp;
    try {
      resp = await api('GET', `/v1/connections/${seg(conn)}/${collection}` + query({ page_size: 20, page_token: pager.token, order_by: 'update_time desc' }));
    } catch (err) {
      fill(list, errorBox(err, `Could not list ${collection}`));
      return;
    }
    const items = Object.values(resp).find(Array.isArray) || [];
    fill(list, table(`${collection} records`, [
      ['Id', (r) => h('button', { type: 'button', class: 'link', onclick: () => show(r.id) }, r.id)],
      ['Remote id', (r) => r.remote_id],
      ['Name', (r) => r.name || r.title || r.description || r.number || r.email || '—'],
      ['Status', (r) => r.status || '—'],
      ['Updated', (r) => time(r.update_time)],
      ['Deleted', (r) => (r.delete_time ? time(r.delete_time) : 'no')],
    ], items, `No ${collection} synced.`));
    pager.update(resp.next_page_token);
  }

  async function show(id) {
    let resp;
    try {
      resp = await api('GET', `/v1/connections/${seg(conn)}/${collection}/${seg(id)}?view=FULL`);
    } catch (err) {
      fill(detail, errorBox(err, 'Could not read the record'));
      return;
    }
    const rec = Object.values(resp).find((v) => v && typeof v === 'object') || {};
    const { remote_data: raw, ...unified } = rec;
    fill(detail, h('h3', { tabindex: '-1', id: 'record-title' }, `${collection} ${id}`),
      h('div', { class: 'two' },
        h('div', {}, h('h4', {}, 'Unified fields'), json(unified)),
        h('div', {}, h('h4', {}, 'remote_data (the system\'s raw record)'), json(raw))));
    detail.querySelector('#record-title').focus();
  }

  return {
    el,
    setCounts(cols) {
      counts = Object.fromEntries(cols.map((x) => [x.collection, x.record_count]));
      renderPicker();
    },
  };
}
