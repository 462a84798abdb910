/**
 * Small typed checks used while normalising a config. Each reads `obj[key]`, reports a problem at
 * `path.key` through the collector, and returns the value (or the fallback when it is missing or
 * wrong, so normalisation can go on and find the next mistake).
 */
import type { IssueCollector } from './config-errors.js';

export type Obj = Record<string, unknown>;

export function isPlainObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof RegExp);
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (x instanceof RegExp) return 'a RegExp';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`;
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  return typeof x === 'object' ? 'an object' : typeof x;
}

/** Reports keys not in `known` (typos such as `workernames`), suggesting the close match. */
export function knownKeys(c: IssueCollector, obj: Obj, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const close = closest(key, known);
    c.add(key, close ? `unknown option; did you mean '${close}'?` : `unknown option; known options are: ${known.join(', ')}`);
  }
}

/** Edit distance (Levenshtein) between two short strings, case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase(); b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name a typo most likely meant (distance <= 2, or a third of the length). */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  return best;
}

export function str(c: IssueCollector, obj: Obj, key: string, o: { required?: boolean; fallback?: string; nonEmpty?: boolean } = {}): string {
  const v = obj[key];
  if (v === undefined) {
    if (o.required) c.add(key, 'is required');
    return o.fallback ?? '';
  }
  if (typeof v !== 'string') { c.add(key, `must be a string, got ${describe(v)}`); return o.fallback ?? ''; }
  if (o.nonEmpty && v.trim() === '') { c.add(key, 'must not be empty'); return o.fallback ?? ''; }
  return v;
}

export function optStr(c: IssueCollector, obj: Obj, key: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') { c.add(key, `must be a string or null, got ${describe(v)}`); return null; }
  return v;
}

export function num(c: IssueCollector, obj: Obj, key: string, o: { fallback: number; min?: number; max?: number; integer?: boolean; required?: boolean }): number {
  const v = obj[key];
  if (v === undefined) { if (o.required) c.add(key, 'is required'); return o.fallback; }
  if (typeof v !== 'number' || !Number.isFinite(v)) { c.add(key, `must be a number, got ${describe(v)}`); return o.fallback; }
  if (o.integer && !Number.isInteger(v)) { c.add(key, `must be a whole number, got ${v}`); return o.fallback; }
  if (o.min !== undefined && v < o.min) { c.add(key, `must be at least ${o.min}, got ${v}`); return o.fallback; }
  if (o.max !== undefined && v > o.max) { c.add(key, `must be at most ${o.max}, got ${v}`); return o.fallback; }
  return v;
}

/** A number or null (null = "no limit"/"off"); undefined gives the fallback. */
export function numOrNull(c: IssueCollector, obj: Obj, key: string, o: { fallback: number | null; min?: number; integer?: boolean }): number | null {
  if (obj[key] === null) return null;
  if (obj[key] === undefined) return o.fallback;
  return num(c, obj, key, { fallback: o.fallback ?? 0, min: o.min, integer: o.integer });
}

export function port(c: IssueCollector, obj: Obj, key: string, fallback: number): number {
  return num(c, obj, key, { fallback, min: 0, max: 65535, integer: true });
}

export function bool(c: IssueCollector, obj: Obj, key: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') { c.add(key, `must be true or false, got ${describe(v)}`); return fallback; }
  return v;
}

export function strList(c: IssueCollector, obj: Obj, key: string, o: { required?: boolean; nonEmpty?: boolean } = {}): string[] {
  const v = obj[key];
  if (v === undefined) { if (o.required) c.add(key, 'is required'); return []; }
  if (!Array.isArray(v)) { c.add(key, `must be a list of strings, got ${describe(v)}`); return []; }
  if (o.nonEmpty && v.length === 0) c.add(key, 'must not be empty');
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item !== 'string') c.at(key).add(i, `must be a string, got ${describe(item)}`);
    else out.push(item);
  });
  return out;
}

export function record(c: IssueCollector, obj: Obj, key: string): Record<string, unknown> {
  const v = obj[key];
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) { c.add(key, `must be an object of name: value, got ${describe(v)}`); return {}; }
  return { ...v };
}

export function stringRecord(c: IssueCollector, obj: Obj, key: string): Record<string, string> {
  const r = record(c, obj, key);
  for (const [k, v] of Object.entries(r)) if (typeof v !== 'string') c.at(key).add(k, `must be a string, got ${describe(v)}`);
  return r as Record<string, string>;
}

export function fn<T extends Function>(c: IssueCollector, obj: Obj, key: string): T | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'function') { c.add(key, `must be a function, got ${describe(v)}`); return null; }
  return v as T;
}

/** Reports every name used more than once in a list of named things. */
export function uniqueNames(c: IssueCollector, listKey: string, names: readonly (string | undefined)[], what: string): void {
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === undefined) return;
    const first = seen.get(name);
    if (first !== undefined) c.at(listKey).at(i).add('name', `duplicate ${what} name ${JSON.stringify(name)} (also ${listKey}[${first}])`);
    else seen.set(name, i);
  });
}

/** "no worker named "w9"; workers are: w0, w1" */
export function unknownNameMessage(what: string, name: string, known: Iterable<string>): string {
  const list = [...known];
  return `no ${what} named ${JSON.stringify(name)}; ${what}s are: ${list.length ? list.join(', ') : '(none)'}`;
}
