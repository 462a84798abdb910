/**
 * Scenarios 1 and 2: builds per second. One master (child process), a builder with one `true` step,
 * collapseRequests false, an anyBranch scheduler without tree-stable timer, N changes delivered with
 * bounded concurrency. Timed from the first change sent to the last build finished (the master's own
 * event bus, reported over IPC the moment the Nth build finishes).
 *
 * Each figure also comes as a fraction of the same run's physical limit (support/limits.ts), which
 * holds from one day to the next where the absolute rate does not: scenario 1 against `true`
 * spawned from two processes at the workers' concurrency (before and after the run, averaged), scenario 2
 * against a WebSocket echo of as many messages as the run exchanged, over as many connections.
 */
import { join } from 'node:path';
import { dbOf, type BenchOptions, type Metric, type Scenario, type ScenarioResult } from '../types.js';
import { masterHasWww, startMasterProc, writeBenchMaster, type MasterProc } from '../support/master-proc.js';
import { configDeviations, type BenchMasterConfig } from '../support/configs.js';
import { benchChanges, changeSinkFor } from '../support/changes.js';
import { cpuMsOf, mapLimit, waitUntil } from '../support/proc.js';
import { withScratchDir, type Cleanup } from '../support/cleanup.js';
import { startWorkers, type WorkerProc } from '../support/mastro-workers.js';
import { pbWorkerMissing, startPbWorkers } from '../support/pb-workers.js';
import { startSimWorkers } from '../support/sim-workers.js';
import { spawnLimit, wsEchoLimit } from '../support/limits.js';
import { bbThroughputChanges, buildbotThroughput } from './buildbot-side.js';

const now = () => performance.timeOrigin + performance.now();

export interface Run {
  builds: number; seconds: number; buildsPerSecond: number; masterCpuMsPerBuild: number; workerCpuMsPerBuild: number | null;
  results: Record<string, number>; method: string; peakRssMiB: number;
}

/** Sends `count` changes with bounded concurrency; times first change sent -> last build finished. */
export async function driveChanges(c: Cleanup, master: MasterProc, count: number, concurrency: number, seed: number, workerPids: number[] = []): Promise<Run> {
  const sink = changeSinkFor(master);
  c.add(() => sink.close());
  const changes = benchChanges(count, seed);
  const before = await master.request<{ finished: number }>('counts');
  const workerCpu = () => workerPids.reduce((a, pid) => a + cpuMsOf(pid), 0);
  const cpu0 = cpuMsOf(master.pid);
  const w0 = workerCpu();
  const t0 = now();
  const done = master.request<number>('waitFinished', { count: before.finished + count });
  await mapLimit(changes, concurrency, (ch) => sink.send(ch));
  await done;
  const t1 = now();
  const cpu1 = cpuMsOf(master.pid);
  const w1 = workerCpu();
  const counts = await master.request<{ results: Record<string, number> }>('counts');
  if (process.env.BENCH_SQL_STATS) {
    const sql = await master.request<{ total: number; top: Array<{ n: number; sql: string }> }>('sqlStats');
    process.stderr.write(`[bench] SQL statements prepared since start: ${sql.total} (${(sql.total / count).toFixed(1)} per build incl. start-up)\n`);
    for (const t of sql.top) process.stderr.write(`  ${String(t.n).padStart(6)}  ${t.sql}\n`);
  }
  const seconds = (t1 - t0) / 1000;
  return {
    builds: count, seconds, buildsPerSecond: count / seconds, masterCpuMsPerBuild: (cpu1 - cpu0) / count,
    workerCpuMsPerBuild: workerPids.length ? (w1 - w0) / count : null,
    results: counts.results, method: sink.method, peakRssMiB: master.memory().hwmKiB / 1024,
  };
}

function failedNote(run: Run): string[] {
  const failed = Object.entries(run.results).filter(([r]) => r !== '0').reduce((n, [, v]) => n + v, 0);
  return failed ? [`${failed} builds did not end SUCCESS (results ${JSON.stringify(run.results)})`] : [];
}

function runParams(run: Run, config: BenchMasterConfig, opts: BenchOptions): Record<string, unknown> {
  return { engine: dbOf(opts).engine, builds: run.builds, seconds: Number(run.seconds.toFixed(2)), results: run.results, changeDelivery: run.method, configDeviations: configDeviations(config) };
}

const commonNotes = (run: Run) => [
  `changes delivered by ${run.method}; timed from the first change sent to the last build finished (master event bus, over IPC)`,
  'CPU = user + system time of the whole process (all threads) from /proc, per build',
];

/**
 * Scenario 1 again on the same master with its mastro workers stopped: two Debian `buildbot-worker`
 * processes created without `--protocol` (PB), on the same worker port and names, as many changes.
 */
async function pbWorkersRun(c: Cleanup, root: string, master: MasterProc, mastroWorkers: WorkerProc[], changes: number, seed: number): Promise<Run | string> {
  const missing = await pbWorkerMissing();
  if (missing) return missing;
  for (const w of mastroWorkers) await w.stop();
  await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 0, 30_000, 'the mastro workers to detach');
  const procs = await startPbWorkers(join(root, 'pb-workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0', 'w1'], 'bench-pw');
  for (const w of procs) c.add(() => w.stop());
  await waitUntil(async () => (await master.request<number>('attachedWorkers')) === procs.length, 60_000, 'both PB buildbot-workers to attach');
  return driveChanges(c, master, changes, 16, seed + 1, procs.map((w) => w.child.pid!));
}

export const realWorkers: Scenario = {
  id: 1,
  name: 'throughput, real workers',
  engines: ['sqlite', 'postgresql'],
  quickPostgresql: true,
  async run(opts: BenchOptions) {
    const changes = opts.quick ? 50 : 500;
    const workers = 2;
    const maxBuilds = 4;
    return withScratchDir(join(opts.tmpDir, `s1-${dbOf(opts).engine}`), async (c, root) => {
      const config: BenchMasterConfig = {
        workerPrefix: 'w', workerCount: workers, password: 'bench-pw', maxBuilds, dbUrl: dbOf(opts).url,
        builders: [{ name: 'bench', command: ['true'] }], www: masterHasWww(), scheduler: true,
      };
      const master = await startMasterProc(writeBenchMaster(root, config), { tag: 's1-master' });
      c.add(() => master.stop());
      const procs = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0', 'w1'], 'bench-pw');
      for (const w of procs) c.add(() => w.stop());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === workers, 30_000, 'both workers to attach');
      // The limit right before and right after the run, averaged: a drift of the machine's speed during the run counts half on each side.
      const limitBefore = await spawnLimit({ processes: workers, concurrency: maxBuilds, count: changes });
      const run = await driveChanges(c, master, changes, 16, opts.seed, procs.map((w) => w.child.pid!));
      const limitAfter = await spawnLimit({ processes: workers, concurrency: maxBuilds, count: changes });
      const limit = (limitBefore.perSecond + limitAfter.perSecond) / 2;
      const pb = await pbWorkersRun(c, root, master, procs, changes, opts.seed);
      const pbRun = typeof pb === 'string' ? null : pb;
      const metrics: Metric[] = [
        { name: 'builds/s as a fraction of the same-run spawn limit', value: run.buildsPerSecond / limit, unit: 'of limit', target: { value: 0.85, better: 'higher' } },
        { name: 'master CPU per build', value: run.masterCpuMsPerBuild, unit: 'ms', better: 'lower' },
        { name: 'worker CPU per build (both workers)', value: run.workerCpuMsPerBuild, unit: 'ms', better: 'lower' },
        { name: 'spawn limit: CPU per spawn of `true` (its processes)', value: (limitBefore.cpuMsPerSpawn + limitAfter.cpuMsPerSpawn) / 2, unit: 'ms', better: 'lower' },
        { name: 'builds/s', value: run.buildsPerSecond, unit: 'builds/s', better: 'higher', buildbotRatioTarget: 50 },
        { name: `spawn limit: \`true\` from ${workers} processes x ${maxBuilds}`, value: limit, unit: 'spawns/s', better: 'higher' },
        { name: 'master peak RSS', value: run.peakRssMiB, unit: 'MiB', better: 'lower' },
        { name: 'builds/s, 2 PB buildbot-workers instead', value: pbRun?.buildsPerSecond ?? null, unit: 'builds/s', better: 'higher' },
        { name: 'builds/s, PB buildbot-workers as a fraction of the mastro workers\' (msgpack)', value: pbRun ? pbRun.buildsPerSecond / run.buildsPerSecond : null, unit: 'of msgpack', better: 'higher' },
        { name: 'master CPU per build, PB buildbot-workers', value: pbRun?.masterCpuMsPerBuild ?? null, unit: 'ms', better: 'lower' },
        { name: 'worker CPU per build, PB buildbot-workers (both)', value: pbRun?.workerCpuMsPerBuild ?? null, unit: 'ms', better: 'lower' },
      ];
      return {
        metrics,
        params: {
          ...runParams(run, config, opts), workers: `${workers} mastro worker processes, maxBuilds ${maxBuilds} each`, concurrency: 16,
          spawnLimit: { before: limitBefore.perSecond, after: limitAfter.perSecond, spawns: limitBefore.spawns },
          pbWorkers: pbRun ? { workers: `${workers} Debian buildbot-worker 3.7 processes created without --protocol (PB), maxBuilds ${maxBuilds} each`, builds: pbRun.builds, seconds: Number(pbRun.seconds.toFixed(2)), results: pbRun.results } : { skipped: pb },
          ...(opts.vsBuildbot ? { buildbotChanges: bbThroughputChanges(opts) } : {}),
        },
        notes: [
          ...commonNotes(run),
          `spawn limit: ${changes} spawns of \`true\` from ${workers} Node processes, ${maxBuilds} at a time each, spawned as the worker spawns a command (pipes, own process group), measured right before and right after the run and averaged`,
          pbRun
            ? `PB rows: then the mastro workers are stopped and 2 Debian buildbot-worker processes created without --protocol (PB) attach to the same master on the same (shared) worker port under the same names, and ${changes} more changes run the same way`
            : `PB rows skipped: ${pb}`,
          ...(pbRun ? failedNote(pbRun) : []),
          ...(opts.vsBuildbot ? [`Buildbot side: ${bbThroughputChanges(opts)} changes, 2 buildbot-worker processes (max_builds 4), change POSTs to Buildbot's own change hook code`] : []),
          ...failedNote(run),
        ],
      };
    });
  },
  runBuildbot: buildbotThroughput,
};

export const simulatedWorkers: Scenario = {
  id: 2,
  name: 'throughput, simulated workers',
  engines: ['sqlite', 'postgresql'],
  async run(opts: BenchOptions) {
    const workerCount = opts.quick ? 20 : 200;
    const changes = opts.quick ? 200 : 2000;
    const concurrency = 64;
    return withScratchDir(join(opts.tmpDir, `s2-${dbOf(opts).engine}`), async (c, root) => {
      const config: BenchMasterConfig = {
        workerPrefix: 'sim', workerCount, password: 'bench-pw', maxBuilds: 1, dbUrl: dbOf(opts).url,
        builders: [{ name: 'bench', command: ['true'] }], www: masterHasWww(), scheduler: true,
      };
      const master = await startMasterProc(writeBenchMaster(root, config), { tag: 's2-master' });
      c.add(() => master.stop());
      const sims = await startSimWorkers({
        url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw',
        names: Array.from({ length: workerCount }, (_, i) => `sim${i}`),
      });
      c.add(() => sims.close());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === workerCount, 60_000, `${workerCount} simulated workers to attach`);
      const f0 = sims.frames;
      const run = await driveChanges(c, master, changes, concurrency, opts.seed);
      const f1 = sims.frames;
      const messages = f1.messages - f0.messages;
      const perBuild = messages / changes;
      const echo = await wsEchoLimit({ messages, connections: workerCount, concurrency, size: Math.max(1, Math.round((f1.bytes - f0.bytes) / messages)) });
      const limit = echo.messagesPerSecond / perBuild;
      return {
        metrics: [
          { name: 'builds/s as a fraction of the same-run WebSocket echo limit', value: run.buildsPerSecond / limit, unit: 'of limit', better: 'higher' },
          { name: 'master CPU per build', value: run.masterCpuMsPerBuild, unit: 'ms', target: { value: 0.5, better: 'lower' } },
          { name: 'builds/s', value: run.buildsPerSecond, unit: 'builds/s', better: 'higher' },
          { name: 'echo limit: the same messages echoed, as builds/s', value: limit, unit: 'builds/s', better: 'higher' },
          { name: 'WebSocket messages per build', value: perBuild, unit: 'messages', better: 'lower' },
          { name: 'master peak RSS', value: run.peakRssMiB, unit: 'MiB', better: 'lower' },
        ],
        params: {
          ...runParams(run, config, opts), workers: `${workerCount} simulated workers in the bench process, maxBuilds 1`, concurrency,
          echo: { messages: echo.messages, messagesPerSecond: echo.messagesPerSecond, bytesPerMessage: Math.round((f1.bytes - f0.bytes) / messages), serverCpuMsPerMessage: echo.serverCpuMsPerMessage },
        },
        notes: [
          ...commonNotes(run),
          'simulated workers answer every command with update rc 0 + complete, no process spawned; they share the 2 cores with the master',
          `echo limit: the ${messages} messages the run exchanged (both directions), of their mean size, echoed by a bare \`ws\` server in a child process over ${workerCount} connections with ${concurrency} round trips in flight, right after the run; divided by the messages per build`,
          ...failedNote(run),
        ],
      };
    });
  },
};
