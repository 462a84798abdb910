/**
 * Workers: connection state, pool, platform and tags, pause/graceful flags, the builds they run now,
 * and their info. A latent worker shows its provider (and latent pool) and, while it has no
 * connection, whether it is stopped, starting or stopping, and why its last start failed. The pool and tags filters narrow the list as `/api/v2/workers?pool=P&tags__contains=T`
 * does (every tag given must be on the worker), applied here to the list already loaded so typing
 * needs no round trip.
 */
import { list, rpc } from '../api.js';
import { getBuilders, type Worker } from '../cache.js';
import { debounce, h, replace } from '../dom.js';
import type { Page } from '../page.js';
import { buildChip, can, emptyRow, pageHeader, table, type BuildRow } from './common.js';

const NAMED = '\u0000named';

/** The tags typed in the filter: separated by commas or spaces; all must match. */
export function filterTags(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** A latent worker without a connection: not running, starting or stopping (null for other workers). */
function latentState(w: Worker): string | null {
  switch (w.latent?.state) {
    case undefined: return null;
    case 'substantiating': return 'starting';
    case 'insubstantiating': return 'stopping';
    case 'substantiated': return 'attaching';
    default: return 'not running';
  }
}

export const workersPage: Page = async (ctx) => {
  ctx.setTitle('Workers');
  const tbody = h('tbody');
  const status = h('p', { class: 'form-status', role: 'status' });
  const poolSelect = h('select', { id: 'workers-pool', 'aria-label': 'Pool' });
  const tagsInput = h('input', { id: 'workers-tags', type: 'search', placeholder: 'os=linux docker', 'aria-label': 'Tags (all must match)' });
  const count = h('span', { class: 'muted', 'data-count': '' });
  let loaded: { workers: Worker[]; byWorker: Map<number, BuildRow[]>; builders: Map<number, { name: string }> } | null = null;

  const act = async (w: Worker, method: 'pause' | 'unpause') => {
    try { await rpc(`workers/${w.workerid}`, method, { reason: `${method}d from the web UI` }); status.textContent = `Worker ${w.name}: ${method} requested.`; } catch (err) { status.textContent = `Could not ${method} ${w.name}: ${(err as Error).message}`; }
    reload();
  };

  const render = () => {
    if (!loaded) return;
    const { workers, byWorker, builders } = loaded;
    const pool = poolSelect.value;
    const tags = filterTags(tagsInput.value);
    const shown = workers.filter((w) => (pool === '' || (pool === NAMED ? !w.pool : w.pool === pool)) && tags.every((t) => (w.tags ?? []).includes(t)));
    count.textContent = shown.length === workers.length ? `${workers.length} workers` : `${shown.length} of ${workers.length} workers`;
    replace(tbody, shown.length ? shown.map((w) => {
      const connected = w.connected_to.length > 0;
      const state = !connected ? latentState(w) ?? 'disconnected' : w.graceful ? 'shutting down' : w.paused ? 'paused' : 'connected';
      const failed = w.latent?.failures ? h('div', { class: 'muted', 'data-latent-error': '' }, `start failed ${w.latent.failures}×: ${w.latent.lastError ?? ''}`) : null;
      const info = w.workerinfo ?? {};
      const builds = byWorker.get(w.workerid) ?? [];
      // The platform tags are shown in their own column; the rest are the worker's and its pool's.
      const otherTags = (w.tags ?? []).filter((t) => !t.startsWith('os=') && !t.startsWith('arch='));
      return h('tr', { 'data-worker': w.name },
        h('th', { scope: 'row' }, w.name),
        h('td', { 'data-pool': w.pool ?? '' }, w.pool ?? (w.latent ? h('span', { 'data-latent': w.latent.provider }, `${w.latent.pool ? `latent pool ${w.latent.pool}` : 'latent'} · ${w.latent.provider}`) : h('span', { class: 'muted' }, 'named'))),
        h('td', null, h('span', { class: `state state-${state.replace(' ', '-')}` }, state), failed),
        h('td', { class: 'chips' }, builds.length ? builds.map((b) => buildChip(b, `${builders.get(b.builderid)?.name ?? b.builderid} #${b.number}`)) : h('span', { class: 'muted' }, 'idle')),
        h('td', null, [...new Set(w.configured_on.map((c) => builders.get(c.builderid)?.name ?? String(c.builderid)))].join(', ')),
        h('td', { 'data-platform': '' }, [w.os, w.arch].filter(Boolean).join('/') || h('span', { class: 'muted' }, 'unknown')),
        h('td', { class: 'chips', 'data-tags': '' }, otherTags.map((t) => h('button', { type: 'button', class: 'tag', title: `Show workers with ${t}`, onclick: () => addTag(t) }, t))),
        h('td', { class: 'muted' }, [info.host, info.os_name ?? info.system, info.version].filter(Boolean).join(' · ')),
        h('td', null, can(ctx) && connected ? h('button', { type: 'button', class: 'btn small', onclick: () => act(w, w.paused ? 'unpause' : 'pause') }, w.paused ? 'Unpause' : 'Pause') : null));
    }) : emptyRow(9, workers.length ? 'No worker matches the filter.' : 'No workers are configured.'));
  };

  const addTag = (t: string) => {
    const tags = filterTags(tagsInput.value);
    if (!tags.includes(t)) tagsInput.value = [...tags, t].join(' ');
    render();
  };

  const fillPools = (workers: Worker[]) => {
    const pools = [...new Set(workers.flatMap((w) => (w.pool ? [w.pool] : [])))].sort();
    const current = poolSelect.value;
    replace(poolSelect,
      h('option', { value: '' }, 'All pools'),
      h('option', { value: NAMED }, 'Named workers'),
      pools.map((p) => h('option', { value: p }, p)));
    poolSelect.value = current === '' || current === NAMED || pools.includes(current) ? current : '';
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
    loaded = { workers, byWorker, builders };
    fillPools(workers);
    render();
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn(err)); }, 200);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);
  ctx.subscribe('workers/*/*', reload);
  ctx.subscribe('builds/*/*', reload);
  poolSelect.addEventListener('change', render);
  tagsInput.addEventListener('input', render);

  await load();
  return h('div', null, pageHeader('Workers'), status,
    h('div', { class: 'filters', role: 'search' },
      h('label', { for: 'workers-pool' }, 'Pool '), poolSelect,
      h('label', { for: 'workers-tags' }, ' Tags '), tagsInput, ' ', count),
    table('Workers', ['Worker', 'Pool', 'State', 'Running builds', 'Builders', 'Platform', 'Tags', 'Host', ''], tbody, 'workers'));
};
