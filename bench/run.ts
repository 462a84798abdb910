/**
 * `npm run bench [-- --quick] [-- --vs-buildbot] [-- --only=1,3] [-- --pairs=N] [-- --engine=sqlite|postgresql|both]`:
 * runs the fixed scenarios, prints a table and writes bench/results.json. Performance is shown here,
 * never asserted in tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarios } from './scenarios/index.js';
import { machineInfo, renderTable, toJson, type ScenarioRecord } from './report.js';
import { attachBuildbot, attachPostgresql, combineRuns } from './combine.js';
import { openBenchPg, type BenchPg } from './support/pg.js';
import type { BenchOptions, Scenario, ScenarioResult } from './types.js';

function parseArgs(argv: string[]) {
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',').map(Number);
  const pairs = Number(argv.find((a) => a.startsWith('--pairs='))?.slice(8) ?? NaN);
  const quick = argv.includes('--quick');
  const engine = argv.find((a) => a.startsWith('--engine='))?.slice(9) ?? 'both';
  if (!['both', 'sqlite', 'postgresql'].includes(engine)) throw new Error(`--engine=${engine}: use sqlite, postgresql or both`);
  return {
    quick, vsBuildbot: argv.includes('--vs-buildbot'), only,
    noPostgresql: argv.includes('--no-postgresql') || engine === 'sqlite',
    /** Only the PostgreSQL variants (their figures in the PostgreSQL column), for a look at one engine. */
    onlyPostgresql: engine === 'postgresql',
    // Three pairs give a median that one slow moment of the machine cannot move; quick proves the harness with one.
    pairs: Number.isInteger(pairs) && pairs > 0 ? pairs : quick ? 1 : 3,
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

type Args = ReturnType<typeof parseArgs>;

/** SQLite runs (interleaved with Buildbot's when asked), then PostgreSQL's: one result with every figure beside the others. */
async function runScenario(s: Scenario, base: Omit<BenchOptions, 'db' | 'runIndex'>, args: Args, pg: BenchPg | { unavailable: string } | null, record: ScenarioRecord): Promise<ScenarioResult> {
  const sqlite = (runIndex: number): BenchOptions => ({ ...base, runIndex, db: { engine: 'sqlite', url: 'sqlite:state.sqlite' } });
  const runs: ScenarioResult[] = [];
  const bbRuns: Array<Record<string, number | null>> = [];
  if (args.onlyPostgresql && s.engines?.includes('postgresql')) {
    // Nothing on SQLite: an empty SQLite column, the PostgreSQL run beside it.
    runs.push({ metrics: [], params: {}, notes: ['SQLite not run (--engine=postgresql)'] });
  } else if (base.vsBuildbot && s.runBuildbot) {
    for (let i = 0; i < args.pairs; i++) {
      log(`scenario ${s.id}: pair ${i + 1}/${args.pairs}: mastro ...`);
      runs.push(await s.run(sqlite(i)));
      if (record.buildbotError) continue;
      log(`scenario ${s.id}: pair ${i + 1}/${args.pairs}: Buildbot ...`);
      try {
        bbRuns.push(await s.runBuildbot(sqlite(i)));
      } catch (err) {
        // A failed Buildbot side is reported next to mastro's figures, which stay.
        record.buildbotError = errText(err);
      }
    }
  } else {
    runs.push(await s.run(sqlite(0)));
  }
  const result = combineRuns(runs);
  if (bbRuns.length) attachBuildbot(result, runs.slice(0, bbRuns.length), bbRuns);
  if (record.buildbotError) (result.notes ??= []).push(`Buildbot side failed: ${record.buildbotError}`);

  if (s.engines?.includes('postgresql')) {
    const skip = args.noPostgresql ? 'skipped (--no-postgresql)'
      : base.quick && !s.quickPostgresql ? 'skipped in --quick (it would take the smoke run well past a minute; the full run has it)'
        : pg && 'unavailable' in pg ? `skipped: ${pg.unavailable}` : null;
    if (skip || !pg || 'unavailable' in pg) {
      (result.notes ??= []).push(`PostgreSQL variant ${skip}`);
      log(`scenario ${s.id}: PostgreSQL variant ${skip}`);
    } else {
      log(`scenario ${s.id}: PostgreSQL ...`);
      const db = await pg.freshDatabase();
      const more: Array<{ drop(): Promise<void> }> = [];
      const another = async () => { const d = await pg.freshDatabase(); more.push(d); return d.url; };
      try {
        const pgResult = await s.run({ ...base, runIndex: 0, db: { engine: 'postgresql', url: db.url, another } });
        if (!result.metrics.length) result.metrics = pgResult.metrics.map((m) => ({ ...m, value: null }));
        attachPostgresql(result, pgResult);
        (result.notes ??= []).push(`PostgreSQL: ${pg.origin}, a fresh database for the run`);
      } catch (err) {
        record.postgresqlError = errText(err);
        (result.notes ??= []).push(`PostgreSQL variant failed: ${record.postgresqlError}`);
      } finally {
        for (const d of [db, ...more]) await d.drop().catch((err) => log(`could not drop a PostgreSQL database: ${errText(err)}`));
      }
    }
  }
  return result;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tmpDir = mkdtempSync(join(tmpdir(), 'mastro-bench-'));
  const base = { quick: args.quick, vsBuildbot: args.vsBuildbot, seed: 20261121, tmpDir };
  const selected = scenarios.filter((s) => !args.only || args.only.includes(s.id));
  const loadBefore = machineInfo().loadAverage1m;
  const records: ScenarioRecord[] = [];
  const wantsPg = !args.noPostgresql && selected.some((s) => s.engines?.includes('postgresql') && (!args.quick || s.quickPostgresql));
  let pg: BenchPg | { unavailable: string } | null = null;
  try {
    if (wantsPg) {
      pg = await openBenchPg().catch((err) => ({ unavailable: `could not start PostgreSQL: ${errText(err)}` }));
      if ('unavailable' in pg) log(`PostgreSQL variants skipped: ${pg.unavailable}`);
    }
    for (const s of selected) {
      const record: ScenarioRecord = { id: s.id, name: s.name, seconds: 0 };
      records.push(record);
      if (args.quick && s.skipInQuick) {
        record.skipped = s.skipInQuick;
        log(`scenario ${s.id}: ${s.name}: not in --quick (${s.skipInQuick})`);
        continue;
      }
      const started = performance.now();
      log(`scenario ${s.id}: ${s.name} ...`);
      try {
        record.result = await runScenario(s, base, args, pg, record);
      } catch (err) {
        record.error = errText(err);
      }
      record.seconds = (performance.now() - started) / 1000;
      const problems = [record.error && `error: ${record.error}`, record.buildbotError && `Buildbot side error: ${record.buildbotError}`, record.postgresqlError && `PostgreSQL error: ${record.postgresqlError}`].filter(Boolean);
      log(`scenario ${s.id} done in ${record.seconds.toFixed(1)} s${problems.length ? ` (${problems.join('; ')})` : ''}`);
    }
  } finally {
    if (pg && !('unavailable' in pg)) await pg.close().catch((err) => log(`could not stop PostgreSQL: ${errText(err)}`));
    rmSync(tmpDir, { recursive: true, force: true });
  }
  console.log(renderTable(records));
  const m = machineInfo();
  console.log(`\nmachine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average (1 min) before: ${loadBefore}, at the end: ${m.loadAverage1m}`);
  const out = new URL('./results.json', import.meta.url);
  writeFileSync(out, JSON.stringify(toJson(records, args.quick, loadBefore), null, 2) + '\n');
  console.log(`\nwrote ${out.pathname}`);
  // The harness fails only when it could not run a scenario at all; slow figures are reported, not failed.
  if (records.some((r) => r.error || r.buildbotError || r.postgresqlError)) process.exitCode = 1;
}

await main();
