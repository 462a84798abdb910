/** Buildbot's result codes (packages/master/src/model/results.ts) as names and CSS classes. */
import { h } from './dom.js';

const NAMES = ['success', 'warnings', 'failure', 'skipped', 'exception', 'retry', 'cancelled'] as const;

export function resultName(results: number | null | undefined, complete = results != null): string {
  if (!complete || results == null) return 'running';
  return NAMES[results] ?? `unknown(${results})`;
}

/** CSS class for a build/step: `r-success`, ..., `r-running` (not finished), `r-pending`. */
export function resultClass(results: number | null | undefined, complete = results != null): string {
  return `r-${resultName(results, complete).replace(/\(.*$/, '')}`;
}

/** A coloured badge; the text says the result so colour is never the only cue. */
export function resultBadge(results: number | null | undefined, complete = results != null, text?: string): HTMLElement {
  const name = resultName(results, complete);
  return h('span', { class: `badge ${resultClass(results, complete)}` }, text ?? name);
}
