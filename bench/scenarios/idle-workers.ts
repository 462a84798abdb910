/**
 * Scenario 5: many idle workers on one master (child process). N simulated workers (real WebSocket +
 * protocol connection each, in the bench process) connect with bounded concurrency; timed from the
 * first connection attempt until the master reports all N attached. Memory per worker is the
 * master's RSS growth after a forced GC on both sides of the attach, divided by N.
 *
 * Then, with all N attached and one builder listing them all, what a change and a build cost:
 * sequential change POSTs (the POST's own time, and POST -> build started) and a run of builds
 * (master CPU per build), against the same on a master with 2 workers. The ratios say whether
 * anything scales with the number of workers per change or per build.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions, Metric, Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster, type MasterProc } from '../support/master-proc.js';
import { configDeviations, type BenchMasterConfig } from '../support/configs.js';
import { cpuMsOf, mapLimit, waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startSimWorkers } from '../support/sim-workers.js';
import { benchChanges, httpChangeSink } from '../support/changes.js';
import { median } from '../stats.js';

interface Costs { postMs: number; postToStartedMs: number; cpuMsPerBuild: number; buildsPerSecond: number }

/** `posts` changes one at a time (each waits for its build to finish), then `builds` builds 16 at a time. */
async function changeAndBuildCosts(master: MasterProc, seed: number, posts: number, builds: number): Promise<Costs> {
  const sink = httpChangeSink(master.ready.httpPort!, 16);
  try {
    const post: number[] = [];
    const started: number[] = [];
    for (const [i, ch] of benchChanges(posts + 3, seed).entries()) {
      const before = await master.request<{ started: number; finished: number }>('counts');
      const t0 = performance.timeOrigin + performance.now();
      await sink.send(ch);
      const t1 = performance.timeOrigin + performance.now();
      const startedAt = await master.request<number>('waitStarted', { count: before.started + 1 });
      await master.request('waitFinished', { count: before.finished + 1 });
      if (i < 3) continue; // warm-up
      post.push(t1 - t0);
      started.push(startedAt - t0);
    }
    const { finished } = await master.request<{ finished: number }>('counts');
    const cpu0 = cpuMsOf(master.pid);
    const t0 = performance.now();
    const done = master.request('waitFinished', { count: finished + builds });
    await mapLimit(benchChanges(builds, seed + 1), 16, (ch) => sink.send(ch));
    await done;
    const seconds = (performance.now() - t0) / 1000;
    return { postMs: median(post)!, postToStartedMs: median(started)!, cpuMsPerBuild: (cpuMsOf(master.pid) - cpu0) / builds, buildsPerSecond: builds / seconds };
  } finally { sink.close(); }
}

async function workersMaster(root: string, n: number, connectConcurrency: number) {
  const config: BenchMasterConfig = {
    workerPrefix: 'idle', workerCount: n, password: 'bench-pw', maxBuilds: 1,
    builders: [{ name: 'bench', command: ['true'] }], www: true, scheduler: true,
  };
  const master = await startMasterProc(writeBenchMaster(root, config), { tag: `s5-master-${n}`, exposeGc: true, startTimeoutMs: 120_000 });
  return { master, config, connect: () => startSimWorkers({ url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw', connectConcurrency, names: Array.from({ length: n }, (_, i) => `idle${i}`) }) };
}

export const idleWorkers: Scenario = {
  id: 5,
  name: 'idle workers',
  async run(opts: BenchOptions) {
    const n = opts.quick ? 500 : 10_000;
    const posts = opts.quick ? 10 : 30;
    const builds = opts.quick ? 50 : 200;
    // The master and the bench each hold one socket per worker.
    const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    if (Number.isFinite(limit) && limit < n + 1000) {
      throw new Error(`open-file limit is ${limit}, below the ${n + 1000} this scenario needs; raise it (ulimit -n ${n + 1000}) and run again`);
    }
    // The same costs with 2 workers first, on a master of its own.
    const few = await withScratchDir(join(opts.tmpDir, 's5-two'), async (c, root) => {
      const { master, connect } = await workersMaster(root, 2, 2);
      c.add(() => master.stop());
      const sims = await connect();
      c.add(() => sims.close());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 2, 30_000, '2 workers to attach');
      return changeAndBuildCosts(master, opts.seed, posts, builds);
    });
    return withScratchDir(join(opts.tmpDir, 's5'), async (c, root) => {
      const { master, config, connect } = await workersMaster(root, n, 256);
      c.add(() => master.stop());
      const before = await master.request<{ rssKiB: number }>('gc');
      const t0 = performance.now();
      const simsP = connect();
      c.add(async () => (await simsP.catch(() => null))?.close());
      await simsP;
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === n, 120_000, `${n} workers to attach`, 10);
      const seconds = (performance.now() - t0) / 1000;
      const after = await master.request<{ rssKiB: number }>('gc');
      const perWorkerKiB = (after.rssKiB - before.rssKiB) / n;
      const many = await changeAndBuildCosts(master, opts.seed, posts, builds);
      const metrics: Metric[] = [
        { name: `change POST with ${n} workers over with 2 (medians)`, value: many.postMs / few.postMs, unit: 'ratio', target: { value: 2, better: 'lower' } },
        { name: `change POST -> build started with ${n} workers over with 2 (medians)`, value: many.postToStartedMs / few.postToStartedMs, unit: 'ratio', target: { value: 2, better: 'lower' } },
        { name: `master CPU per build with ${n} workers over with 2`, value: many.cpuMsPerBuild / few.cpuMsPerBuild, unit: 'ratio', target: { value: 2, better: 'lower' } },
        { name: 'master RSS per idle worker', value: perWorkerKiB * 1.024, unit: 'KB', target: { value: 10, better: 'lower' } },
        { name: 'all attached', value: seconds, unit: 's', target: { value: 5, better: 'lower' } },
        { name: `master CPU per build, ${n} workers`, value: many.cpuMsPerBuild, unit: 'ms', better: 'lower' },
        { name: 'master CPU per build, 2 workers', value: few.cpuMsPerBuild, unit: 'ms', better: 'lower' },
        { name: `change POST (median), ${n} workers`, value: many.postMs, unit: 'ms', better: 'lower' },
        { name: 'change POST (median), 2 workers', value: few.postMs, unit: 'ms', better: 'lower' },
        { name: `builds/s, ${n} workers`, value: many.buildsPerSecond, unit: 'builds/s', better: 'higher' },
        { name: 'builds/s, 2 workers', value: few.buildsPerSecond, unit: 'builds/s', better: 'higher' },
        { name: 'master RSS with all attached', value: after.rssKiB / 1024, unit: 'MiB', better: 'lower' },
      ];
      return {
        metrics,
        params: {
          workers: n, connectConcurrency: 256, rssBeforeMiB: Number((before.rssKiB / 1024).toFixed(1)), rssAfterMiB: Number((after.rssKiB / 1024).toFixed(1)),
          costs: { many, few }, posts, builds, configDeviations: configDeviations(config),
        },
        notes: [
          'simulated workers run in the bench process (one WebSocket + ProtocolConnection each); attach = get_worker_info, set_worker_settings, listdir, mkdir',
          'per-worker memory: (master VmRSS after - before) / N, each read after global.gc() in the master; KB = 1000 bytes',
          `costs: one builder listing every worker, an anyBranch scheduler; ${posts} change POSTs one at a time (after 3 warm-ups), each build finished before the next POST, then ${builds} builds 16 changes in flight; the same on a master with 2 workers`,
        ],
      };
    });
  },
};
