/** Every build request still waiting, across builders, with why it waits (worker, lock, queue). */
import { list, rpc } from '../api.js';
import { getBuilders } from '../cache.js';
import { debounce, h, replace } from '../dom.js';
import { timeEl } from '../format.js';
import type { Page } from '../page.js';
import type { BuildRequestRow } from './builder.js';
import { can, emptyRow, pageHeader, table } from './common.js';
import { pendingReasonView } from './pending-reason.js';

export const pendingPage: Page = async (ctx) => {
  ctx.setTitle('Pending build requests');
  const tbody = h('tbody');
  const status = h('p', { class: 'form-status', role: 'status' });

  const cancel = async (brid: number) => {
    try { await rpc(`buildrequests/${brid}`, 'cancel', { reason: 'cancelled from the web UI' }); status.textContent = `Request ${brid} cancelled.`; } catch (err) { status.textContent = `Could not cancel request ${brid}: ${(err as Error).message}`; }
    reload();
  };

  const load = async () => {
    const [reqs, builders] = await Promise.all([
      list<BuildRequestRow>('buildrequests', { complete: false, claimed: false }, ctx.signal),
      getBuilders(),
    ]);
    reqs.sort((a, b) => b.priority - a.priority || a.submitted_at - b.submitted_at);
    replace(tbody, reqs.length ? reqs.map((r) => h('tr', { 'data-brid': String(r.buildrequestid) },
      h('td', null, String(r.buildrequestid)),
      h('th', { scope: 'row' }, h('a', { href: `#/builders/${r.builderid}` }, builders.get(r.builderid)?.name ?? `builder ${r.builderid}`)),
      h('td', null, timeEl(r.submitted_at)),
      h('td', { class: 'num' }, String(r.priority)),
      h('td', null, pendingReasonView(r.pending_reason, r.claimed)),
      h('td', null, can(ctx) ? h('button', { type: 'button', class: 'btn small', onclick: () => cancel(r.buildrequestid) }, 'Cancel') : null),
    )) : emptyRow(6, 'No build request is waiting.'));
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn(err)); }, 200);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);
  ctx.subscribe('buildrequests/*/*', reload);
  ctx.subscribe('workers/*/*', reload);
  // Reasons also change without events (a lock frees): refresh every few seconds while something waits.
  const timer = setInterval(() => { if (tbody.querySelector('[data-brid]')) reload(); }, 5000);
  ctx.onDispose(() => clearInterval(timer));

  await load();
  return h('div', null, pageHeader('Pending build requests'), status,
    table('Pending build requests', ['Request', 'Builder', 'Submitted', 'Priority', 'Why it is waiting', ''], tbody, 'pending'));
};
