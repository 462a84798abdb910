/**
 * sourcestamps (+ patches): one row per distinct (codebase, repository, branch, revision, project,
 * patch), found by a hash of those fields as Buildbot does, so equal stamps share an id.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { SourceStampInput, SourceStampRow } from '../rows.js';
import { Lru } from '../lru.js';
import { prepared } from '../prepared.js';

type NewStamp = { branch: string | null; revision: string | null; repository: string; codebase: string; project: string; patchid: number | null; ss_hash: string; created_at: number };
const insertStamp = prepared((p: NewStamp, db) => db.insertInto('sourcestamps').values({
  branch: p.branch, revision: p.revision, repository: p.repository, codebase: p.codebase, project: p.project,
  patchid: p.patchid, ss_hash: p.ss_hash, created_at: p.created_at,
}).onConflict((oc) => oc.column('ss_hash').doNothing()).returning('id'));
const idByHash = prepared((p: { ss_hash: string }, db) => db.selectFrom('sourcestamps').select('id').where('ss_hash', '=', p.ss_hash));

type Q = Kysely<Schema> | Transaction<Schema>;

/** Stamps kept in memory: a row never changes once written, and every build reads its stamps. */
const ROW_CACHE_SIZE = 4096;

export class SourceStampsTable {
  private readonly rows = new Lru<number, SourceStampRow>(ROW_CACHE_SIZE);

  constructor(private readonly k: Kysely<Schema>) {}

  /** Finds or creates the stamp; patches are always new rows (their bodies are not hashed). */
  async findOrCreate(ss: SourceStampInput, now: number, q: Q = this.k): Promise<number> {
    let patchid: number | null = null;
    if (ss.patch) {
      const p = ss.patch;
      patchid = (await q.insertInto('patches').values({
        patchlevel: p.level, patch_body: Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body, 'utf8'),
        patch_author: p.author ?? null, patch_comment: p.comment ?? null, subdir: p.subdir ?? null,
      }).returning('id').executeTakeFirstOrThrow()).id;
    }
    const row = {
      branch: ss.branch ?? null, revision: ss.revision ?? null, repository: ss.repository ?? '',
      codebase: ss.codebase ?? '', project: ss.project ?? '', patchid,
    };
    const ss_hash = createHash('sha1').update(JSON.stringify([row.branch, row.revision, row.repository, row.project, row.codebase, row.patchid])).digest('hex');
    const inserted = await insertStamp.first(q, { ...row, ss_hash, created_at: now });
    if (inserted) {
      // New and without a patch: the row is known, so the first read of it (every build's) needs no query.
      // Only outside a transaction: a rolled-back insert must not be remembered.
      if (patchid === null && q === this.k) this.rows.set(inserted.id, {
        ssid: inserted.id, branch: row.branch, revision: row.revision, repository: row.repository, project: row.project,
        codebase: row.codebase, created_at: now, patch: null,
      });
      return inserted.id;
    }
    const found = await idByHash.first(q, { ss_hash });
    if (!found) throw new Error(`sourcestamp ${ss_hash} vanished between its insert and its read`);
    return found.id;
  }

  async getMany(ids: number[]): Promise<Map<number, SourceStampRow>> {
    const out = new Map<number, SourceStampRow>();
    if (!ids.length) return out;
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      const hit = this.rows.get(id);
      // Copies: callers may edit what they get without touching the cache.
      if (hit) out.set(id, { ...hit }); else missing.push(id);
    }
    if (!missing.length) return out;
    const rows = await this.k.selectFrom('sourcestamps').selectAll().where('id', 'in', missing).execute();
    const patchids = rows.map((r) => r.patchid).filter((p): p is number => p != null);
    const patches = new Map<number, any>();
    if (patchids.length) for (const p of await this.k.selectFrom('patches').selectAll().where('id', 'in', patchids).execute()) patches.set(p.id, p);
    for (const r of rows) {
      const p = r.patchid != null ? patches.get(r.patchid) : undefined;
      const row: SourceStampRow = {
        ssid: r.id, branch: r.branch, revision: r.revision, repository: r.repository, project: r.project,
        codebase: r.codebase, created_at: Number(r.created_at),
        patch: p ? { patchid: p.id, level: p.patchlevel, body: Buffer.from(p.patch_body), subdir: p.subdir, author: p.patch_author, comment: p.patch_comment } : null,
      };
      // Patch bodies can be large: only stamps without one are kept.
      if (!row.patch) this.rows.set(row.ssid, row);
      out.set(row.ssid, row.patch ? row : { ...row });
    }
    return out;
  }

  async get(id: number): Promise<SourceStampRow | undefined> { return (await this.getMany([id])).get(id); }

  async list(q: ListQuery = {}): Promise<SourceStampRow[]> {
    const ids = (await applyOrderAndPage(applyFilters(this.k.selectFrom('sourcestamps').select('id'), q.filters), q, 'id').execute()).map((r) => r.id);
    const m = await this.getMany(ids);
    return ids.map((id) => m.get(id)!);
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('sourcestamps'), q.filters); }
}
