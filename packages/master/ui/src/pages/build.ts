/**
 * A build: header with result and actions (stop, rebuild), its steps with results, durations and
 * summaries, and the logs of each step in a virtualised, live-streaming viewer. The running step's
 * log opens by itself (so you watch it happen), and for a finished build the first failing step's.
 */
import { list, one, rpc } from '../api.js';
import { builderName } from '../cache.js';
import { h, replace } from '../dom.js';
import { elapsed, timeEl } from '../format.js';
import { LogView, type LogInfo } from '../log-view.js';
import type { Page, PageContext } from '../page.js';
import { resultBadge, resultClass } from '../results.js';
import { can, errorView, pageHeader, type BuildRow } from './common.js';

interface StepRow {
  stepid: number; number: number; name: string; buildid: number; started_at: number | null; complete: boolean;
  complete_at: number | null; results: number | null; state_string: string; urls: { name: string; url: string }[]; hidden: boolean;
}

export const buildPage: Page = async (ctx, params) => {
  const build = params.buildid
    ? await one<BuildRow>(`builds/${Number(params.buildid)}`, { property: '*' }, ctx.signal)
    : await one<BuildRow>(`builders/${Number(params.builderid)}/builds/${Number(params.number)}`, { property: '*' }, ctx.signal);
  if (!build) return errorView('This build does not exist.', 'It may not have started yet; see the builder page.');
  const bname = await builderName(build.builderid);
  ctx.setTitle(`${bname} #${build.number}`);
  return new BuildView(ctx, build, bname).el;
};

class BuildView {
  readonly el: HTMLElement;
  private readonly head = h('div');
  private readonly stepsList = h('ol', { class: 'steps' });
  private readonly props = h('div');
  private readonly status = h('p', { class: 'form-status', role: 'status' });
  private readonly steps = new Map<number, { row: StepRow; li: HTMLLIElement; logs: HTMLElement; details: HTMLDetailsElement; views: LogView[]; logsLoaded: boolean }>();
  private autoOpened = false;

  constructor(private readonly ctx: PageContext, private build: BuildRow, private readonly builderName: string) {
    this.el = h('div', { class: 'build-page' }, this.head, this.status, h('h2', null, 'Steps'), this.stepsList, this.props);
    this.renderHead();
    this.renderProps();
    ctx.subscribe(`builds/${build.buildid}/*`, (_k, b: BuildRow) => { this.build = { ...this.build, ...b, properties: this.build.properties }; this.renderHead(); });
    ctx.subscribe(`builds/${build.buildid}/steps/*/*`, (_k, s: StepRow) => this.upsertStep(s));
    ctx.onResync(() => void this.loadSteps());
    const tick = setInterval(() => this.tick(), 1000);
    ctx.onDispose(() => { clearInterval(tick); for (const s of this.steps.values()) for (const v of s.views) v.dispose(); });
    void this.loadSteps();
  }

  private renderHead(): void {
    const b = this.build;
    const actions: HTMLElement[] = [];
    if (can(this.ctx)) {
      if (!b.complete) actions.push(h('button', { type: 'button', class: 'btn danger', onclick: () => this.action('stop') }, 'Stop'));
      else actions.push(h('button', { type: 'button', class: 'btn', onclick: () => this.action('rebuild') }, 'Rebuild'));
    }
    replace(this.head,
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: `#/builders/${b.builderid}` }, this.builderName), ' › ', `build #${b.number}`),
      pageHeader([`${this.builderName} #${b.number} `, resultBadge(b.results, b.complete)], ...actions),
      h('dl', { class: 'facts' },
        h('dt', null, 'Status'), h('dd', { class: 'build-state' }, b.state_string),
        h('dt', null, 'Started'), h('dd', null, timeEl(b.started_at)),
        h('dt', null, 'Duration'), h('dd', { class: 'build-duration' }, elapsed(b.started_at, b.complete_at)),
        h('dt', null, 'Worker'), h('dd', null, String(workerOf(b) ?? b.workerid))));
    this.head.className = `build-head ${resultClass(b.results, b.complete)}`;
  }

  private renderProps(): void {
    const props = this.build.properties ?? {};
    const names = Object.keys(props).sort();
    if (!names.length) return;
    replace(this.props, h('details', { class: 'props' }, h('summary', null, `Properties (${names.length})`),
      h('div', { class: 'table-wrap' }, h('table', null, h('caption', { class: 'sr-only' }, 'Build properties'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Source'))),
        h('tbody', null, names.map((n) => h('tr', null, h('td', null, n), h('td', { class: 'mono' }, JSON.stringify(props[n]![0])), h('td', { class: 'muted' }, props[n]![1]))))))));
  }

  private async action(method: 'stop' | 'rebuild'): Promise<void> {
    try {
      const r = await rpc(`builds/${this.build.buildid}`, method, method === 'stop' ? { reason: 'stopped from the web UI' } : {});
      this.status.textContent = method === 'stop' ? 'Stop requested.' : `Rebuild requested${Array.isArray(r) ? ` (buildset ${r[0]})` : ''}.`;
    } catch (err) {
      this.status.textContent = `Could not ${method} the build: ${(err as Error).message}`;
    }
  }

  private async loadSteps(): Promise<void> {
    const rows = await list<StepRow>(`builds/${this.build.buildid}/steps`, {}, this.ctx.signal);
    for (const s of rows) this.upsertStep(s);
  }

  private upsertStep(s: StepRow): void {
    let st = this.steps.get(s.stepid);
    if (!st) {
      const logs = h('div', { class: 'step-logs' });
      const details = h('details', { class: 'step-details' });
      const li = h('li', { class: 'step', 'data-step': s.name });
      st = { row: s, li, logs, details, views: [], logsLoaded: false };
      this.steps.set(s.stepid, st);
      const entry = st;
      details.addEventListener('toggle', () => { if (details.open) void this.loadLogs(entry); });
      this.ctx.subscribe(`steps/${s.stepid}/logs/*/*`, (_k, log: LogInfo) => { if (entry.logsLoaded && !entry.views.some((v) => v.el.dataset.log === log.slug)) void this.loadLogs(entry, true); });
      // Keep steps in number order even if events arrive out of order.
      const after = [...this.steps.values()].filter((x) => x.row.number > s.number).sort((a, b) => a.row.number - b.row.number)[0];
      this.stepsList.insertBefore(li, after?.li ?? null);
    }
    st.row = { ...st.row, ...s };
    this.renderStep(st);
    // Open the log of what is happening now, or of what failed.
    const r = st.row;
    // A running worker_preparation (step 0, no logs) is not what anyone wants to watch; a failed one is.
    const preparing = r.number === 0 && r.name === 'worker_preparation' && !r.complete;
    if (!this.autoOpened && !preparing && ((!r.complete && r.started_at) || (r.complete && r.results !== null && r.results >= 2 && r.results !== 3))) {
      this.autoOpened = true;
      st.details.open = true;
    }
  }

  private renderStep(st: { row: StepRow; li: HTMLLIElement; logs: HTMLElement; details: HTMLDetailsElement }): void {
    const s = st.row;
    const started = s.started_at !== null;
    st.li.className = `step ${started ? resultClass(s.results, s.complete) : 'r-pending'}`;
    // Only the summary and links are redrawn: the log views below keep their DOM and scroll position.
    if (!st.details.firstChild) {
      st.details.append(h('summary'), h('div', { class: 'step-urls' }), st.logs);
      st.li.appendChild(st.details);
    }
    replace(st.details.firstElementChild!,
      // Buildbot's numbers: worker_preparation is step 0, the first configured step is 1.
      h('span', { class: 'step-num' }, String(s.number)),
      h('span', { class: 'step-name' }, s.name),
      started ? resultBadge(s.results, s.complete) : h('span', { class: 'badge r-pending' }, 'pending'),
      h('span', { class: 'step-summary' }, s.state_string),
      h('span', { class: 'step-duration num' }, started ? elapsed(s.started_at, s.complete_at) : ''));
    replace(st.details.children[1]!, s.urls?.length ? h('ul', null, s.urls.map((u) => h('li', null, h('a', { href: u.url, rel: 'noopener noreferrer' }, u.name)))) : null);
  }

  private async loadLogs(st: { row: StepRow; logs: HTMLElement; views: LogView[]; logsLoaded: boolean }, force = false): Promise<void> {
    if (st.logsLoaded && !force) return;
    st.logsLoaded = true;
    const logs = await list<LogInfo>(`steps/${st.row.stepid}/logs`, {}, this.ctx.signal);
    if (this.ctx.signal.aborted) return;
    for (const log of logs) {
      if (st.views.some((v) => v.el.dataset.log === log.slug)) continue;
      const view = new LogView(log, this.ctx.live);
      st.views.push(view);
      st.logs.appendChild(view.el);
      this.ctx.onResync(() => void view.resync());
    }
    if (!logs.length && !st.logs.firstChild) st.logs.appendChild(h('p', { class: 'muted' }, 'This step has no logs (yet).'));
    else st.logs.querySelector('p.muted')?.remove();
  }

  private tick(): void {
    if (!this.build.complete) {
      const d = this.head.querySelector('.build-duration');
      if (d) d.textContent = elapsed(this.build.started_at, this.build.complete_at);
    }
    for (const st of this.steps.values()) {
      if (st.row.started_at && !st.row.complete) {
        const d = st.details.querySelector('.step-duration');
        if (d) d.textContent = elapsed(st.row.started_at, null);
      }
    }
  }
}

function workerOf(b: BuildRow): string | undefined {
  const w = b.properties?.workername?.[0];
  return typeof w === 'string' ? w : undefined;
}
