/**
 * logs (+ logchunks). Content is stored as chunks of whole lines (first_line..last_line), each
 * optionally zlib-compressed, so a log of millions of lines is a few hundred rows and a line range is
 * read through the (logid, first_line) index without touching the rest.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { LogType } from '../rows.js';
import { prepared } from '../prepared.js';

const insertLog = prepared((p: { name: string; slug: string; stepid: number; type: string }, db) =>
  db.insertInto('logs').values({ name: p.name, slug: p.slug, stepid: p.stepid, complete: 0, num_lines: 0, type: p.type as LogType }).returning('id'));
const finishLog = prepared((p: { id: number }, db) => db.updateTable('logs').set({ complete: 1 }).where('id', '=', p.id));

export interface LogRow { id: number; name: string; slug: string; stepid: number; complete: boolean; num_lines: number; type: LogType }
/**
 * Lines first_line..last_line of a log. For 's' logs `stream` null means every line starts with its
 * stream code (Buildbot's layout); 'o'/'e'/'h' means all lines are of that stream and carry no code.
 */
export interface ChunkRow { first_line: number; last_line: number; content: Buffer; compressed: number; stream: string | null }

export const LOG_COLUMNS: Record<string, string> = {
  logid: 'id', name: 'name', slug: 'slug', stepid: 'stepid', complete: 'complete', num_lines: 'num_lines', type: 'type',
};

const toRow = (r: any): LogRow => ({ id: r.id, name: r.name, slug: r.slug, stepid: r.stepid, complete: !!r.complete, num_lines: r.num_lines, type: r.type });

export class LogsTable {
  constructor(private readonly k: Kysely<Schema>) {}

  /** Creates the log; its slug is made unique within the step by appending _1, _2, ... */
  async add(stepid: number, name: string, slug: string, type: LogType): Promise<{ logid: number; slug: string }> {
    return this.k.transaction().execute(async (trx) => {
      const taken = new Set((await trx.selectFrom('logs').select('slug').where('stepid', '=', stepid).execute()).map((r) => r.slug));
      let unique = slug;
      for (let i = 1; taken.has(unique); i++) unique = `${slug}_${i}`;
      const { id } = await trx.insertInto('logs').values({ name, slug: unique, stepid, complete: 0, num_lines: 0, type }).returning('id').executeTakeFirstOrThrow();
      return { logid: id, slug: unique };
    });
  }

  /** Inserts a log whose slug the caller already knows to be unique within the step. */
  async insert(stepid: number, name: string, slug: string, type: LogType): Promise<number> {
    return (await insertLog.first(this.k, { name, slug, stepid, type }))!.id;
  }

  /** Writes chunks and the new line count in one transaction. */
  async appendChunks(logid: number, chunks: Array<ChunkRow>, numLines: number): Promise<void> {
    if (!chunks.length) return;
    await this.k.transaction().execute(async (trx) => {
      await trx.insertInto('logchunks').values(chunks.map((c) => ({ logid, ...c }))).execute();
      await trx.updateTable('logs').set({ num_lines: numLines }).where('id', '=', logid).execute();
    });
  }

  async finish(id: number): Promise<void> { await finishLog.execute(this.k, { id }); }

  async get(id: number): Promise<LogRow | undefined> {
    const r = await this.k.selectFrom('logs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRow(r);
  }

  async getBySlug(stepid: number, slug: string): Promise<LogRow | undefined> {
    const r = await this.k.selectFrom('logs').selectAll().where('stepid', '=', stepid).where('slug', '=', slug).executeTakeFirst();
    return r && toRow(r);
  }

  /** Chunks overlapping lines first..last, in order; at most `maxChunks` (for streaming in pages). */
  async chunks(logid: number, first: number, last: number, maxChunks = 64): Promise<ChunkRow[]> {
    return await this.k.selectFrom('logchunks').select(['first_line', 'last_line', 'content', 'compressed', 'stream'])
      .where('logid', '=', logid).where('last_line', '>=', first).where('first_line', '<=', last)
      .orderBy('first_line').limit(maxChunks).execute() as ChunkRow[];
  }

  /** Up to `limit` logs with ids above `afterId`, in id order, by the primary key (the janitor walks the table with it). */
  async pageAfter(afterId: number, limit: number): Promise<Array<{ id: number; stepid: number; type: string }>> {
    return await this.k.selectFrom('logs').select(['id', 'stepid', 'type']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  }

  /**
   * Deletes the content of these logs and marks them deleted (type 'd', as Buildbot's janitor
   * does), in one transaction: the log entries stay, so the steps still list them.
   */
  async empty(ids: number[]): Promise<void> {
    if (!ids.length) return;
    await this.k.transaction().execute(async (trx) => {
      await trx.deleteFrom('logchunks').where('logid', 'in', ids).execute();
      await trx.updateTable('logs').set({ type: 'd' }).where('id', 'in', ids).execute();
    });
  }

  async list(q: ListQuery = {}): Promise<LogRow[]> {
    return (await applyOrderAndPage(applyFilters(this.k.selectFrom('logs').selectAll(), q.filters), q, 'id').execute()).map(toRow);
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('logs'), q.filters); }
}
