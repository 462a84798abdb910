/**
 * The contract between the HTTP server and a change-hook dialect (github, gitlab, gerrit), and the
 * one function the server calls per request. A dialect only reads a request and says what it
 * means; `handleHookRequest` enforces the body limit, records the Changes and the delivery id, so a
 * rejected or failed request records nothing and a replayed one is answered without recording.
 */
import type { AddChangeInput } from '../../data/updates-api.js';
import { ReplayGuard, type ReplayGuardOptions } from './replay-guard.js';
import { compileFnmatch } from '../../model/glob-match.js';

/** An HTTP request as a dialect sees it: header names lower-case, the raw body (signatures cover its bytes). */
export interface HookRequest {
  method: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** What a dialect made of a request. */
export type HookVerdict =
  | { kind: 'changes'; changes: AddChangeInput[]; deliveryId: string | null; message?: string }
  | { kind: 'ignored'; message: string; deliveryId: string | null }
  | { kind: 'rejected'; status: number; message: string };

export interface ChangeHookDialect {
  readonly name: string;
  /** Largest accepted body in bytes. */
  readonly bodyLimit: number;
  readonly replayGuard: ReplayGuard;
  read(req: HookRequest): HookVerdict | Promise<HookVerdict>;
}

/** Options every dialect takes. */
export interface CommonHookOptions {
  /** Largest request body accepted, in bytes; larger ones get 413. Default 1 MiB (GitHub caps payloads at 25 MB; pushes of a few hundred commits fit in 1 MiB). */
  bodyLimit?: number;
  /** Delivery-id memory (see ReplayGuard). */
  replay?: ReplayGuardOptions;
}

export const DEFAULT_HOOK_BODY_LIMIT = 1024 * 1024;

export interface HookReply {
  status: number;
  body: { message: string; changes?: number[] };
}

export function header(req: HookRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Runs one request through a dialect. `addChange` is the data API's `updates.addChange`. Answers:
 * 405 non-POST, 413 too large, the dialect's 4xx for bad input or credentials, 200 with a note for
 * replays and events that make no Change, 200 with the new change ids otherwise.
 */
export async function handleHookRequest(dialect: ChangeHookDialect, req: HookRequest, addChange: (c: AddChangeInput) => Promise<number>): Promise<HookReply> {
  if (req.method.toUpperCase() !== 'POST') return { status: 405, body: { message: `change hooks accept POST only, got ${req.method}` } };
  if (req.body.length > dialect.bodyLimit) {
    return { status: 413, body: { message: `request body of ${req.body.length} bytes exceeds the ${dialect.name} hook's bodyLimit of ${dialect.bodyLimit} bytes; raise changeHooks.${dialect.name}.bodyLimit if such payloads are expected` } };
  }
  const verdict = await dialect.read(req);
  if (verdict.kind === 'rejected') return { status: verdict.status, body: { message: verdict.message } };
  if (verdict.deliveryId !== null && dialect.replayGuard.has(verdict.deliveryId)) {
    return { status: 200, body: { message: `delivery ${verdict.deliveryId} was already received; ignored`, changes: [] } };
  }
  if (verdict.kind === 'ignored') {
    if (verdict.deliveryId !== null) dialect.replayGuard.remember(verdict.deliveryId);
    return { status: 200, body: { message: verdict.message, changes: [] } };
  }
  // Remembered before recording so two concurrent copies of one delivery cannot both record;
  // forgotten again if recording fails, so the sender's retry is not mistaken for a replay.
  if (verdict.deliveryId !== null) dialect.replayGuard.remember(verdict.deliveryId);
  const ids: number[] = [];
  try {
    for (const c of verdict.changes) ids.push(await addChange(c));
  } catch (err) {
    if (verdict.deliveryId !== null) dialect.replayGuard.forget(verdict.deliveryId);
    throw err;
  }
  return { status: 200, body: { message: verdict.message ?? (ids.length ? `${ids.length} change${ids.length === 1 ? '' : 's'} recorded` : 'no change found'), changes: ids } };
}

/** The JSON payload of a request: a JSON body, or GitHub's form encoding (`payload=<json>`). */
export function parsePayload(req: HookRequest): { ok: true; payload: any } | { ok: false; message: string } {
  const type = (header(req, 'content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(req.body.toString('utf8'));
      const p = form.get('payload');
      if (p === null) return { ok: false, message: 'form-encoded request without a payload field' };
      return { ok: true, payload: JSON.parse(p) };
    }
    if (type !== 'application/json') return { ok: false, message: `unsupported content type ${type}; send application/json` };
    return { ok: true, payload: JSON.parse(req.body.toString('utf8')) };
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON: ${(err as Error).message}` };
  }
}

/** `2024-01-26T19:14:43Z` or `2024-01-26T19:14:43+01:00` or `2024-01-26 19:14:43 UTC` -> epoch seconds (now if absent or unparsable). */
export function epochSeconds(date: unknown): number {
  if (typeof date === 'number') return date > 1e11 ? Math.floor(date / 1000) : date;
  if (typeof date === 'string') {
    const t = Date.parse(date.replace(/ UTC$/, 'Z').replace(/^(\d{4}-\d\d-\d\d) /, '$1T'));
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  return Math.floor(Date.now() / 1000);
}

/** Buildbot's PullRequestMixin.extractProperties: flattened `base.key.sub` values whose names match one of the globs (fnmatch). */
export function extractProperties(payload: unknown, basename: string, globs: readonly string[], deny: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!globs.length) return out;
  // Linear-time matchers: the names are keys of a payload anyone can post.
  const matchers = globs.map(compileFnmatch);
  const walk = (base: string, obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = `${base}.${k}`;
      if (deny.includes(name)) continue;
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(name, v as Record<string, unknown>);
      else if (matchers.some((m) => m(name))) out[name] = v;
    }
  };
  if (payload && typeof payload === 'object') walk(basename, payload as Record<string, unknown>);
  return out;
}

export function newReplayGuard(o: CommonHookOptions): ReplayGuard { return new ReplayGuard(o.replay); }
