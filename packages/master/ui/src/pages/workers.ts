/** Workers: connection state, pause/graceful flags, the builds they run now, and their info. */
import { list, rpc } from '../api.js';
import { getBuilders, type Worker } from '../cache.js';
import { debounce, h, replace } from '../dom.js';
import type { Page } from '../page.js';
import { buildChip, can, emptyRow, pageHeader, table, type BuildRow } from './common.js';

export const workersPage: Page = async (ctx) => {
  ctx.setTitle('Workers');
  const tbody = h('tbody');
  const status = h('p', { class: 'form-status', role: 'status' });

  const act = async (w: Worker, method: 'pause' | 'unpause') => {
    try { await rpc(`workers/${w.workerid}`, method, { reason: `${method}d from the web UI` }); status.textContent = `Worker ${w.name}: ${method} requested.`; } catch (err) { status.textContent = `Could not ${method} ${w.name}: ${(err as Error).message}`; }
    reload();
  };

  const load = async () => {
    const [workers, running, builders] = await Promise.all([
      list<Worker>('workers', {}, ctx.signal),
      list<BuildRow>('builds', { complete: false }, ctx.signal),
      getBuilders(),
    ]);
    const byWorker = new Map<number, BuildRow[]>();
    for (const b of running) (byWorker.get(b.workerid) ?? byWorker.set(b.workerid, []).get(b.workerid)!).push(b);
    workers.sort((a, b) => a.name.localeCompare(b.name));
    replace(tbody, workers.length ? workers.map((w) => {
      const connected = w.connected_to.length > 0;
      const state = !connected ? 'disconnected' : w.graceful ? 'shutting down' : w.paused ? 'paused' : 'connected';
      const info = w.workerinfo ?? {};
      const builds = byWorker.get(w.workerid) ?? [];
      return h('tr', { 'data-worker': w.name },
        h('th', { scope: 'row' }, w.name),
        h('td', null, h('span', { class: `state state-${state.replace(' ', '-')}` }, state)),
        h('td', { class: 'chips' }, builds.length ? builds.map((b) => buildChip(b, `${builders.get(b.builderid)?.name ?? b.builderid} #${b.number}`)) : h('span', { class: 'muted' }, 'idle')),
        h('td', null, [...new Set(w.configured_on.map((c) => builders.get(c.builderid)?.name ?? String(c.builderid)))].join(', ')),
        h('td', { class: 'muted' }, [info.host, info.os_name ?? info.system, info.version].filter(Boolean).join(' · ')),
        h('td', null, can(ctx) && connected ? h('button', { type: 'button', class: 'btn small', onclick: () => act(w, w.paused ? 'unpause' : 'pause') }, w.paused ? 'Unpause' : 'Pause') : null));
    }) : emptyRow(6, 'No workers are configured.'));
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn(err)); }, 200);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);
  ctx.subscribe('workers/*/*', reload);
  ctx.subscribe('builds/*/*', reload);

  await load();
  return h('div', null, pageHeader('Workers'), status,
    table('Workers', ['Worker', 'State', 'Running builds', 'Builders', 'Host', ''], tbody, 'workers'));
};
