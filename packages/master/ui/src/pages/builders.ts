/** The builders list: each builder with its most recent builds, updated as builds start and finish. */
import { list } from '../api.js';
import { getBuilders, type Builder } from '../cache.js';
import { debounce, h, replace } from '../dom.js';
import type { Page } from '../page.js';
import { buildChip, emptyRow, pageHeader, table, type BuildRow } from './common.js';

const RECENT = 8;

export const buildersPage: Page = async (ctx) => {
  ctx.setTitle('Builders');
  const recent = new Map<number, BuildRow[]>();
  const cells = new Map<number, HTMLTableCellElement>();
  const tbody = h('tbody');

  const renderRow = (b: Builder) => {
    const builds = recent.get(b.builderid) ?? [];
    const cell = h('td', { class: 'chips' }, builds.length ? builds.map((x) => buildChip(x)) : h('span', { class: 'muted' }, 'no builds yet'));
    cells.set(b.builderid, cell);
    return h('tr', { 'data-builder': b.name },
      h('th', { scope: 'row' }, h('a', { href: `#/builders/${b.builderid}` }, b.name)),
      cell,
      h('td', { class: 'muted' }, b.description ?? ''),
      h('td', null, (b.tags ?? []).map((t) => h('span', { class: 'tag' }, t))));
  };

  const load = async () => {
    const builders = [...(await getBuilders(true)).values()].sort((a, b) => a.name.localeCompare(b.name));
    const fetched = await Promise.all(builders.map((b) => list<BuildRow>(`builders/${b.builderid}/builds`, { order: '-number', limit: RECENT }, ctx.signal)));
    recent.clear(); cells.clear();
    builders.forEach((b, i) => recent.set(b.builderid, fetched[i]!));
    replace(tbody, builders.length ? builders.map(renderRow) : emptyRow(4, 'No builders are configured.'));
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn('reload failed', err)); }, 300);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);

  ctx.subscribe('builds/*/*', (_key, build: BuildRow) => {
    const rows = recent.get(build.builderid);
    const cell = cells.get(build.builderid);
    if (!rows || !cell) { reload(); return; } // a builder added by a reconfig
    const i = rows.findIndex((r) => r.buildid === build.buildid);
    if (i >= 0) rows[i] = { ...rows[i], ...build };
    else { rows.unshift(build); rows.sort((a, b) => b.number - a.number); rows.length = Math.min(rows.length, RECENT); }
    replace(cell, rows.map((x) => buildChip(x)));
  });
  ctx.subscribe('builders/*/*', reload);

  await load();
  return h('div', null, pageHeader('Builders'), table('Builders and their recent builds', ['Builder', 'Recent builds (newest first)', 'Description', 'Tags'], tbody, 'builders'));
};
