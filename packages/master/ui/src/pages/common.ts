/** Pieces several pages share: headings, tables, links to builds and builders, error notes. */
import { h, type Child } from '../dom.js';
import { resultBadge } from '../results.js';

export interface BuildRow {
  buildid: number; number: number; builderid: number; buildrequestid: number; workerid: number; masterid: number;
  started_at: number; complete: boolean; complete_at: number | null; results: number | null; state_string: string;
  properties?: Record<string, [unknown, string]>;
}

export function errorView(message: string, hint?: string): HTMLElement {
  return h('div', { class: 'note error', role: 'alert' }, h('p', null, message), hint ? h('p', { class: 'muted' }, hint) : null);
}

export function pageHeader(title: Child, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', null, title), actions.length ? h('div', { class: 'actions' }, actions) : null);
}

/** A table with a caption for screen readers and a scroll wrapper so it never widens the page. */
export function table(caption: string, headers: string[], body: HTMLTableSectionElement, extraClass = ''): HTMLElement {
  return h('div', { class: `table-wrap ${extraClass}` },
    h('table', null,
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, headers.map((c) => h('th', { scope: 'col' }, c)))),
      body));
}

export function buildHref(b: { builderid: number; number: number }): string {
  return `#/builders/${b.builderid}/builds/${b.number}`;
}

/** A result-coloured link to a build: `#12 success`. */
export function buildChip(b: BuildRow, label: string = `#${b.number}`): HTMLElement {
  const badge = resultBadge(b.results, b.complete, label);
  return h('a', { class: 'chip', href: buildHref(b), title: `build ${b.number}: ${b.state_string}` }, badge);
}

export function emptyRow(cols: number, text: string): HTMLTableRowElement {
  return h('tr', { class: 'empty' }, h('td', { colspan: String(cols) }, text));
}

export function can(ctx: { session: { user: { roles: string[] } | null; available: boolean } }): boolean {
  // Without an auth layer everything is allowed; otherwise the server decides, the UI offers actions to logged-in users.
  return !ctx.session.available || ctx.session.user !== null;
}
