/**
 * A virtualised log viewer: only the lines in view are in the DOM, line ranges are fetched on
 * demand with `logs/{id}/contents?offset&limit` and kept in a bounded page cache, and live lines
 * arrive over `/ws` (`logs/{id}/append`). A log of millions of lines costs the same to show as a
 * short one.
 *
 * Layout: the scroller holds a sticky window (the rendered lines) followed by a spacer, so the
 * scrollbar spans the whole log. Every line has the same height (no wrapping), which makes the
 * first visible line a division. Browsers cap element heights (~16–33 M px), so beyond
 * MAX_SCROLL_PX the scroll position maps proportionally onto line numbers.
 *
 * Follow mode keeps the view at the end while lines arrive; scrolling up stops it, scrolling back
 * to the end (or the Follow button) resumes it.
 */
import { list } from './api.js';
import { renderAnsi } from './ansi.js';
import { frameScheduler, h } from './dom.js';
import type { Live } from './live.js';

export interface LogInfo { logid: number; name: string; slug: string; num_lines: number; complete: boolean; type: string }

export const LOG_VIEW_DEFAULTS = {
  /** Lines per `contents` request and per cache page. */
  pageLines: 1000,
  /** Pages kept in memory (least recently used dropped first): 200 000 lines by default. */
  maxPages: 200,
  /** Height of one line in CSS pixels; must match `.log-line` in style.css. */
  lineHeight: 18,
  /** Tallest scroll area used; longer logs scroll proportionally. */
  maxScrollPx: 8_000_000,
} as const;

const STREAM_CLASS: Record<string, string> = { o: 'ls-out', e: 'ls-err', h: 'ls-head' };

interface Page { lines: (string | undefined)[]; fetchedAt: number; fetching: boolean }

export class LogView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly window: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly countEl: HTMLElement;
  private readonly pages = new Map<number, Page>();
  private numLines: number;
  private complete: boolean;
  private follow: boolean;
  private expectedScrollTop = -1;
  private disposed = false;
  private readonly unsubscribe: () => void;
  private readonly scheduleRender = frameScheduler(() => this.render());
  private readonly resizeObserver: ResizeObserver;
  private readonly opts = LOG_VIEW_DEFAULTS;

  constructor(private readonly log: LogInfo, live: Live) {
    this.numLines = log.num_lines;
    this.complete = log.complete;
    this.follow = !log.complete;
    this.countEl = h('span', { class: 'muted log-count' });
    this.followBtn = h('button', { type: 'button', class: 'btn small', 'aria-pressed': String(this.follow), onclick: () => this.setFollow(!this.follow, true) }, 'Follow');
    this.window = h('div', { class: 'log-window' });
    this.spacer = h('div', { class: 'log-spacer' });
    this.scroller = h('div', {
      class: 'log-scroller', tabindex: '0', role: 'log', 'aria-label': `Log ${log.name}`, 'data-logid': String(log.logid),
      onscroll: () => this.onScroll(),
    }, this.window, this.spacer);
    this.el = h('section', { class: 'log-view', 'data-log': log.slug },
      h('div', { class: 'log-toolbar' },
        h('strong', null, log.name), this.countEl, this.followBtn,
        h('a', { class: 'btn small', href: `/api/v2/logs/${log.logid}/raw`, download: `${log.slug}.txt` }, 'Download')),
      this.scroller);
    this.unsubscribe = live.subscribe(`logs/${log.logid}/*`, (key, msg) => this.onEvent(key[2]!, msg));
    this.resizeObserver = new ResizeObserver(() => this.scheduleRender());
    this.resizeObserver.observe(this.scroller);
    this.scheduleRender();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.resizeObserver.disconnect();
  }

  /** Refetches the log's size after a reconnect (appends may have been missed). */
  async resync(): Promise<void> {
    const [fresh] = await list<LogInfo>(`logs/${this.log.logid}`);
    if (!fresh) return;
    this.complete = fresh.complete;
    this.pages.clear();
    this.numLines = fresh.num_lines;
    this.scheduleRender();
  }

  private onEvent(event: string, msg: any): void {
    if (event === 'append' && typeof msg?.firstline === 'number') {
      const content: string[] = Array.isArray(msg.content) ? msg.content : splitLines(String(msg.content ?? ''));
      this.store(msg.firstline, content, true);
      this.numLines = Math.max(this.numLines, msg.firstline + content.length, msg.num_lines ?? 0);
      this.scheduleRender();
    } else if (event === 'finished') {
      this.complete = true;
      if (typeof msg?.num_lines === 'number') this.numLines = Math.max(this.numLines, msg.num_lines);
      this.scheduleRender();
    }
  }

  /** Puts lines into cache pages; live lines create the tail page they start, other pages must be fetched. */
  private store(first: number, lines: string[], live: boolean): void {
    const P = this.opts.pageLines;
    for (let i = 0; i < lines.length; i++) {
      const n = first + i;
      const p = Math.floor(n / P);
      let page = this.pages.get(p);
      if (!page) {
        if (!live) continue;
        page = { lines: [], fetchedAt: 0, fetching: false };
        this.pages.set(p, page);
        this.trimCache(p);
      }
      page.lines[n - p * P] = lines[i];
    }
  }

  private trimCache(keep: number): void {
    if (this.pages.size <= this.opts.maxPages) return;
    // Map iteration order is insertion order; touch() re-inserts used pages, so the first is the least recently used.
    for (const k of this.pages.keys()) {
      if (k === keep || this.pages.get(k)!.fetching) continue;
      this.pages.delete(k);
      if (this.pages.size <= this.opts.maxPages) break;
    }
  }

  private touch(p: number): Page | undefined {
    const page = this.pages.get(p);
    if (page) { this.pages.delete(p); this.pages.set(p, page); }
    return page;
  }

  private async fetchPage(p: number): Promise<void> {
    const P = this.opts.pageLines;
    let page = this.pages.get(p);
    if (!page) { page = { lines: [], fetchedAt: 0, fetching: false }; this.pages.set(p, page); this.trimCache(p); }
    if (page.fetching) return;
    page.fetching = true;
    const knownLines = this.numLines;
    try {
      const [chunk] = await list<{ firstline: number; content: string | string[] }>(`logs/${this.log.logid}/contents`, { offset: p * P, limit: P });
      if (this.disposed) return;
      if (chunk) {
        const lines = Array.isArray(chunk.content) ? chunk.content : splitLines(chunk.content);
        for (let i = 0; i < lines.length; i++) page.lines[chunk.firstline - p * P + i] = lines[i];
        this.numLines = Math.max(this.numLines, chunk.firstline + lines.length);
      }
      page.fetchedAt = knownLines;
    } catch (err) {
      console.warn(`could not fetch lines of log ${this.log.logid}`, err);
      page.fetchedAt = knownLines; // do not hammer a failing server; a new append or resync retries
    } finally {
      page.fetching = false;
      this.scheduleRender();
    }
  }

  private setFollow(on: boolean, jump: boolean): void {
    this.follow = on;
    this.followBtn.setAttribute('aria-pressed', String(on));
    if (on && jump) this.scheduleRender();
  }

  private onScroll(): void {
    const top = this.scroller.scrollTop;
    if (Math.abs(top - this.expectedScrollTop) > 1) {
      // The user scrolled: follow only while the view is at the end.
      const atEnd = top + this.scroller.clientHeight >= this.scroller.scrollHeight - this.opts.lineHeight;
      if (atEnd !== this.follow) this.setFollow(atEnd, false);
      this.expectedScrollTop = -1;
    }
    this.scheduleRender();
  }

  private render(): void {
    if (this.disposed) return;
    const { lineHeight: lh, pageLines: P } = this.opts;
    const n = this.numLines;
    const viewport = this.scroller.clientHeight;
    const realHeight = n * lh;
    const virtHeight = Math.min(realHeight, this.opts.maxScrollPx);
    this.window.style.height = `${Math.min(viewport, virtHeight)}px`;
    this.spacer.style.height = `${Math.max(0, virtHeight - viewport)}px`;
    this.countEl.textContent = `${n.toLocaleString('en')} lines${this.complete ? '' : ' · streaming'}`;

    if (this.follow) {
      const bottom = Math.max(0, virtHeight - viewport);
      if (this.scroller.scrollTop !== bottom) { this.expectedScrollTop = bottom; this.scroller.scrollTop = bottom; }
    }
    const maxScroll = Math.max(0, virtHeight - viewport);
    const realMax = Math.max(0, realHeight - viewport);
    const scrollTop = Math.min(this.scroller.scrollTop, maxScroll);
    const realTop = maxScroll > 0 ? (scrollTop / maxScroll) * realMax : 0;
    const first = Math.floor(realTop / lh);
    const count = Math.min(n - first, Math.ceil(viewport / lh) + 1);
    const offset = realTop - first * lh;

    // Fetch what is missing in view (and the page after it, so scrolling down rarely shows gaps).
    const lastPage = Math.floor(Math.max(0, first + count - 1) / P);
    for (let p = Math.floor(first / P); p <= Math.min(lastPage + 1, Math.floor(Math.max(0, n - 1) / P)); p++) {
      const page = this.touch(p);
      if (page?.fetching) continue;
      const from = Math.max(first, p * P), to = Math.min(first + count, (p + 1) * P, n);
      let missing = p > lastPage && !page;
      for (let i = from; i < to && !missing; i++) if (page?.lines[i - p * P] === undefined) missing = true;
      if (missing && (!page || page.fetchedAt < n)) void this.fetchPage(p);
    }

    const rows: HTMLElement[] = [];
    const stdio = this.log.type === 's';
    for (let i = first; i < first + count; i++) {
      const line = this.pages.get(Math.floor(i / P))?.lines[i % P];
      const row = h('div', { class: 'log-line' }, h('span', { class: 'log-n', 'aria-hidden': 'true' }, String(i + 1)));
      if (line === undefined) row.classList.add('log-missing');
      else {
        const text = h('span', { class: 'log-t' });
        if (stdio && line.length) { const c = STREAM_CLASS[line[0]!]; if (c) text.classList.add(c); renderAnsi(text, line.slice(1)); }
        else renderAnsi(text, line);
        row.appendChild(text);
      }
      rows.push(row);
    }
    const inner = h('div', { class: 'log-lines' }, rows);
    inner.style.transform = `translateY(${-offset}px)`;
    this.window.replaceChildren(inner);
  }
}

function splitLines(content: string): string[] {
  if (!content) return [];
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
