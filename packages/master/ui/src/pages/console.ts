/**
 * The console: recent builds across all builders as a grid, one row per revision (newest first),
 * one column per builder, each cell the result of that builder's builds of that revision.
 */
import { list } from '../api.js';
import { getBuilders } from '../cache.js';
import { frameScheduler, h, replace } from '../dom.js';
import { shortRev, timeEl } from '../format.js';
import type { Page } from '../page.js';
import { buildChip, errorView, pageHeader, type BuildRow } from './common.js';

const LIMIT = 200;

function prop(b: BuildRow, name: string): string | undefined {
  const v = b.properties?.[name]?.[0];
  return typeof v === 'string' && v ? v : undefined;
}

export const consolePage: Page = async (ctx) => {
  ctx.setTitle('Console');
  const builders = [...(await getBuilders(true)).values()].sort((a, b) => a.name.localeCompare(b.name));
  if (!builders.length) return errorView('No builders are configured.');
  const builds = new Map<number, BuildRow>();
  for (const b of await list<BuildRow>('builds', { order: '-buildid', limit: LIMIT, property: '*' }, ctx.signal)) builds.set(b.buildid, b);

  const grid = h('div', { class: 'table-wrap console' });
  const render = () => {
    const rows = new Map<string, { label: string; branch: string; when: number; cells: Map<number, BuildRow[]> }>();
    for (const b of [...builds.values()].sort((x, y) => y.buildid - x.buildid)) {
      const rev = prop(b, 'got_revision') ?? prop(b, 'revision');
      const key = rev ?? `request:${b.buildrequestid}`;
      let row = rows.get(key);
      if (!row) {
        row = { label: rev ? shortRev(rev) : `request ${b.buildrequestid}`, branch: prop(b, 'branch') ?? '', when: b.started_at, cells: new Map() };
        rows.set(key, row);
      }
      (row.cells.get(b.builderid) ?? row.cells.set(b.builderid, []).get(b.builderid)!).push(b);
    }
    replace(grid, h('table', null,
      h('caption', { class: 'sr-only' }, 'Builds by revision and builder'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Revision'), h('th', { scope: 'col' }, 'Started'),
        builders.map((b) => h('th', { scope: 'col', class: 'rot' }, h('a', { href: `#/builders/${b.builderid}` }, b.name))))),
      h('tbody', null, rows.size ? [...rows.values()].map((r) => h('tr', null,
        h('th', { scope: 'row', class: 'mono' }, r.label, r.branch ? h('span', { class: 'muted' }, ` ${r.branch}`) : null),
        h('td', null, timeEl(r.when)),
        builders.map((b) => h('td', { class: 'cell' }, (r.cells.get(b.builderid) ?? []).map((x) => buildChip(x)))))) : h('tr', { class: 'empty' }, h('td', { colspan: String(builders.length + 2) }, 'No builds yet.')))));
  };
  const schedule = frameScheduler(render);
  ctx.subscribe('builds/*/*', (_k, b: BuildRow) => {
    const old = builds.get(b.buildid);
    builds.set(b.buildid, { ...old, ...b, properties: b.properties && Object.keys(b.properties).length ? b.properties : old?.properties });
    if (!old) {
      // New builds carry no properties in their event: fetch them so the row is right.
      void list<BuildRow>(`builds/${b.buildid}`, { property: '*' }).then(([full]) => { if (full) { builds.set(b.buildid, { ...builds.get(b.buildid)!, properties: full.properties }); schedule(); } });
    }
    // Keep the newest LIMIT builds, like the initial fetch.
    if (builds.size > LIMIT) for (const id of [...builds.keys()].sort((a, b) => a - b).slice(0, builds.size - LIMIT)) builds.delete(id);
    schedule();
  });
  ctx.onResync(async () => {
    for (const b of await list<BuildRow>('builds', { order: '-buildid', limit: LIMIT, property: '*' })) builds.set(b.buildid, b);
    schedule();
  });
  render();
  return h('div', null, pageHeader('Console'), h('p', { class: 'muted' }, 'Recent builds by revision (rows) and builder (columns).'), grid);
};
