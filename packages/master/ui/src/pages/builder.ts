/** One builder: force buttons, pending requests with their reasons, and recent builds, all live. */
import { list, rpc } from '../api.js';
import { getBuilders } from '../cache.js';
import { debounce, h, replace } from '../dom.js';
import { elapsed, timeEl } from '../format.js';
import { openForceDialog, type ForceScheduler } from '../force-form.js';
import type { Page } from '../page.js';
import { resultBadge } from '../results.js';
import { buildHref, can, emptyRow, errorView, pageHeader, table, type BuildRow } from './common.js';
import { pendingReasonView, type PendingReason } from './pending-reason.js';

export interface BuildRequestRow {
  buildrequestid: number; buildsetid: number; builderid: number; priority: number; claimed: boolean; complete: boolean;
  submitted_at: number; results: number | null; pending_reason: PendingReason | null;
}

export const builderPage: Page = async (ctx, params) => {
  const builderid = Number(params.builderid);
  const builder = (await getBuilders()).get(builderid) ?? (await getBuilders(true)).get(builderid);
  if (!builder) return errorView(`There is no builder with id ${params.builderid}.`, 'Pick one from the builders list.');
  ctx.setTitle(builder.name);

  // A failed read must say so: silently showing no force button reads as "this builder cannot be forced".
  let schedulersError: string | null = null;
  const schedulers = (await list<ForceScheduler>('forceschedulers', {}, ctx.signal).catch((err: unknown) => {
    schedulersError = `Could not load the force schedulers (${err instanceof Error ? err.message : String(err)}); reload the page to try again.`;
    return [] as ForceScheduler[];
  })).filter((s) => s.builder_names.includes(builder.name));
  const status = h('p', { class: 'form-status', role: 'status' });
  if (schedulersError) status.textContent = schedulersError;
  const forceButtons = schedulers.map((s) => h('button', {
    type: 'button', class: 'btn primary', 'data-force': s.name, disabled: !can(ctx),
    title: can(ctx) ? undefined : 'Log in to force builds',
    onclick: async () => {
      const r = await openForceDialog(s, builderid);
      if (r !== null) { status.textContent = 'Build requested.'; reload(); }
    },
  }, s.button_name || 'Force'));

  const buildsBody = h('tbody');
  const pendingBody = h('tbody');
  const builds = new Map<number, BuildRow>();
  const buildRow = (b: BuildRow) => h('tr', { 'data-build': String(b.number) },
    h('td', null, h('a', { href: buildHref(b) }, `#${b.number}`)),
    h('td', null, resultBadge(b.results, b.complete)),
    h('td', null, b.state_string),
    h('td', null, timeEl(b.started_at)),
    h('td', { class: 'num' }, elapsed(b.started_at, b.complete_at)));
  const renderBuilds = () => {
    const rows = [...builds.values()].sort((a, b) => b.number - a.number).slice(0, 50);
    replace(buildsBody, rows.length ? rows.map(buildRow) : emptyRow(5, 'No builds yet.'));
  };
  const renderPending = (reqs: BuildRequestRow[]) => {
    replace(pendingBody, reqs.length ? reqs.map((r) => h('tr', { 'data-brid': String(r.buildrequestid) },
      h('td', null, String(r.buildrequestid)),
      h('td', null, timeEl(r.submitted_at)),
      h('td', { class: 'num' }, String(r.priority)),
      h('td', null, pendingReasonView(r.pending_reason, r.claimed)),
      h('td', null, can(ctx) ? h('button', { type: 'button', class: 'btn small', onclick: () => cancel(r.buildrequestid) }, 'Cancel') : null),
    )) : emptyRow(5, 'Nothing is waiting.'));
  };
  const cancel = async (brid: number) => {
    try { await rpc(`buildrequests/${brid}`, 'cancel', { reason: 'cancelled from the web UI' }); status.textContent = `Request ${brid} cancelled.`; } catch (err) { status.textContent = `Could not cancel request ${brid}: ${(err as Error).message}`; }
    reload();
  };

  const load = async () => {
    const [bs, reqs] = await Promise.all([
      list<BuildRow>(`builders/${builderid}/builds`, { order: '-number', limit: 50 }, ctx.signal),
      list<BuildRequestRow>(`builders/${builderid}/buildrequests`, { complete: false, claimed: false }, ctx.signal),
    ]);
    builds.clear();
    for (const b of bs) builds.set(b.buildid, b);
    renderBuilds();
    renderPending(reqs.sort((a, b) => b.priority - a.priority || a.submitted_at - b.submitted_at));
  };
  const reload = debounce(() => { if (!ctx.signal.aborted) load().catch((err) => console.warn(err)); }, 200);
  ctx.onDispose(reload.cancel);
  ctx.onResync(reload);
  ctx.subscribe(`builders/${builderid}/builds/*/*`, (_k, b: BuildRow) => {
    builds.set(b.buildid, { ...builds.get(b.buildid), ...b });
    renderBuilds();
  });
  ctx.subscribe(`builders/${builderid}/buildrequests/*/*`, reload);
  // Pending reasons change without request events (a worker connects, a lock frees): refresh now and then.
  const timer = setInterval(() => { if (pendingBody.querySelector('[data-brid]')) reload(); }, 5000);
  ctx.onDispose(() => clearInterval(timer));
  // Durations of running builds tick.
  const tick = setInterval(() => { if ([...builds.values()].some((b) => !b.complete)) renderBuilds(); }, 1000);
  ctx.onDispose(() => clearInterval(tick));

  await load();
  return h('div', null,
    pageHeader(builder.name, ...forceButtons),
    builder.description ? h('p', { class: 'muted' }, builder.description) : null,
    status,
    h('h2', null, 'Pending build requests'),
    table('Pending build requests', ['Request', 'Submitted', 'Priority', 'Why it is waiting', ''], pendingBody, 'pending'),
    h('h2', null, 'Recent builds'),
    table('Recent builds', ['Build', 'Result', 'Status', 'Started', 'Duration'], buildsBody, 'builds'));
};
