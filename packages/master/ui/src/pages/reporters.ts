/**
 * Reporters: where build results go and how their delivery fares (`/api/v2/reporters`): delivered,
 * pending, failing (being retried) and failed (given up) reports, the last error and when, the last
 * delivery. A reporter removed from the config whose reports are still queued is listed too.
 */
import { list } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { ago, timeEl } from '../format.js';
import type { Page } from '../page.js';
import { emptyRow, pageHeader, table } from './common.js';

interface Reporter {
  name: string; kind: string | null; configured: boolean; generators: string[];
  delivered: number; pending: number; failing: number; failed: number; in_flight: number;
  last_delivered_at: number | null; last_error: string | null; last_error_at: number | null;
}

function health(r: Reporter): string {
  if (!r.configured) return 'not configured';
  if (r.failing) return 'failing';
  if (r.failed) return 'gave up on some';
  return r.pending ? 'delivering' : 'ok';
}

export const reportersPage: Page = async (ctx) => {
  ctx.setTitle('Reporters');
  const tbody = h('tbody');
  const load = async () => {
    const reporters = await list<Reporter>('reporters', {}, ctx.signal);
    replace(tbody, reporters.length ? reporters.map((r) => {
      const state = health(r);
      return h('tr', { 'data-reporter': r.name },
        h('th', { scope: 'row' }, r.name, r.generators.length ? h('div', { class: 'muted' }, r.generators.join(', ')) : null),
        h('td', null, r.kind ?? h('span', { class: 'muted' }, '—')),
        h('td', null, h('span', { class: `state state-reporter-${state.replace(/ /g, '-')}` }, state)),
        h('td', { class: 'num', 'data-count': 'delivered' }, String(r.delivered)),
        h('td', { class: 'num', 'data-count': 'pending' }, String(r.pending), r.in_flight ? h('span', { class: 'muted' }, ` (${r.in_flight} in flight)`) : null),
        h('td', { class: 'num', 'data-count': 'failing' }, String(r.failing)),
        h('td', { class: 'num', 'data-count': 'failed' }, String(r.failed)),
        h('td', null, r.last_delivered_at ? timeEl(r.last_delivered_at) : h('span', { class: 'muted' }, 'never')),
        h('td', { class: 'reporter-error' }, r.last_error
          ? [h('span', { title: r.last_error }, r.last_error), h('div', { class: 'muted' }, ago(r.last_error_at))]
          : h('span', { class: 'muted' }, 'none')));
    }) : emptyRow(9, 'No reporters are configured: add reporters: [...] to the master config (see the README).'));
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn(err)); }, 500);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);
  // Reports follow builds: refresh when one starts or ends (the counts change right after).
  ctx.subscribe('builds/*/*', reload);
  await load();
  return h('div', null, pageHeader('Reporters'),
    table('Reporters', ['Reporter', 'Kind', 'State', 'Delivered', 'Pending', 'Failing', 'Failed', 'Last delivered', 'Last error'], tbody, 'reporters'));
};
