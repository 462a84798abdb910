/**
 * Scenario 6: a deep queue survives a restart. N build requests wait in the database of a master
 * with no worker attached (written in bulk through the database layer, support/history/fill.ts:
 * the rows addBuildset writes, a buildset, its sourcestamp and change, one request each); the
 * master is started on it, and simulated workers connect the moment it is ready. Measured: process
 * start -> first build started with 100,000 waiting (then 200 builds, not all of them), and
 * process start -> all N builds finished for N and N/10 (the drain ratio shows whether dispatch
 * scales with the queue's depth).
 */
import { join } from 'node:path';
import { dbOf, type BenchOptions, type Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { configDeviations, type BenchMasterConfig } from '../support/configs.js';
import { withScratchDir } from '../support/cleanup.js';
import { startSimWorkers } from '../support/sim-workers.js';
import { fillHistory } from '../support/history/fill.js';

const WORKERS = 50;
/** Builds run after the first one when the queue is not drained: enough to see dispatch going. */
const SAMPLE_BUILDS = 200;

interface QueueRun { seedSeconds: number; startToReadyMs: number; startToFirstBuildMs: number; totalSeconds: number; drainSeconds: number; builds: number; config: BenchMasterConfig }

async function queueRun(opts: BenchOptions, root: string, n: number, drain: boolean, first: boolean): Promise<QueueRun> {
  return withScratchDir(root, async (c) => {
    // Each queue on an empty database: the run's own, then (PostgreSQL) another on the same server.
    const given = dbOf(opts);
    const db = first || !given.another ? given : { ...given, url: await given.another() };
    const workerNames = Array.from({ length: WORKERS }, (_, i) => `q${i}`);
    const config: BenchMasterConfig = {
      workerPrefix: 'q', workerCount: WORKERS, password: 'bench-pw', maxBuilds: 1, dbUrl: db.url,
      builders: [{ name: 'bench', command: ['true'] }], www: true, scheduler: false,
    };
    const dir = writeBenchMaster(root, config);
    // A first start registers the master, its builder and workers; the requests are added while it is down.
    const registering = await startMasterProc(dir, { tag: 's6-register' });
    await registering.stop();
    const { openDatabase } = await import('../../packages/master/dist/db/index.js');
    const target = await openDatabase(db.url, { baseDir: dir, groupCommit: false });
    let seedSeconds;
    try {
      seedSeconds = (await fillHistory(target.kysely, db.engine, { builds: 0, pending: n, builderNames: ['bench'], workerNames, spanSeconds: 3600 })).seconds;
    } finally { await target.close(); }

    const master = await startMasterProc(dir, { tag: `s6-restart-${n}`, startTimeoutMs: 300_000 });
    c.add(() => master.stop());
    const sims = await startSimWorkers({ url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw', names: workerNames });
    c.add(() => sims.close());
    const builds = drain ? n : Math.min(n, SAMPLE_BUILDS);
    const lastAt = await master.request<number>('waitFinished', { count: builds });
    const counts = await master.request<{ firstStartedAt: number; spawnedAt: number; results: Record<string, number> }>('counts');
    if ((counts.results['0'] ?? 0) < builds) throw new Error(`expected ${builds} successful builds after the restart, got ${JSON.stringify(counts.results)}`);
    return {
      seedSeconds, builds, config,
      startToReadyMs: master.ready.readyAt - master.ready.spawnedAt,
      startToFirstBuildMs: counts.firstStartedAt - counts.spawnedAt,
      totalSeconds: (lastAt - counts.spawnedAt) / 1000,
      drainSeconds: (lastAt - counts.firstStartedAt) / 1000,
    };
  });
}

export const queue: Scenario = {
  id: 6,
  name: 'queue of pending requests',
  engines: ['sqlite', 'postgresql'],
  async run(opts: BenchOptions) {
    const deep = opts.quick ? 5000 : 100_000;
    const big = opts.quick ? 1000 : 10_000;
    const small = big / 10;
    const engine = dbOf(opts).engine;
    const d = await queueRun(opts, join(opts.tmpDir, `s6-deep-${engine}`), deep, false, true);
    const r1 = await queueRun(opts, join(opts.tmpDir, `s6-small-${engine}`), small, true, false);
    const r2 = await queueRun(opts, join(opts.tmpDir, `s6-big-${engine}`), big, true, false);
    return {
      metrics: [
        { name: `start -> first build started (${deep} queued)`, value: d.startToFirstBuildMs / 1000, unit: 's', target: { value: 2, better: 'lower' } },
        { name: `drain time ${big} / ${small}`, value: r2.drainSeconds / r1.drainSeconds, unit: 'ratio', target: { value: 12, better: 'lower' } },
        { name: `builds/s with ${deep} queued (first ${d.builds})`, value: d.builds / d.drainSeconds, unit: 'builds/s', better: 'higher' },
        { name: `builds/s draining ${big}`, value: big / r2.drainSeconds, unit: 'builds/s', better: 'higher' },
        { name: `start -> ready (${deep} queued)`, value: d.startToReadyMs / 1000, unit: 's', better: 'lower' },
        { name: `start -> first build started (${big} queued)`, value: r2.startToFirstBuildMs / 1000, unit: 's', better: 'lower' },
        { name: `start -> all ${big} finished`, value: r2.totalSeconds, unit: 's', better: 'lower' },
        { name: `start -> all ${small} finished`, value: r1.totalSeconds, unit: 's', better: 'lower' },
      ],
      params: {
        engine, queued: [small, big, deep], workers: `${WORKERS} simulated workers, maxBuilds 1, connecting when the master is ready`,
        seedSeconds: [r1.seedSeconds, r2.seedSeconds, d.seedSeconds].map((s) => Number(s.toFixed(2))),
        configDeviations: configDeviations(d.config),
      },
      notes: [
        'requests written in bulk through the database layer while the master is down (the rows addBuildset writes: buildset, sourcestamp, change, request), then the master process is started on them',
        '"start" = the master process spawned (Node start-up and module loading included)',
        `with ${deep} queued the first ${SAMPLE_BUILDS} builds are run, not all; ${small} and ${big} are drained`,
        'drain time = first build started -> last build finished (start-up excluded, so the ratio shows how dispatch scales with queue depth)',
      ],
    };
  },
};
