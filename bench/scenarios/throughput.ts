/**
 * Scenarios 1 and 2: builds per second. One master (child process), a builder with one `true` step,
 * collapseRequests false, an anyBranch scheduler without tree-stable timer, N changes delivered with
 * bounded concurrency. Timed from the first change sent to the last build finished (the master's own
 * event bus, reported over IPC the moment the Nth build finishes).
 */
import { join } from 'node:path';
import type { BenchOptions, Scenario, ScenarioResult } from '../types.js';
import { masterHasWww, startMasterProc, writeBenchMaster, type MasterProc } from '../support/master-proc.js';
import { benchChanges, changeSinkFor } from '../support/changes.js';
import { cpuMsOf, mapLimit, waitUntil } from '../support/proc.js';
import { withScratchDir, type Cleanup } from '../support/cleanup.js';
import { startWorkers } from '../support/mastro-workers.js';
import { startSimWorkers } from '../support/sim-workers.js';
import { bbThroughputChanges, buildbotThroughput } from './buildbot-side.js';

const now = () => performance.timeOrigin + performance.now();

export interface Run { builds: number; seconds: number; buildsPerSecond: number; masterCpuMsPerBuild: number; results: Record<string, number>; method: string; peakRssMiB: number }

/** Sends `count` changes with bounded concurrency; times first change sent -> last build finished. */
export async function driveChanges(c: Cleanup, master: MasterProc, count: number, concurrency: number, seed: number): Promise<Run> {
  const sink = changeSinkFor(master);
  c.add(() => sink.close());
  const changes = benchChanges(count, seed);
  const before = await master.request<{ finished: number }>('counts');
  const cpu0 = cpuMsOf(master.pid);
  const t0 = now();
  const done = master.request<number>('waitFinished', { count: before.finished + count });
  await mapLimit(changes, concurrency, (ch) => sink.send(ch));
  await done;
  const t1 = now();
  const cpu1 = cpuMsOf(master.pid);
  const counts = await master.request<{ results: Record<string, number> }>('counts');
  if (process.env.BENCH_SQL_STATS) {
    const sql = await master.request<{ total: number; top: Array<{ n: number; sql: string }> }>('sqlStats');
    process.stderr.write(`[bench] SQL statements prepared since start: ${sql.total} (${(sql.total / count).toFixed(1)} per build incl. start-up)\n`);
    for (const t of sql.top) process.stderr.write(`  ${String(t.n).padStart(6)}  ${t.sql}\n`);
  }
  const seconds = (t1 - t0) / 1000;
  return {
    builds: count, seconds, buildsPerSecond: count / seconds, masterCpuMsPerBuild: (cpu1 - cpu0) / count,
    results: counts.results, method: sink.method, peakRssMiB: master.memory().hwmKiB / 1024,
  };
}

function resultOf(run: Run, params: Record<string, unknown>, target: number, extraNotes: string[]): ScenarioResult {
  const failed = Object.entries(run.results).filter(([r]) => r !== '0').reduce((n, [, v]) => n + v, 0);
  return {
    metrics: [
      { name: 'builds/s', value: run.buildsPerSecond, unit: 'builds/s', target: { value: target, better: 'higher' } },
      { name: 'master CPU per build', value: run.masterCpuMsPerBuild, unit: 'ms', better: 'lower' },
      { name: 'master peak RSS', value: run.peakRssMiB, unit: 'MiB', better: 'lower' },
    ],
    params: { ...params, builds: run.builds, seconds: Number(run.seconds.toFixed(2)), results: run.results, changeDelivery: run.method },
    notes: [
      ...extraNotes,
      `changes delivered by ${run.method}; timed from the first change sent to the last build finished (master event bus, over IPC)`,
      ...(failed ? [`${failed} builds did not end SUCCESS (results ${JSON.stringify(run.results)})`] : []),
    ],
  };
}

export const realWorkers: Scenario = {
  id: 1,
  name: 'throughput, real workers',
  async run(opts: BenchOptions) {
    const changes = opts.quick ? 50 : 500;
    return withScratchDir(join(opts.tmpDir, 's1'), async (c, root) => {
      const dir = writeBenchMaster(root, {
        workerPrefix: 'w', workerCount: 2, password: 'bench-pw', maxBuilds: 4,
        builders: [{ name: 'bench', command: ['true'] }], www: masterHasWww(), scheduler: true,
      });
      const master = await startMasterProc(dir, { tag: 's1-master' });
      c.add(() => master.stop());
      const workers = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0', 'w1'], 'bench-pw');
      for (const w of workers) c.add(() => w.stop());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 2, 30_000, 'both workers to attach');
      const run = await driveChanges(c, master, changes, 16, opts.seed);
      return resultOf(run, { workers: '2 mastro worker processes, maxBuilds 4 each', concurrency: 16, ...(opts.vsBuildbot ? { buildbotChanges: bbThroughputChanges(opts) } : {}) }, 150,
        opts.vsBuildbot ? [`Buildbot side: ${bbThroughputChanges(opts)} changes, 2 buildbot-worker processes (max_builds 4), change POSTs to Buildbot's own change hook code`] : []);
    });
  },
  runBuildbot: buildbotThroughput,
};

export const simulatedWorkers: Scenario = {
  id: 2,
  name: 'throughput, simulated workers',
  async run(opts: BenchOptions) {
    const workerCount = opts.quick ? 20 : 200;
    const changes = opts.quick ? 200 : 2000;
    return withScratchDir(join(opts.tmpDir, 's2'), async (c, root) => {
      const dir = writeBenchMaster(root, {
        workerPrefix: 'sim', workerCount, password: 'bench-pw', maxBuilds: 1,
        builders: [{ name: 'bench', command: ['true'] }], www: masterHasWww(), scheduler: true,
      });
      const master = await startMasterProc(dir, { tag: 's2-master' });
      c.add(() => master.stop());
      const sims = await startSimWorkers({
        url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw',
        names: Array.from({ length: workerCount }, (_, i) => `sim${i}`),
      });
      c.add(() => sims.close());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === workerCount, 60_000, `${workerCount} simulated workers to attach`);
      const run = await driveChanges(c, master, changes, 64, opts.seed);
      return resultOf(run, { workers: `${workerCount} simulated workers in the bench process, maxBuilds 1`, concurrency: 64 }, 1000,
        ['simulated workers answer every command with update rc 0 + complete, no process spawned; they share the 2 cores with the master']);
    });
  },
};
