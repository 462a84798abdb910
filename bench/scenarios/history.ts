/**
 * Scenario 9: a master with years of history. A database (SQLite, and PostgreSQL beside it) is
 * filled with 1,000,000 builds over 200 builders (5,000,000 steps, 1,000,000 changes, 4,000,000 logs)
 * straight through the database layer (support/history/fill.ts), then measured as a user meets it:
 * master start-up, p50/p99 of every request the web UI makes (support/history/requests.ts), the
 * builders page and a build page rendered in Chromium, the database's size per build, and the
 * janitor deleting the older year of logs while builds run (their durations beside those of the
 * same builds without it). Buildbot's UI is known to slow down at this scale (buildbot issues #3444, #5432).
 */
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { dbOf, type BenchOptions, type Metric, type Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { configDeviations, type BenchMasterConfig } from '../support/configs.js';
import { withScratchDir } from '../support/cleanup.js';
import { fillHistory } from '../support/history/fill.js';
import { UI_REQUESTS, type Picker } from '../support/history/requests.js';
import { timeUiPages } from '../support/history/ui-timing.js';
import { startSimWorkers } from '../support/sim-workers.js';
import { benchChanges, changeSinkFor } from '../support/changes.js';
import { waitUntil } from '../support/proc.js';
import type { MasterProc } from '../support/master-proc.js';
import { median, percentile } from '../stats.js';
import { seededRandom } from '../../test/support/seeded-random.js';

const BUILDERS = 200;
const WORKERS = 10;
const STEPS_PER_BUILD = 5;
const LOGS_PER_BUILD = 4;
const YEAR = 365 * 86400;

/** Full run: a million builds; BENCH_HISTORY_BUILDS sets another size (a quick look while developing). */
function buildCount(): number {
  const n = Number(process.env.BENCH_HISTORY_BUILDS);
  return Number.isInteger(n) && n >= BUILDERS ? n : 1_000_000;
}

async function timedGet(base: string, path: string): Promise<{ ms: number; total: unknown }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v2/${path}`);
  const body = await res.json() as { meta?: { total?: unknown } };
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET /api/v2/${path} answered HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { ms, total: body.meta?.total };
}

interface Durations { builds: number; p50: number; p99: number }

async function durations(master: MasterProc): Promise<Durations> {
  const d = await master.request<number[]>('buildDurations');
  return { builds: d.length, p50: median(d) ?? NaN, p99: percentile(d, 99) ?? NaN };
}

/**
 * Builds run on simulated workers, `inFlight` at a time, until `until` resolves (or `count` builds
 * have been sent); resolves once the last one finished.
 */
async function keepBuilding(master: MasterProc, seed: number, inFlight: number, o: { count?: number; until?: Promise<unknown> }): Promise<number> {
  const sink = changeSinkFor(master);
  try {
    let done = false;
    void o.until?.finally(() => { done = true; });
    const { finished } = await master.request<{ finished: number }>('counts');
    let sent = 0;
    // Changes made a thousand at a time (distinct revisions, so none collapses), until told to stop.
    for (let batch = 0; !done && (o.count === undefined || sent < o.count); batch++) {
      for (const ch of benchChanges(1000, seed * 1000 + batch, 'history')) {
        if (done || (o.count !== undefined && sent >= o.count)) break;
        await sink.send(ch);
        sent++;
        if (sent >= inFlight) await master.request('waitFinished', { count: finished + sent - inFlight + 1 });
      }
    }
    await master.request('waitFinished', { count: finished + sent });
    return sent;
  } finally { sink.close(); }
}

/** The janitor's run (a year of logs) with builds going on, against the same builds without it. */
async function janitorWhileBuilding(master: MasterProc, engine: string, workerNames: string[], seed: number) {
  const sims = await startSimWorkers({ url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw', names: workerNames });
  try {
    await waitUntil(async () => (await master.request<number>('attachedWorkers')) === workerNames.length, 60_000, 'the simulated workers to attach');
    await keepBuilding(master, seed, workerNames.length, { count: 50 }); // warm-up
    await durations(master);
    await keepBuilding(master, seed + 1, workerNames.length, { count: 300 });
    const baseline = await durations(master);
    const running = master.request<{ emptiedLogs: number; batches: number; seconds: number; olderThan: number }>('runJanitor');
    const sent = await keepBuilding(master, seed + 2, workerNames.length, { until: running });
    const run = await running;
    const during = await durations(master);
    if (!run.emptiedLogs) throw new Error(`the janitor deleted nothing on ${engine}; expected a year of logs`);
    return { baseline, during, run, buildsDuring: sent };
  } finally { await sims.close(); }
}

async function databaseBytes(url: string, dir: string, engine: string): Promise<number> {
  if (engine === 'sqlite') {
    return ['state.sqlite', 'state.sqlite-wal'].map((f) => join(dir, f)).filter(existsSync).reduce((a, f) => a + statSync(f).size, 0);
  }
  const { openDatabase } = await import('../../packages/master/dist/db/index.js');
  const db = await openDatabase(url, { baseDir: dir });
  try {
    const r = await sql<{ n: string }>`SELECT pg_database_size(current_database()) AS n`.execute(db.kysely);
    return Number(r.rows[0]!.n);
  } finally { await db.close(); }
}

export const history: Scenario = {
  id: 11,
  name: 'history at scale',
  engines: ['sqlite', 'postgresql'],
  skipInQuick: 'filling a million builds takes minutes; the full run has it (BENCH_HISTORY_BUILDS=N sets a smaller history)',
  async run(opts: BenchOptions) {
    const db = dbOf(opts);
    const nb = buildCount();
    const samples = 40;
    return withScratchDir(join(opts.tmpDir, `s9-${db.engine}`), async (c, root) => {
      const builderNames = Array.from({ length: BUILDERS }, (_, i) => `hb${String(i).padStart(3, '0')}`);
      const workerNames = Array.from({ length: WORKERS }, (_, i) => `hw${i}`);
      const config: BenchMasterConfig = {
        workerPrefix: 'hw', workerCount: WORKERS, password: 'bench-pw', maxBuilds: 1, dbUrl: db.url,
        builders: builderNames.map((name) => ({ name, command: ['true'] })), www: true, scheduler: [builderNames[0]!],
        // A year of horizon over two years of history: a janitor run deletes the older half. Runs only when asked (IPC).
        janitor: { logHorizon: YEAR, interval: 30 * 86400 },
      };
      const dir = writeBenchMaster(root, config);
      // First start on the empty database: the master registers itself, its builders and workers.
      const empty = await startMasterProc(dir, { tag: 's9-empty' });
      const emptyStartMs = empty.ready.readyAt - empty.ready.spawnedAt;
      await empty.stop();

      const { openDatabase } = await import('../../packages/master/dist/db/index.js');
      // Autocommit per statement: each INSERT ... SELECT is one transaction of its own.
      const target = await openDatabase(db.url, { baseDir: dir, groupCommit: false });
      let fill;
      try {
        fill = await fillHistory(target.kysely, db.engine, {
          builds: nb, pending: 100, builderNames, workerNames, spanSeconds: 2 * YEAR,
          log: (line) => process.stderr.write(`[bench] history fill (${db.engine}): ${line}\n`),
        });
      } finally { await target.close(); }
      const bytes = await databaseBytes(db.url, dir, db.engine);

      const master = await startMasterProc(dir, { tag: 's9-master', startTimeoutMs: 300_000 });
      c.add(() => master.stop());
      const startMs = master.ready.readyAt - master.ready.spawnedAt;
      const base = `http://127.0.0.1:${master.ready.httpPort}`;

      const rnd = seededRandom(opts.seed);
      const int = (n: number) => Math.floor(rnd() * n);
      const builder0 = Math.min(...(await (await fetch(`${base}/api/v2/builders`)).json() as { builders: Array<{ builderid: number }> }).builders.map((b) => b.builderid));
      const perDay = Math.max(1, Math.round(nb / 730));
      const perBuilder = Math.floor(nb / BUILDERS);
      const picker: Picker = {
        builderid: () => builder0 + int(BUILDERS),
        buildid: () => (rnd() < 0.5 ? nb - int(perDay) : 1 + int(nb)),
        stepOf: (b) => (b - 1) * STEPS_PER_BUILD + 3 + 1,
        logOf: (b) => (b - 1) * LOGS_PER_BUILD + 3,
        offset: () => int(Math.max(1, perBuilder - 50)),
      };
      const metrics: Metric[] = [];
      const timings: Record<string, { p50: number; p99: number; max: number; total?: unknown }> = {};
      for (const r of UI_REQUESTS) {
        await timedGet(base, r.path(picker)); // one warm-up: the first request of a kind compiles its code paths
        const ms: number[] = [];
        let total: unknown;
        for (let i = 0; i < samples; i++) { const t = await timedGet(base, r.path(picker)); ms.push(t.ms); total = t.total; }
        timings[r.name] = { p50: median(ms)!, p99: percentile(ms, 99)!, max: Math.max(...ms), total };
      }
      for (const [name, t] of Object.entries(timings)) metrics.push({ name: `p99: ${name}`, value: t.p99, unit: 'ms', target: { value: 50, better: 'lower' } });
      for (const [name, t] of Object.entries(timings)) metrics.push({ name: `p50: ${name}`, value: t.p50, unit: 'ms', target: { value: 10, better: 'lower' } });

      const lastBuild = await (await fetch(`${base}/api/v2/builds/${nb - 20 * 1}`)).json() as { builds: Array<{ builderid: number; number: number }> };
      const ui = await timeUiPages(master.ready.httpPort!, { lastBuilder: builderNames[BUILDERS - 1]!, build: lastBuild.builds[0]!, lastStep: 'upload', loads: 3 });
      const jan = await janitorWhileBuilding(master, db.engine === 'postgresql' ? 'postgresql' : 'sqlite', workerNames, opts.seed);
      metrics.unshift(
        { name: 'build duration p50 while the janitor runs, over without it', value: jan.during.p50 / jan.baseline.p50, unit: 'ratio', better: 'lower' },
        { name: 'build duration p99 while the janitor runs, over without it', value: jan.during.p99 / jan.baseline.p99, unit: 'ratio', better: 'lower' },
        { name: 'janitor: a year of logs deleted', value: jan.run.seconds, unit: 's', better: 'lower' },
        { name: 'master start-up with the history (process spawned -> ready)', value: startMs / 1000, unit: 's', target: { value: 3, better: 'lower' } },
        { name: 'master start-up on the empty database', value: emptyStartMs / 1000, unit: 's', better: 'lower' },
        { name: 'builders page in Chromium (200 builders with their last builds)', value: ui.buildersPageMs, unit: 'ms', better: 'lower' },
        { name: 'build page in Chromium', value: ui.buildPageMs, unit: 'ms', better: 'lower' },
        { name: 'database size per build', value: bytes / nb / 1024, unit: 'KiB', better: 'lower' },
        { name: 'history fill (bulk, through the database layer)', value: fill.seconds, unit: 's', better: 'lower' },
      );
      return {
        metrics,
        params: {
          engine: db.engine, builds: nb, builders: BUILDERS, stepsPerBuild: STEPS_PER_BUILD, logsPerBuild: LOGS_PER_BUILD, pending: 100,
          span: '2 years', fillRows: fill.rows, databaseBytes: bytes, samplesPerRequest: samples, requests: timings, janitor: jan,
          configDeviations: configDeviations(config),
        },
        notes: [
          `history: ${nb} builds round robin over ${BUILDERS} builders, ${STEPS_PER_BUILD} steps and ${LOGS_PER_BUILD} stdio logs each, one change + sourcestamp + buildset + request per build, 11 build properties, 100 pending requests; bulk INSERT ... SELECT through the master's Kysely connection`,
          `UI requests: each ${samples} times in a row after one warm-up, ids picked at random (seeded; half the builds from the last day), timed from the request sent to the body parsed, over HTTP keep-alive`,
          ui.note,
          db.engine === 'sqlite' ? 'size: state.sqlite after a WAL checkpoint' : 'size: pg_database_size after VACUUM ANALYZE',
          `janitor: janitor { logHorizon: 1 year } run once (over IPC) while ${WORKERS} simulated workers run one-step builds, ${WORKERS} at a time; build durations (new -> finished on the master's bus) during the run against ${jan.baseline.builds} builds right before it`,
        ],
      };
    });
  },
};
