/**
 * Numbered schema migrations, applied in order at open and recorded in `mastro_migrations`. A
 * migration never changes once released: add a new one instead. Column types differ per engine only
 * for auto-increment ids and binary data, handled by the `types` helper.
 */
import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { Schema } from './schema.js';
import { COUNTED_TABLES } from './row-counts.js';

export type Engine = 'sqlite' | 'postgresql';

interface Migration { version: number; name: string; up(db: Kysely<any>, engine: Engine): Promise<void> }

function types(engine: Engine) {
  return {
    id: engine === 'sqlite' ? sql`integer` : sql`serial`,
    blob: engine === 'sqlite' ? sql`blob` : sql`bytea`,
  };
}

/** Adds an auto-increment primary key named `name`. */
function withId<T extends string>(t: CreateTableBuilder<T, any>, engine: Engine, name = 'id') {
  return t.addColumn(name, types(engine).id, (c) => (engine === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()));
}

const initial: Migration = {
  version: 1,
  name: 'initial schema (Buildbot 3.7 model)',
  async up(db, engine) {
    const { blob } = types(engine);
    const text = 'text';
    const int = 'integer';
    const time = 'bigint';
    await withId(db.schema.createTable('masters'), engine)
      .addColumn('name', text, (c) => c.notNull().unique()).addColumn('active', int, (c) => c.notNull())
      .addColumn('last_active', time, (c) => c.notNull()).execute();

    await withId(db.schema.createTable('builders'), engine)
      .addColumn('name', text, (c) => c.notNull().unique()).addColumn('description', text)
      .addColumn('tags_json', text, (c) => c.notNull().defaultTo('[]')).execute();
    await withId(db.schema.createTable('builders_masters'), engine)
      .addColumn('builderid', int, (c) => c.notNull()).addColumn('masterid', int, (c) => c.notNull())
      .addUniqueConstraint('builders_masters_uq', ['builderid', 'masterid']).execute();

    await withId(db.schema.createTable('patches'), engine)
      .addColumn('patchlevel', int, (c) => c.notNull()).addColumn('patch_body', blob, (c) => c.notNull())
      .addColumn('patch_author', text).addColumn('patch_comment', text).addColumn('subdir', text).execute();
    await withId(db.schema.createTable('sourcestamps'), engine)
      .addColumn('ss_hash', text, (c) => c.notNull().unique()).addColumn('branch', text).addColumn('revision', text)
      .addColumn('patchid', int).addColumn('repository', text, (c) => c.notNull())
      .addColumn('codebase', text, (c) => c.notNull()).addColumn('project', text, (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull()).execute();

    await withId(db.schema.createTable('changes'), engine, 'changeid')
      .addColumn('author', text, (c) => c.notNull()).addColumn('committer', text)
      .addColumn('comments', text, (c) => c.notNull()).addColumn('branch', text).addColumn('revision', text)
      .addColumn('revlink', text).addColumn('when_timestamp', time, (c) => c.notNull()).addColumn('category', text)
      .addColumn('repository', text, (c) => c.notNull()).addColumn('codebase', text, (c) => c.notNull())
      .addColumn('project', text, (c) => c.notNull()).addColumn('sourcestampid', int, (c) => c.notNull())
      .addColumn('parent_changeids', int).execute();
    await db.schema.createTable('change_files').addColumn('changeid', int, (c) => c.notNull())
      .addColumn('filename', text, (c) => c.notNull()).execute();
    await db.schema.createTable('change_properties').addColumn('changeid', int, (c) => c.notNull())
      .addColumn('property_name', text, (c) => c.notNull()).addColumn('property_value', text, (c) => c.notNull()).execute();

    await withId(db.schema.createTable('buildsets'), engine)
      .addColumn('external_idstring', text).addColumn('reason', text, (c) => c.notNull())
      .addColumn('submitted_at', time, (c) => c.notNull()).addColumn('complete', int, (c) => c.notNull().defaultTo(0))
      .addColumn('complete_at', time).addColumn('results', int).addColumn('parent_buildid', int)
      .addColumn('parent_relationship', text).execute();
    await db.schema.createTable('buildset_properties').addColumn('buildsetid', int, (c) => c.notNull())
      .addColumn('property_name', text, (c) => c.notNull()).addColumn('property_value', text, (c) => c.notNull()).execute();
    await withId(db.schema.createTable('buildset_sourcestamps'), engine)
      .addColumn('buildsetid', int, (c) => c.notNull()).addColumn('sourcestampid', int, (c) => c.notNull()).execute();

    await withId(db.schema.createTable('buildrequests'), engine)
      .addColumn('buildsetid', int, (c) => c.notNull()).addColumn('builderid', int, (c) => c.notNull())
      .addColumn('priority', int, (c) => c.notNull().defaultTo(0)).addColumn('complete', int, (c) => c.notNull().defaultTo(0))
      .addColumn('results', int).addColumn('submitted_at', time, (c) => c.notNull()).addColumn('complete_at', time)
      .addColumn('waited_for', int, (c) => c.notNull().defaultTo(0)).execute();
    // The primary key on brid is what makes claims atomic across masters.
    await db.schema.createTable('buildrequest_claims').addColumn('brid', int, (c) => c.primaryKey())
      .addColumn('masterid', int, (c) => c.notNull()).addColumn('claimed_at', time, (c) => c.notNull()).execute();

    await withId(db.schema.createTable('builds'), engine)
      .addColumn('number', int, (c) => c.notNull()).addColumn('builderid', int, (c) => c.notNull())
      .addColumn('buildrequestid', int, (c) => c.notNull()).addColumn('workerid', int, (c) => c.notNull())
      .addColumn('masterid', int, (c) => c.notNull()).addColumn('started_at', time, (c) => c.notNull())
      .addColumn('complete_at', time).addColumn('state_string', text, (c) => c.notNull().defaultTo(''))
      .addColumn('results', int).addUniqueConstraint('builds_number_uq', ['builderid', 'number']).execute();
    await db.schema.createTable('build_properties').addColumn('buildid', int, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull()).addColumn('value', text, (c) => c.notNull())
      .addColumn('source', text, (c) => c.notNull()).addPrimaryKeyConstraint('build_properties_pk', ['buildid', 'name']).execute();

    await withId(db.schema.createTable('steps'), engine)
      .addColumn('number', int, (c) => c.notNull()).addColumn('name', text, (c) => c.notNull())
      .addColumn('buildid', int, (c) => c.notNull()).addColumn('started_at', time).addColumn('complete_at', time)
      .addColumn('state_string', text, (c) => c.notNull().defaultTo('')).addColumn('results', int)
      .addColumn('urls_json', text, (c) => c.notNull().defaultTo('[]')).addColumn('hidden', int, (c) => c.notNull().defaultTo(0))
      .addUniqueConstraint('steps_number_uq', ['buildid', 'number']).addUniqueConstraint('steps_name_uq', ['buildid', 'name']).execute();

    await withId(db.schema.createTable('logs'), engine)
      .addColumn('name', text, (c) => c.notNull()).addColumn('slug', text, (c) => c.notNull())
      .addColumn('stepid', int, (c) => c.notNull()).addColumn('complete', int, (c) => c.notNull().defaultTo(0))
      .addColumn('num_lines', int, (c) => c.notNull().defaultTo(0)).addColumn('type', text, (c) => c.notNull())
      .addUniqueConstraint('logs_slug_uq', ['stepid', 'slug']).execute();
    await db.schema.createTable('logchunks').addColumn('logid', int, (c) => c.notNull())
      .addColumn('first_line', int, (c) => c.notNull()).addColumn('last_line', int, (c) => c.notNull())
      .addColumn('content', blob, (c) => c.notNull()).addColumn('compressed', int, (c) => c.notNull().defaultTo(0)).execute();

    await withId(db.schema.createTable('workers'), engine)
      .addColumn('name', text, (c) => c.notNull().unique()).addColumn('info_json', text, (c) => c.notNull().defaultTo('{}'))
      .addColumn('paused', int, (c) => c.notNull().defaultTo(0)).addColumn('graceful', int, (c) => c.notNull().defaultTo(0)).execute();
    await withId(db.schema.createTable('configured_workers'), engine)
      .addColumn('buildermasterid', int, (c) => c.notNull()).addColumn('workerid', int, (c) => c.notNull())
      .addUniqueConstraint('configured_workers_uq', ['buildermasterid', 'workerid']).execute();
    await withId(db.schema.createTable('connected_workers'), engine)
      .addColumn('masterid', int, (c) => c.notNull()).addColumn('workerid', int, (c) => c.notNull())
      .addUniqueConstraint('connected_workers_uq', ['masterid', 'workerid']).execute();

    await withId(db.schema.createTable('schedulers'), engine)
      .addColumn('name', text, (c) => c.notNull().unique()).addColumn('enabled', int, (c) => c.notNull().defaultTo(1)).execute();
    await db.schema.createTable('scheduler_masters').addColumn('schedulerid', int, (c) => c.primaryKey())
      .addColumn('masterid', int, (c) => c.notNull()).execute();
    await db.schema.createTable('scheduler_changes').addColumn('schedulerid', int, (c) => c.notNull())
      .addColumn('changeid', int, (c) => c.notNull()).addColumn('important', int, (c) => c.notNull())
      .addPrimaryKeyConstraint('scheduler_changes_pk', ['schedulerid', 'changeid']).execute();

    await withId(db.schema.createTable('objects'), engine)
      .addColumn('name', text, (c) => c.notNull()).addColumn('class_name', text, (c) => c.notNull())
      .addUniqueConstraint('objects_uq', ['name', 'class_name']).execute();
    await db.schema.createTable('object_state').addColumn('objectid', int, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull()).addColumn('value_json', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('object_state_pk', ['objectid', 'name']).execute();

    // Indexes for the hot queries.
    const idx = (name: string, table: string, cols: string[]) => db.schema.createIndex(name).on(table).columns(cols).execute();
    await idx('buildrequests_pending', 'buildrequests', ['complete', 'builderid']);
    await idx('buildrequests_buildset', 'buildrequests', ['buildsetid']);
    await idx('buildrequest_claims_master', 'buildrequest_claims', ['masterid']);
    await idx('builds_buildrequest', 'builds', ['buildrequestid']);
    await idx('builds_master_unfinished', 'builds', ['masterid', 'complete_at']);
    await idx('builds_worker', 'builds', ['workerid']);
    await idx('logchunks_log_line', 'logchunks', ['logid', 'first_line']);
    await idx('buildset_sourcestamps_bs', 'buildset_sourcestamps', ['buildsetid']);
    await idx('buildset_properties_bs', 'buildset_properties', ['buildsetid']);
    await idx('change_files_change', 'change_files', ['changeid']);
    await idx('change_properties_change', 'change_properties', ['changeid']);
    await idx('changes_sourcestamp', 'changes', ['sourcestampid']);
    await idx('configured_workers_worker', 'configured_workers', ['workerid']);
    await idx('connected_workers_worker', 'connected_workers', ['workerid']);
  },
};

/** Finding a new change's parent (the newest change of its branch) by index instead of a scan of all changes. */
const changeParentIndex: Migration = {
  version: 2,
  name: 'changes parent index',
  async up(db) {
    await db.schema.createIndex('changes_branch_newest').on('changes').columns(['repository', 'project', 'codebase', 'branch', 'changeid']).execute();
  },
};

/**
 * A chunk whose lines all come from one stream of an 's' log names it here and stores its lines
 * without the per-line stream code: ingest and /raw then never rewrite the bytes line by line.
 * NULL keeps the Buildbot layout (every line prefixed with its code, or a non-'s' log).
 */
const logchunkStream: Migration = {
  version: 3,
  name: 'logchunks.stream',
  async up(db) {
    await db.schema.alterTable('logchunks').addColumn('stream', 'text').execute();
  },
};

/**
 * Browser sessions of the web UI, so a master restart does not log everyone out. The key is the
 * SHA-256 of the session cookie's token (a stolen database does not hold live cookies). Times are
 * epoch milliseconds (a session's life is counted in seconds from config, not Buildbot's model).
 */
const webSessions: Migration = {
  version: 4,
  name: 'web_sessions',
  async up(db) {
    await db.schema.createTable('web_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey()).addColumn('identity_json', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull()).addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_at_ms', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('web_sessions_expires').on('web_sessions').column('expires_at_ms').execute();
    await db.schema.createIndex('web_sessions_created').on('web_sessions').column('created_at_ms').execute();
  },
};

/**
 * Webhook deliveries already recorded, so a replayed one records nothing, even after a restart:
 * the SHA-256 of the replay key a dialect names (the digest of a signed body, a delivery id), per
 * dialect, with the time it arrived (epoch ms) for the replay window and the bound on rows.
 */
const hookDeliveries: Migration = {
  version: 5,
  name: 'hook_deliveries',
  async up(db) {
    await db.schema.createTable('hook_deliveries')
      .addColumn('dialect', 'text', (c) => c.notNull()).addColumn('key_hash', 'text', (c) => c.notNull())
      .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('hook_deliveries_pk', ['dialect', 'key_hash']).execute();
    await db.schema.createIndex('hook_deliveries_received').on('hook_deliveries').columns(['dialect', 'received_at_ms']).execute();
  },
};

/**
 * The reporters' outbox (db/tables/reporter-outbox.ts): rows written in the transaction of the
 * event they report, claimed and delivered by the delivery pool. The indexes serve the pool's
 * queries: the head of each order key among pending rows, due rows, pruning, per-reporter status.
 */
const reporterOutbox: Migration = {
  version: 6,
  name: 'reporter_outbox',
  async up(db, engine) {
    await withId(db.schema.createTable('reporter_outbox'), engine)
      .addColumn('reporter', 'text', (c) => c.notNull()).addColumn('generator', 'integer', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull()).addColumn('subject_id', 'integer', (c) => c.notNull())
      .addColumn('payload_json', 'text').addColumn('order_key', 'text', (c) => c.notNull())
      .addColumn('state', 'integer', (c) => c.notNull().defaultTo(0)).addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('claimed_by', 'integer').addColumn('claimed_at_ms', 'bigint').addColumn('done_at_ms', 'bigint')
      .addColumn('last_error', 'text').addColumn('last_error_at_ms', 'bigint').execute();
    const idx = (name: string, cols: string[]) => db.schema.createIndex(name).on('reporter_outbox').columns(cols).execute();
    await idx('reporter_outbox_key_head', ['state', 'order_key', 'id']);
    await idx('reporter_outbox_due', ['reporter', 'state', 'next_attempt_at_ms']);
    await idx('reporter_outbox_done', ['state', 'done_at_ms']);
    await idx('reporter_outbox_errors', ['reporter', 'last_error_at_ms']);
  },
};

/**
 * Worker pools, tags and platform (issue 13): the pool a worker joined (NULL for a named worker), its
 * effective tags (a JSON list) and os/arch as the API shows and filters them, when it last connected
 * or left, and when a pool worker gone for its pool's `forgetAfter` was dropped from the list.
 */
const workerPools: Migration = {
  version: 7,
  name: 'workers pool, tags, platform',
  async up(db) {
    for (const [column, type] of [['pool', 'text'], ['os', 'text'], ['arch', 'text'], ['last_seen_at', 'bigint'], ['forgotten_at', 'bigint']] as const) {
      await db.schema.alterTable('workers').addColumn(column, type).execute();
    }
    await db.schema.alterTable('workers').addColumn('tags_json', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.createIndex('workers_pool').on('workers').columns(['pool', 'forgotten_at']).execute();
  },
};

/**
 * Large histories (a million builds): the workers page lists the running builds (complete_at IS
 * NULL), which no index served, so both engines read every build; a partial index holds just the
 * running ones. On PostgreSQL, `meta.total` of the unfiltered builds and changes lists comes from
 * counts kept by statement triggers (db/row-counts.ts) instead of a count(*) over every row.
 */
const largeHistory: Migration = {
  version: 8,
  name: 'unfinished builds index, row counts',
  async up(db, engine) {
    await db.schema.createIndex('builds_unfinished').on('builds').column('id').where(sql.ref('complete_at'), 'is', null).execute();
    if (engine !== 'postgresql') return;
    await db.schema.createTable('mastro_row_counts')
      .addColumn('table_name', 'text', (c) => c.primaryKey()).addColumn('n', 'bigint', (c) => c.notNull()).execute();
    // One function for every counted table; TG_TABLE_NAME says which row to change. Statement
    // triggers with transition tables: one UPDATE per statement, however many rows it wrote.
    await sql`CREATE FUNCTION mastro_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE mastro_row_counts SET n = n + (SELECT count(*) FROM new_rows) WHERE table_name = TG_TABLE_NAME;
        ELSIF TG_OP = 'DELETE' THEN
          UPDATE mastro_row_counts SET n = n - (SELECT count(*) FROM old_rows) WHERE table_name = TG_TABLE_NAME;
        ELSE
          UPDATE mastro_row_counts SET n = 0 WHERE table_name = TG_TABLE_NAME;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    for (const t of COUNTED_TABLES) {
      const table = sql.table(t);
      await sql`INSERT INTO mastro_row_counts (table_name, n) SELECT ${t}, count(*) FROM ${table}`.execute(db);
      await sql`CREATE TRIGGER ${sql.id(`${t}_count_insert`)} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE PROCEDURE mastro_count_rows()`.execute(db);
      await sql`CREATE TRIGGER ${sql.id(`${t}_count_delete`)} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE PROCEDURE mastro_count_rows()`.execute(db);
      await sql`CREATE TRIGGER ${sql.id(`${t}_count_truncate`)} AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE PROCEDURE mastro_count_rows()`.execute(db);
    }
  },
};

export const MIGRATIONS: readonly Migration[] = [initial, changeParentIndex, logchunkStream, webSessions, hookDeliveries, reporterOutbox, workerPools, largeHistory];

/** Applies every migration newer than the recorded version, each in its own transaction. */
export async function migrate(db: Kysely<Schema>, engine: Engine): Promise<number> {
  await db.schema.createTable('mastro_migrations').ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull()).execute();
  const row = await db.selectFrom('mastro_migrations').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  const current = Number(row?.v ?? 0);
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this mastro (knows up to ${latest}); upgrade mastro or use another database`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await db.transaction().execute(async (trx) => {
      await m.up(trx, engine);
      await trx.insertInto('mastro_migrations').values({ version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) }).execute();
    });
  }
  return latest;
}
