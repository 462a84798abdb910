/**
 * What the commit-status reporters (GitHub, GitLab) share, as Buildbot's do: the status's name
 * (`context`, default `buildbot/%(prop:buildername)s`, rendered with the build's properties), and
 * the description made from the report's text (its first line, cut to the service's limit).
 */
import type { IssueCollector } from '../model/config-errors.js';
import type { Obj } from '../model/config-checks.js';
import { buildTemplateIssue } from './build-render.js';

export const DEFAULT_STATUS_CONTEXT = 'buildbot/%(prop:buildername)s';

/** Text cut to `max` characters (a service's limit), ending with '…' when cut. */
export function cutText(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The report's text as a one-line status description, or undefined when there is none. */
export function statusDescription(body: unknown, max: number): string | undefined {
  if (typeof body !== 'string') return undefined;
  const line = body.split('\n').map((l) => l.trim()).find(Boolean);
  return line ? cutText(line, max) : undefined;
}

export function checkContextOption(c: IssueCollector, o: Obj): void {
  if (o.context === undefined) return;
  const issue = buildTemplateIssue(o.context);
  if (issue) c.add('context', issue);
}
