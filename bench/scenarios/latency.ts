/**
 * Scenario 3: latency on an idle master. The master runs IN the bench process so build events are
 * timestamped by subscribing to its event bus (`builds.*.new`, `builds.*.finished`) with no IPC hop;
 * one real mastro worker process runs the `true` step. Changes are sent one at a time, each after
 * the previous build finished; medians over N, after a few warm-up changes that are not counted.
 * The floor of "build complete" is one spawn of `true` by a worker: the same run measures its
 * median (support/limits.ts) and the target is on what the master adds to it. The master logs as
 * `mastro start`'s does (info, JSON lines into mastro.log through the master's own destination).
 */
import { join } from 'node:path';
import { closeSync, openSync } from 'node:fs';
import { pino } from 'pino';
import { dbOf, type BenchOptions, type Scenario } from '../types.js';
import { masterHasWww, writeBenchMaster } from '../support/master-proc.js';
import { benchChanges, httpChangeSink, type ChangeSink } from '../support/changes.js';
import { waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startWorkers } from '../support/mastro-workers.js';
import { median, percentile } from '../stats.js';
import { Master } from '../../packages/master/dist/master.js';
import { LogDestination } from '../../packages/master/dist/master/log-destination.js';
import { spawnCost } from '../support/limits.js';
import { bbLatencyChanges, buildbotLatency } from './buildbot-side.js';

const WARMUP = 3;

export const latency: Scenario = {
  id: 3,
  name: 'latency, idle master',
  engines: ['sqlite', 'postgresql'],
  quickPostgresql: true,
  async run(opts: BenchOptions) {
    const n = opts.quick ? 10 : 50;
    return withScratchDir(join(opts.tmpDir, `s3-${dbOf(opts).engine}`), async (c, root) => {
      const www = masterHasWww();
      const dir = writeBenchMaster(root, {
        workerPrefix: 'w', workerCount: 1, password: 'bench-pw', maxBuilds: 1, dbUrl: dbOf(opts).url,
        builders: [{ name: 'bench', command: ['true'] }], www, scheduler: true,
      });
      const logFd = openSync(join(dir, 'mastro.log'), 'a');
      c.add(() => closeSync(logFd));
      const master = await Master.start(dir, { logger: pino({ level: 'info' }, new LogDestination({ fd: logFd })), readyFile: false });
      c.add(() => master.stop({ graceMs: 0 }));
      const [worker] = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.workerPort}`, ['w0'], 'bench-pw');
      c.add(() => worker!.stop());
      await waitUntil(() => master.workers.workers.length === 1, 30_000, 'the worker to attach');

      let onNew: ((t: number) => void) | null = null;
      let onFinished: ((t: number) => void) | null = null;
      c.add(master.mq.subscribe(['builds', null, 'new'], () => onNew?.(performance.now())));
      c.add(master.mq.subscribe(['builds', null, 'finished'], () => onFinished?.(performance.now())));

      const sink: ChangeSink = www && master.httpPort ? httpChangeSink(master.httpPort, 1) : {
        method: 'in-process data.updates.addChange (the master has no HTTP layer yet, so the POST is not measured)',
        send: async (ch) => { await master.data.updates.addChange({ author: 'bench', comments: ch.comments, branch: ch.branch, revision: ch.revision, project: ch.project, repository: 'https://example.org/bench.git', files: ['README'] }); },
        close() {},
      };
      c.add(() => sink.close());
      const post: number[] = [];
      const started: number[] = [];
      const complete: number[] = [];
      for (const [i, ch] of benchChanges(n + WARMUP, opts.seed).entries()) {
        const gotNew = new Promise<number>((r) => { onNew = r; });
        const gotFinished = new Promise<number>((r) => { onFinished = r; });
        const t0 = performance.now();
        await sink.send(ch);
        const tPost = performance.now();
        const [tNew, tEnd] = await Promise.all([gotNew, gotFinished]);
        if (i < WARMUP) continue;
        post.push(tPost - t0);
        started.push(tNew - t0);
        complete.push(tEnd - t0);
      }
      const postMeasured = www && master.httpPort;
      // One spawn at a time from its own process, as the worker runs the step: the floor of a build's completion.
      const spawnMs = await spawnCost(Math.max(20, n));
      const completeMs = median(complete);
      return {
        metrics: [
          { name: 'change POST -> build complete, less one spawn of `true` (median)', value: completeMs == null ? null : completeMs - spawnMs, unit: 'ms', target: { value: 2, better: 'lower' } },
          { name: 'change POST -> build started (median)', value: median(started), unit: 'ms', target: { value: 5, better: 'lower' } },
          { name: 'change POST -> build complete (median)', value: completeMs, unit: 'ms', better: 'lower' },
          { name: 'same-run limit: one spawn of `true` (median)', value: spawnMs, unit: 'ms', better: 'lower' },
          { name: 'change POST itself (median)', value: postMeasured ? median(post) : null, unit: 'ms', target: { value: 2, better: 'lower' } },
          { name: 'build started p90', value: percentile(started, 90), unit: 'ms', better: 'lower' },
          { name: 'build complete p90', value: percentile(complete, 90), unit: 'ms', better: 'lower' },
        ],
        params: { engine: dbOf(opts).engine, changes: n, warmup: WARMUP, worker: '1 mastro worker process', delivery: sink.method, logging: 'info into mastro.log (the master\'s LogDestination), as mastro start' },
        notes: [
          'master in the bench process; timestamps from its event bus (builds.*.new / builds.*.finished), performance.now()',
          `changes delivered by ${sink.method}, one at a time after the previous build finished`,
          `spawn limit: the median of ${Math.max(20, n)} spawns of \`true\`, one at a time, from a Node process of its own (as the worker spawns a command), measured right after the run`,
          ...(opts.vsBuildbot ? [`Buildbot side: ${bbLatencyChanges(opts)} changes (+2 warm-up), 1 buildbot-worker; timestamps from its mq (builds.*.new/finished, time.time()) against the bench's POST time on the same clock`] : []),
        ],
      };
    });
  },
  runBuildbot: buildbotLatency,
};
