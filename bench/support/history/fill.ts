/**
 * Bulk history for the history and queue scenarios, written straight through the master's database
 * layer (its Kysely connection, one pinned connection, INSERT ... SELECT over a numbers table), so
 * a million builds take minutes, not the hours the data API would. The rows are the ones a real
 * build writes (checked against a master's own database): per build a change with one file, its
 * sourcestamp, a buildset with the scheduler property, a request and its claim, the build with the
 * 11 properties mastro sets, 5 steps (worker_preparation + 4 commands) and one `stdio` log per
 * command step with one chunk. Times spread evenly over `spanSeconds` ending now, ids in time order.
 *
 * The master must have started once on the database (so its masters/builders/workers rows exist)
 * and the history tables must be empty. Works on SQLite and PostgreSQL: only the numbers table,
 * padding and sequence resets differ.
 */
import { sql, type Kysely } from 'kysely';

export interface FillOptions {
  /** Finished builds (with their change, request, steps and logs). */
  builds: number;
  /** Requests still waiting (a buildset + request each, no claim, no build), after the builds. */
  pending: number;
  /** Builders the builds are spread over, round robin, in this order (registered by the master first). */
  builderNames: string[];
  workerNames: string[];
  /** The builds' times run from now - spanSeconds to now. */
  spanSeconds: number;
  /** Progress lines (statement, rows, seconds). */
  log?: (line: string) => void;
}

export interface FillResult { seconds: number; rows: Record<string, number> }

const STEPS = ['worker_preparation', 'git', 'compile', 'test', 'upload'];
/** A command step's stdio: five lines of one stream (stored without per-line codes, as the log writer does). */
const CHUNK_TEXT = ['+ make -j2 all', 'cc -O2 -c src/main.c -o build/main.o', 'cc -O2 -c src/util.c -o build/util.o', 'ld build/main.o build/util.o -o build/app', 'done: 0 warnings, 0 errors'].map((l) => `${l}\n`).join('');

type Engine = 'sqlite' | 'postgresql';

export async function fillHistory(k: Kysely<any>, engine: Engine, o: FillOptions): Promise<FillResult> {
  const started = performance.now();
  const rows: Record<string, number> = {};
  const log = o.log ?? (() => {});
  const total = o.builds + o.pending;
  const nb = o.builds;
  const B = o.builderNames.length;
  const now = Math.floor(Date.now() / 1000);
  const t0 = now - o.spanSeconds;
  return k.connection().execute(async (db) => {
    const run = async (what: string, text: string) => {
      const t = performance.now();
      const r = await sql.raw(text).execute(db);
      const n = Number(r.numAffectedRows ?? 0);
      rows[what] = (rows[what] ?? 0) + n;
      log(`${what}: ${n} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    };
    const one = async <T>(text: string) => (await sql.raw(text).execute(db)).rows[0] as T;

    for (const t of ['builds', 'buildrequests', 'buildsets', 'changes', 'steps', 'logs', 'sourcestamps']) {
      const { n } = await one<{ n: number }>(`SELECT count(*) AS n FROM ${t}`);
      if (Number(n) > 0) throw new Error(`the history filler needs empty history tables; ${t} has ${n} rows`);
    }
    const { masterid } = await one<{ masterid: number }>('SELECT min(id) AS masterid FROM masters');
    if (masterid == null) throw new Error('no master row: start the master once on this database before filling it');
    // The master's ids of the builders and workers, whatever order it registered them in (it looks
    // them up all at once, as Buildbot does), as tables of their own for the inserts to join.
    const ids = async (table: string, names: string[]) => {
      const list = (await sql.raw(`SELECT id, name FROM ${table}`).execute(db)).rows as Array<{ id: number; name: string }>;
      const byName = new Map(list.map((r) => [r.name, Number(r.id)]));
      const missing = names.filter((n) => !byName.has(n));
      if (missing.length) throw new Error(`the master did not register ${table} ${missing.slice(0, 3).join(', ')}...: start it once with the history config first`);
      return names.map((name, k) => `(${k}, ${byName.get(name)}, '${name.replace(/'/g, "''")}')`).join(', ');
    };
    const builderRows = await ids('builders', o.builderNames);
    const workerRows = await ids('workers', o.workerNames);
    const W = o.workerNames.length;

    // Engine differences: the numbers table and zero padding. Everything else is the same SQL.
    const pad = (e: string, n: number) => (engine === 'sqlite' ? `printf('%0${n}d', ${e})` : `lpad((${e})::text, ${n}, '0')`);
    const blob = (text: string) => (engine === 'sqlite' ? `CAST('${text}' AS BLOB)` : `convert_to('${text}', 'UTF8')`);
    await run('numbers table', 'CREATE TABLE bench_seq (x integer PRIMARY KEY)');
    if (engine === 'sqlite') await run('numbers', `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${total}) INSERT INTO bench_seq SELECT x FROM c`);
    else await run('numbers', `INSERT INTO bench_seq SELECT generate_series(1, ${total})`);
    await run('builder table', 'CREATE TABLE bench_builder (k integer PRIMARY KEY, id integer NOT NULL, name text NOT NULL)');
    await run('builders', `INSERT INTO bench_builder VALUES ${builderRows}`);
    await run('worker table', 'CREATE TABLE bench_worker (k integer PRIMARY KEY, id integer NOT NULL, name text NOT NULL)');
    await run('workers', `INSERT INTO bench_worker VALUES ${workerRows}`);
    await run('step table', 'CREATE TABLE bench_step (k integer PRIMARY KEY, name text NOT NULL, state text NOT NULL)');
    await run('steps', `INSERT INTO bench_step VALUES ${STEPS.map((s, i) => `(${i}, '${s}', '${i === 0 ? 'worker ready' : `'${s}'`.replace(/'/g, "''")}')`).join(', ')}`);

    const T = (x = 'x') => `(${t0} + CAST(${x} AS bigint) * ${o.spanSeconds} / ${Math.max(1, total)})`;
    const R = (x = 'x') => `(CASE WHEN ${x} % 20 = 0 THEN 2 ELSE 0 END)`;
    const seq = (n: number) => `FROM bench_seq WHERE x <= ${n}`;
    // Round robin over the builders and workers: bb.id / bb.name and bw.id / bw.name of row x.
    const seqBW = (n: number) => `FROM bench_seq JOIN bench_builder bb ON bb.k = (x - 1) % ${B} JOIN bench_worker bw ON bw.k = (x - 1) % ${W} WHERE x <= ${n}`;
    const repo = `'https://example.org/history.git'`;

    // Sourcestamps and changes: one per build and per pending request.
    await run('sourcestamps', `INSERT INTO sourcestamps (id, ss_hash, branch, revision, patchid, repository, codebase, project, created_at)
      SELECT x, 'history-' || ${pad('x', 32)}, 'main', ${pad('x', 40)}, NULL, ${repo}, '', 'history', ${T()} ${seq(total)}`);
    await run('changes', `INSERT INTO changes (changeid, author, committer, comments, branch, revision, revlink, when_timestamp, category, repository, codebase, project, sourcestampid, parent_changeids)
      SELECT x, 'dev' || (x % 50) || ' <dev@example.org>', NULL, 'history change ' || x, 'main', ${pad('x', 40)}, NULL, ${T()}, NULL, ${repo}, '', 'history', x, CASE WHEN x > 1 THEN x - 1 ELSE NULL END ${seq(total)}`);
    await run('change_files', `INSERT INTO change_files (changeid, filename) SELECT x, 'src/file' || (x % 100) || '.c' ${seq(total)}`);

    // Buildsets and requests: complete for the builds, waiting for the pending tail.
    const done = (x = 'x') => `(${x} <= ${nb})`;
    await run('buildsets', `INSERT INTO buildsets (id, external_idstring, reason, submitted_at, complete, complete_at, results, parent_buildid, parent_relationship)
      SELECT x, NULL, 'The AnyBranchScheduler scheduler named ''all'' triggered this build', ${T()},
        CASE WHEN ${done()} THEN 1 ELSE 0 END, CASE WHEN ${done()} THEN ${T()} + 300 ELSE NULL END, CASE WHEN ${done()} THEN ${R()} ELSE NULL END, NULL, NULL ${seq(total)}`);
    await run('buildset_properties', `INSERT INTO buildset_properties (buildsetid, property_name, property_value) SELECT x, 'scheduler', '["all","Scheduler"]' ${seq(total)}`);
    await run('buildset_sourcestamps', `INSERT INTO buildset_sourcestamps (id, buildsetid, sourcestampid) SELECT x, x, x ${seq(total)}`);
    await run('buildrequests', `INSERT INTO buildrequests (id, buildsetid, builderid, priority, complete, results, submitted_at, complete_at, waited_for)
      SELECT x, x, bb.id, 0, CASE WHEN ${done()} THEN 1 ELSE 0 END, CASE WHEN ${done()} THEN ${R()} ELSE NULL END, ${T()}, CASE WHEN ${done()} THEN ${T()} + 300 ELSE NULL END, 0 ${seqBW(total)} ORDER BY x`);

    if (nb > 0) {
      await run('buildrequest_claims', `INSERT INTO buildrequest_claims (brid, masterid, claimed_at) SELECT x, ${masterid}, ${T()} ${seq(nb)}`);
      await run('builds', `INSERT INTO builds (id, number, builderid, buildrequestid, workerid, masterid, started_at, complete_at, state_string, results)
        SELECT x, (x - 1) / ${B} + 1, bb.id, x, bw.id, ${masterid}, ${T()}, ${T()} + 300,
          CASE WHEN ${R()} = 0 THEN 'build successful' ELSE 'failed test' END, ${R()} ${seqBW(nb)} ORDER BY x`);
      // The properties a mastro build sets (scheduler, sourcestamp, builder, worker, owners).
      const q = (e: string) => `'"' || ${e} || '"'`;
      const builderName = 'bb.name';
      const props: Array<[string, string, string]> = [
        ['scheduler', `'"all"'`, 'Scheduler'], ['branch', `'"main"'`, 'Build'], ['revision', q(pad('x', 40)), 'Build'],
        ['repository', `'"https://example.org/history.git"'`, 'Build'], ['project', `'"history"'`, 'Build'], ['codebase', `'""'`, 'Build'],
        ['buildername', q(builderName), 'Builder'], ['buildnumber', `'' || ((x - 1) / ${B} + 1)`, 'Build'],
        ['workername', q('bw.name'), 'Worker'], ['builddir', q(`'/srv/worker/' || ${builderName}`), 'Worker'],
        ['owners', `'["dev' || (x % 50) || ' <dev@example.org>"]'`, 'Build'],
      ];
      // One statement in build order: a master writes a build's properties together, so they sit
      // side by side in the table (eleven passes by name would scatter them over the whole file).
      await run('property table', 'CREATE TABLE bench_prop (k integer PRIMARY KEY, name text NOT NULL, source text NOT NULL)');
      await run('properties', `INSERT INTO bench_prop VALUES ${props.map(([name, , source], i) => `(${i}, '${name}', '${source}')`).join(', ')}`);
      await run('build_properties', `INSERT INTO build_properties (buildid, name, value, source)
        SELECT x, p.name, CASE p.k ${props.map(([, value], i) => `WHEN ${i} THEN ${value}`).join(' ')} END, p.source
        FROM bench_seq JOIN bench_builder bb ON bb.k = (x - 1) % ${B} JOIN bench_worker bw ON bw.k = (x - 1) % ${W} CROSS JOIN bench_prop p
        WHERE x <= ${nb} ORDER BY x, p.k`);
      await run('drop properties', 'DROP TABLE bench_prop');
      const S = STEPS.length;
      await run('steps', `INSERT INTO steps (id, number, name, buildid, started_at, complete_at, state_string, results, urls_json, hidden)
        SELECT (x - 1) * ${S} + k + 1, k, name, x, ${T()} + k * 60, ${T()} + k * 60 + 60, state, CASE WHEN k = ${S - 2} THEN ${R()} ELSE 0 END, '[]', 0
        FROM bench_seq, bench_step WHERE x <= ${nb} ORDER BY x, k`);
      const L = S - 1;
      await run('logs', `INSERT INTO logs (id, name, slug, stepid, complete, num_lines, type)
        SELECT (x - 1) * ${L} + k, 'stdio', 'stdio', (x - 1) * ${S} + k + 1, 1, 5, 's' FROM bench_seq, bench_step WHERE x <= ${nb} AND k > 0 ORDER BY x, k`);
      await run('logchunks', `INSERT INTO logchunks (logid, first_line, last_line, content, compressed, stream)
        SELECT (x - 1) * ${L} + k, 0, 4, ${blob(CHUNK_TEXT)}, 0, 'o' FROM bench_seq, bench_step WHERE x <= ${nb} AND k > 0 ORDER BY x, k`);
    }
    await run('drop numbers', 'DROP TABLE bench_seq');
    await run('drop steps', 'DROP TABLE bench_step');
    await run('drop builders', 'DROP TABLE bench_builder');
    await run('drop workers', 'DROP TABLE bench_worker');
    if (engine === 'postgresql') {
      // Explicit ids leave the serial sequences behind: move them past the rows, or the next insert collides.
      for (const [t, c] of [['sourcestamps', 'id'], ['changes', 'changeid'], ['buildsets', 'id'], ['buildset_sourcestamps', 'id'], ['buildrequests', 'id'], ['builds', 'id'], ['steps', 'id'], ['logs', 'id']]) {
        await sql.raw(`SELECT setval(pg_get_serial_sequence('${t}', '${c}'), GREATEST(1, (SELECT coalesce(max(${c}), 0) FROM ${t})))`).execute(db);
      }
      // A server that has lived with these rows has vacuumed them and has statistics (autovacuum); a
      // fresh fill has neither, and autovacuum would otherwise start on it in the middle of the measurements.
      await run('vacuum analyze', 'VACUUM ANALYZE');
    } else {
      await run('checkpoint', 'PRAGMA wal_checkpoint(TRUNCATE)');
    }
    return { seconds: (performance.now() - started) / 1000, rows };
  });
}
