/**
 * A filter/order/page description already translated to column names, so table modules can push it
 * into SQL. Produced by data/resultspec.ts from Buildbot's query parameters.
 */
import { sql } from 'kysely';

export type FilterOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains';

/** `eq` with several values means "any of" (SQL IN), `ne` with several means "none of", as in Buildbot. */
export interface ColumnFilter { column: string; op: FilterOp; values: unknown[] }
export interface ColumnOrder { column: string; desc: boolean }
export interface ListQuery { filters?: ColumnFilter[]; order?: ColumnOrder[]; limit?: number; offset?: number }

const SQL_OP: Record<Exclude<FilterOp, 'eq' | 'ne' | 'contains'>, string> = { lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Adds WHERE clauses for the filters. `qb` is any Kysely select builder. */
export function applyFilters<Q>(qb: Q, filters: ColumnFilter[] | undefined): Q {
  let q: any = qb;
  for (const f of filters ?? []) {
    const col = sql.ref(f.column);
    if (f.op === 'eq' || f.op === 'ne') {
      const nonNull = f.values.filter((v) => v !== null);
      const hasNull = nonNull.length !== f.values.length;
      q = q.where((eb: any) => {
        const parts: any[] = [];
        if (f.op === 'eq') {
          if (nonNull.length === 1) parts.push(eb(col, '=', nonNull[0]));
          else if (nonNull.length > 1) parts.push(eb(col, 'in', nonNull));
          if (hasNull) parts.push(eb(col, 'is', null));
          return parts.length ? eb.or(parts) : eb.val(false);
        }
        if (nonNull.length === 1) parts.push(eb.or([eb(col, '!=', nonNull[0]), eb(col, 'is', null)]));
        else if (nonNull.length > 1) parts.push(eb.or([eb(col, 'not in', nonNull), eb(col, 'is', null)]));
        if (hasNull) parts.push(eb(col, 'is not', null));
        return eb.and(parts);
      });
    } else if (f.op === 'contains') {
      // Text columns only (JSON list columns are filtered in memory by the data layer).
      // Case-sensitive substring match like Buildbot's Python `in` (SQLite runs with case_sensitive_like).
      q = q.where((eb: any) => eb.or(f.values.map((v) => sql<boolean>`${col} like ${`%${String(v).replace(/[%_\\]/g, '\\$&')}%`} escape '\\'`)));
    } else {
      const op = SQL_OP[f.op];
      q = q.where((eb: any) => eb.and(f.values.map((v) => eb(col, op, v))));
    }
  }
  return q;
}

/** Adds ORDER BY, LIMIT and OFFSET. */
export function applyOrderAndPage<Q>(qb: Q, lq: ListQuery, defaultOrder: string): Q {
  let q: any = qb;
  const order = lq.order?.length ? lq.order : [{ column: defaultOrder, desc: false }];
  for (const o of order) q = q.orderBy(sql.ref(o.column), o.desc ? 'desc' : 'asc');
  if (lq.limit !== undefined) q = q.limit(lq.limit);
  if (lq.offset) {
    if (lq.limit === undefined) q = q.limit(-1 >>> 1); // SQLite needs a LIMIT before OFFSET
    q = q.offset(lq.offset);
  }
  return q;
}

/** Runs `SELECT count(*)` over the filtered base query. */
export async function countFiltered(base: any, filters: ColumnFilter[] | undefined): Promise<number> {
  const row = await applyFilters(base.clearSelect().select((eb: any) => eb.fn.countAll().as('n')), filters).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export function nowSeconds(): number { return Math.floor(Date.now() / 1000); }
export const toBool = (v: number | null | undefined): boolean => !!v;
