/** The most recent changes (commits seen by change sources and hooks), newest first, live. */
import { list } from '../api.js';
import { h } from '../dom.js';
import { shortRev, timeEl } from '../format.js';
import type { Page } from '../page.js';
import { emptyRow, pageHeader, table } from './common.js';

interface ChangeRow {
  changeid: number; author: string; comments: string; revision: string | null; when_timestamp: number; branch: string | null;
  repository: string; project: string; files: string[]; revlink: string | null;
}

const LIMIT = 50;

export const changesPage: Page = async (ctx) => {
  ctx.setTitle('Changes');
  const tbody = h('tbody');
  const row = (c: ChangeRow) => h('tr', { 'data-change': String(c.changeid) },
    h('td', null, String(c.changeid)),
    h('td', null, timeEl(c.when_timestamp)),
    h('td', null, c.author),
    h('td', null, c.branch ?? ''),
    h('td', { class: 'mono' }, c.revlink ? h('a', { href: c.revlink, rel: 'noopener noreferrer' }, shortRev(c.revision)) : shortRev(c.revision)),
    h('td', { class: 'comments', title: c.comments }, (c.comments ?? '').split('\n')[0]),
    h('td', { class: 'muted' }, c.repository),
    h('td', { class: 'num', title: (c.files ?? []).join('\n') }, String((c.files ?? []).length)));
  const load = async () => {
    const changes = await list<ChangeRow>('changes', { order: '-changeid', limit: LIMIT }, ctx.signal);
    tbody.replaceChildren(...(changes.length ? changes.map(row) : [emptyRow(8, 'No changes yet.')]));
  };
  ctx.subscribe('changes/*/*', (_k, c: ChangeRow) => {
    if (tbody.querySelector(`[data-change="${c.changeid}"]`)) return;
    tbody.querySelector('tr.empty')?.remove();
    tbody.insertBefore(row(c), tbody.firstChild);
    while (tbody.children.length > LIMIT) tbody.lastElementChild!.remove();
  });
  ctx.onResync(() => void load());
  await load();
  return h('div', null, pageHeader('Changes'),
    table('Recent changes', ['Change', 'When', 'Author', 'Branch', 'Revision', 'Comments', 'Repository', 'Files'], tbody, 'changes'));
};
