/** changes (+ change_files, change_properties): what change sources and hooks report. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { ChangeRow, SourcedProperties } from '../rows.js';
import { prepared } from '../prepared.js';
import { built, first, run, transaction } from '../transaction.js';
import type { RowCounts } from '../row-counts.js';

type BranchKey = { repository: string; project: string; codebase: string };
// The parent is the newest change on the same branch of the same repository, as in Buildbot.
const parentOnBranch = prepared((p: BranchKey & { branch: string }, db) => db.selectFrom('changes').select('changeid')
  .where('repository', '=', p.repository).where('project', '=', p.project).where('codebase', '=', p.codebase)
  .where('branch', '=', p.branch).orderBy('changeid', 'desc').limit(1));
const parentWithoutBranch = prepared((p: BranchKey, db) => db.selectFrom('changes').select('changeid')
  .where('repository', '=', p.repository).where('project', '=', p.project).where('codebase', '=', p.codebase)
  .where('branch', 'is', null).orderBy('changeid', 'desc').limit(1));
type NewChangeRow = Omit<NewChange, 'files' | 'properties'> & { parent_changeids: number | null };
const authorsForSourceStamp = prepared((p: { ssid: number }, db) => db.selectFrom('changes').select('author')
  .where('sourcestampid', '=', p.ssid).orderBy('changeid'));
const insertChange = prepared((p: NewChangeRow, db) => db.insertInto('changes').values({
  author: p.author, committer: p.committer, comments: p.comments, branch: p.branch, revision: p.revision,
  revlink: p.revlink, when_timestamp: p.when_timestamp, category: p.category, repository: p.repository,
  codebase: p.codebase, project: p.project, sourcestampid: p.sourcestampid, parent_changeids: p.parent_changeids,
}).returning('changeid'));
const insertFile = prepared((p: { changeid: number; filename: string }, db) => db.insertInto('change_files').values({ changeid: p.changeid, filename: p.filename }));

export interface NewChange {
  author: string; committer: string | null; files: string[]; comments: string; revision: string | null;
  when_timestamp: number; branch: string | null; category: string | null; revlink: string | null;
  properties: SourcedProperties; repository: string; codebase: string; project: string; sourcestampid: number;
}

export class ChangesTable {
  constructor(private readonly k: Kysely<Schema>, private readonly rowCounts: RowCounts) {}

  async add(c: NewChange): Promise<number> {
    return (await this.insert(c)).changeid;
  }

  /** Adds the change and returns its row as a read would give it (no read-back). */
  async insert(c: NewChange): Promise<ChangeRow> {
    const { changeid, parent } = await transaction(this.k, function* () {
      const parent = c.branch === null ? yield* first(parentWithoutBranch, c) : yield* first(parentOnBranch, { ...c, branch: c.branch });
      const { changeid } = (yield* first(insertChange, { ...c, parent_changeids: parent?.changeid ?? null }))!;
      if (c.files.length === 1) yield* run(insertFile, { changeid, filename: c.files[0]! });
      else if (c.files.length) yield* built((db) => db.insertInto('change_files').values(c.files.map((filename) => ({ changeid, filename }))));
      const props = Object.entries(c.properties);
      if (props.length) yield* built((db) => db.insertInto('change_properties').values(props.map(([property_name, v]) => ({ changeid, property_name, property_value: JSON.stringify(v) }))));
      return { changeid, parent: parent?.changeid ?? null };
    });
    return {
      changeid, author: c.author, committer: c.committer, files: [...c.files], comments: c.comments, revision: c.revision,
      when_timestamp: c.when_timestamp, branch: c.branch, category: c.category, revlink: c.revlink,
      // Through JSON, as a read from the table would give them.
      properties: JSON.parse(JSON.stringify(c.properties)), repository: c.repository, codebase: c.codebase, project: c.project,
      sourcestampid: c.sourcestampid, parent_changeids: parent !== null ? [parent] : [],
    };
  }

  private async hydrate(rows: any[]): Promise<ChangeRow[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.changeid);
    const files = new Map<number, string[]>();
    const props = new Map<number, SourcedProperties>();
    for (const f of await this.k.selectFrom('change_files').selectAll().where('changeid', 'in', ids).execute()) {
      let l = files.get(f.changeid); if (!l) files.set(f.changeid, (l = [])); l.push(f.filename);
    }
    for (const p of await this.k.selectFrom('change_properties').selectAll().where('changeid', 'in', ids).execute()) {
      let m = props.get(p.changeid); if (!m) props.set(p.changeid, (m = {})); m[p.property_name] = JSON.parse(p.property_value);
    }
    return rows.map((r) => ({
      changeid: r.changeid, author: r.author, committer: r.committer, files: files.get(r.changeid) ?? [], comments: r.comments,
      revision: r.revision, when_timestamp: Number(r.when_timestamp), branch: r.branch, category: r.category, revlink: r.revlink,
      properties: props.get(r.changeid) ?? {}, repository: r.repository, codebase: r.codebase, project: r.project,
      sourcestampid: r.sourcestampid, parent_changeids: r.parent_changeids != null ? [r.parent_changeids] : [],
    }));
  }

  async get(changeid: number): Promise<ChangeRow | undefined> {
    return (await this.hydrate(await this.k.selectFrom('changes').selectAll().where('changeid', '=', changeid).execute()))[0];
  }

  /** Authors of the changes of one sourcestamp, in change order (a build's blamelist; prepared, no hydration). */
  async authorsForSourceStamp(ssid: number): Promise<string[]> {
    return (await authorsForSourceStamp.rows(this.k, { ssid })).map((r) => r.author);
  }

  async forSourceStamps(ssids: number[]): Promise<ChangeRow[]> {
    if (!ssids.length) return [];
    return this.hydrate(await this.k.selectFrom('changes').selectAll().where('sourcestampid', 'in', ssids).orderBy('changeid').execute());
  }

  async latestId(): Promise<number> {
    const r = await this.k.selectFrom('changes').select((eb) => eb.fn.max('changeid').as('m')).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  async list(q: ListQuery = {}): Promise<ChangeRow[]> {
    return this.hydrate(await applyOrderAndPage(applyFilters(this.k.selectFrom('changes').selectAll(), q.filters), q, 'changeid').execute());
  }

  count(q: ListQuery = {}): Promise<number> {
    return q.filters?.length ? countFiltered(this.k.selectFrom('changes'), q.filters) : this.rowCounts.count('changes');
  }
}
