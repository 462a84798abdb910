/**
 * Buildbot's ResultSpec (buildbot/data/resultspec.py): field selection, filters, order and paging of a
 * collection, parsed from REST query parameters. Filters and order on fields that map to a column are
 * pushed into SQL; the rest (derived or list-valued fields) are applied in memory.
 */
import { BadQueryError } from './errors.js';
import type { ColumnFilter, FilterOp, ListQuery } from '../db/list-query.js';

export type { FilterOp };
export interface Filter { field: string; op: FilterOp; values: unknown[] }
export interface ResultSpec {
  fields?: string[]; filters?: Filter[]; order?: string[]; limit?: number; offset?: number;
  /** Property names to include (builds, buildrequests); '*' for all; absent = no properties. */
  properties?: string[];
}

export type FieldType = 'int' | 'bool' | 'string' | 'other';
/** How an API field maps to SQL: a column, or a boolean derived from `column IS NOT NULL`. */
export type ColumnSpec = string | { notNull: string };

const OPS = new Set<FilterOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains']);
const RESERVED = new Set(['field', 'limit', 'offset', 'order', 'property']);

/** Parses query parameters (values as given by the HTTP layer: a string or repeated strings). */
export function parseResultSpec(query: Record<string, string | string[] | undefined>): ResultSpec {
  const spec: ResultSpec = { filters: [] };
  const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const int = (name: string, v: string | string[] | undefined): number | undefined => {
    const s = all(v).at(-1);
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s)) throw new BadQueryError(`query parameter ${name} must be a non-negative integer, got ${JSON.stringify(s)}`);
    return Number(s);
  };
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'field') spec.fields = all(raw).flatMap((s) => s.split(',')).filter(Boolean);
    else if (key === 'order') spec.order = all(raw).flatMap((s) => s.split(',')).filter(Boolean);
    else if (key === 'property') spec.properties = all(raw);
    else if (key === 'limit') spec.limit = int(key, raw);
    else if (key === 'offset') spec.offset = int(key, raw);
    else if (!RESERVED.has(key) && !key.startsWith('_')) {
      const m = /^(.+?)(?:__(eq|ne|lt|le|gt|ge|contains|in|notin))?$/.exec(key)!;
      // Buildbot's `x__in=a&x__in=b` is "any of" and `x__notin` "none of": exactly eq/ne with several values.
      const op = (m[2] === 'in' ? 'eq' : m[2] === 'notin' ? 'ne' : m[2] ?? 'eq') as FilterOp;
      const values = all(raw).flatMap((s) => (op === 'eq' || op === 'ne' ? s.split(',') : [s]));
      spec.filters!.push({ field: m[1]!, op, values });
    }
  }
  return spec;
}

function coerce(field: string, type: FieldType, v: unknown): unknown {
  if (v === null || typeof v !== 'string') return v;
  if (type === 'int') {
    if (v === 'null' || v === 'None') return null;
    if (!/^-?\d+$/.test(v)) throw new BadQueryError(`filter on ${field} expects an integer, got ${JSON.stringify(v)}`);
    return Number(v);
  }
  if (type === 'bool') {
    if (/^(true|1|yes|on)$/i.test(v)) return true;
    if (/^(false|0|no|off)$/i.test(v)) return false;
    throw new BadQueryError(`filter on ${field} expects true or false, got ${JSON.stringify(v)}`);
  }
  if (type === 'string' && (v === 'null' || v === 'None')) return null;
  return v;
}

export interface CollectionSource<T> {
  /** API fields and their types; unknown fields in a filter/order/field selection are a 400. */
  fields: Record<string, FieldType>;
  /** API fields that can be filtered/ordered in SQL. */
  columns: Record<string, ColumnSpec>;
  fetch(q: ListQuery): Promise<T[]>;
  count(q: ListQuery): Promise<number>;
}

function toColumnFilter(f: Filter, col: ColumnSpec, type: FieldType): ColumnFilter | undefined {
  const sqlValue = (v: unknown) => (type === 'bool' && typeof v === 'boolean' ? (v ? 1 : 0) : v);
  if (typeof col === 'string') {
    if (f.op === 'contains' && type !== 'string') return undefined;
    return { column: col, op: f.op, values: f.values.map(sqlValue) };
  }
  // Derived boolean: only single-valued eq/ne can become IS [NOT] NULL.
  if ((f.op !== 'eq' && f.op !== 'ne') || f.values.length !== 1 || typeof f.values[0] !== 'boolean') return undefined;
  const wantNotNull = (f.values[0] as boolean) === (f.op === 'eq');
  return { column: col.notNull, op: wantNotNull ? 'ne' : 'eq', values: [null] };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as any) < (b as any) ? -1 : 1;
}

function matches(value: unknown, f: Filter): boolean {
  const vs = f.values;
  switch (f.op) {
    case 'eq': return vs.some((v) => (Array.isArray(value) ? value.includes(v) : value === v));
    case 'ne': return vs.every((v) => (Array.isArray(value) ? !value.includes(v) : value !== v));
    case 'lt': return vs.every((v) => value != null && compare(value, v) < 0);
    case 'le': return vs.every((v) => value != null && compare(value, v) <= 0);
    case 'gt': return vs.every((v) => value != null && compare(value, v) > 0);
    case 'ge': return vs.every((v) => value != null && compare(value, v) >= 0);
    case 'contains': return vs.some((v) => (Array.isArray(value) ? value.includes(v) : typeof value === 'string' && value.includes(String(v))));
  }
}

/** Runs a collection query: SQL where possible, memory otherwise. Returns the page and the total. */
export async function runCollection<T extends Record<string, any>>(
  src: CollectionSource<T>, spec: ResultSpec = {}, scope: ColumnFilter[] = [],
): Promise<{ items: Partial<T>[]; total: number }> {
  const check = (field: string, what: string) => {
    if (!(field in src.fields)) throw new BadQueryError(`unknown field ${JSON.stringify(field)} in ${what}; known fields: ${Object.keys(src.fields).join(', ')}`);
  };
  const filters = (spec.filters ?? []).map((f) => {
    check(f.field, 'filter');
    if (!OPS.has(f.op)) throw new BadQueryError(`unknown filter operator ${f.op}`);
    return { ...f, values: f.values.map((v) => coerce(f.field, src.fields[f.field]!, v)) };
  });
  const order = (spec.order ?? []).map((o) => {
    const desc = o.startsWith('-');
    const field = desc ? o.slice(1) : o;
    check(field, 'order');
    return { field, desc };
  });
  for (const f of spec.fields ?? []) check(f, 'field');

  const sqlFilters: ColumnFilter[] = [...scope];
  const memFilters: Filter[] = [];
  for (const f of filters) {
    const col = src.columns[f.field];
    const cf = col === undefined ? undefined : toColumnFilter(f, col, src.fields[f.field]!);
    if (cf) sqlFilters.push(cf); else memFilters.push(f);
  }
  const sqlOrder = order.every((o) => typeof src.columns[o.field] === 'string');

  let items: T[];
  let total: number;
  if (!memFilters.length && sqlOrder) {
    const q: ListQuery = { filters: sqlFilters, order: order.map((o) => ({ column: src.columns[o.field] as string, desc: o.desc })), limit: spec.limit, offset: spec.offset };
    items = await src.fetch(q);
    total = spec.limit === undefined && !spec.offset ? items.length : await src.count({ filters: sqlFilters });
  } else {
    items = (await src.fetch({ filters: sqlFilters })).filter((it) => memFilters.every((f) => matches(it[f.field], f)));
    if (order.length) items.sort((a, b) => { for (const o of order) { const c = compare(a[o.field], b[o.field]); if (c) return o.desc ? -c : c; } return 0; });
    total = items.length;
    const start = spec.offset ?? 0;
    items = items.slice(start, spec.limit === undefined ? undefined : start + spec.limit);
  }
  return { items: spec.fields?.length ? items.map((it) => selectFields(it, spec.fields!)) : items, total };
}

export function selectFields<T extends Record<string, any>>(item: T, fields: string[] | undefined): Partial<T> {
  if (!fields?.length) return item;
  const out: Partial<T> = {};
  for (const f of fields) if (f in item) (out as any)[f] = item[f];
  return out;
}
