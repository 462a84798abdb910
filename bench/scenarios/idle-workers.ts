/**
 * Scenario 5: many idle workers on one master (child process). N simulated workers (real WebSocket +
 * protocol connection each, in the bench process) connect with bounded concurrency; timed from the
 * first connection attempt until the master reports all N attached. Memory per worker is the
 * master's RSS growth after a forced GC on both sides of the attach, divided by N.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startSimWorkers } from '../support/sim-workers.js';

export const idleWorkers: Scenario = {
  id: 5,
  name: 'idle workers',
  async run(opts: BenchOptions) {
    const n = opts.quick ? 500 : 10_000;
    // The master and the bench each hold one socket per worker.
    const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    if (Number.isFinite(limit) && limit < n + 1000) {
      throw new Error(`open-file limit is ${limit}, below the ${n + 1000} this scenario needs; raise it (ulimit -n ${n + 1000}) and run again`);
    }
    return withScratchDir(join(opts.tmpDir, 's5'), async (c, root) => {
      const dir = writeBenchMaster(root, {
        workerPrefix: 'idle', workerCount: n, password: 'bench-pw', maxBuilds: 1,
        builders: [{ name: 'bench', command: ['true'] }], www: false, scheduler: false,
      });
      const master = await startMasterProc(dir, { tag: 's5-master', exposeGc: true, startTimeoutMs: 120_000 });
      c.add(() => master.stop());
      const before = await master.request<{ rssKiB: number }>('gc');
      const t0 = performance.now();
      const simsP = startSimWorkers({
        url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw', connectConcurrency: 256,
        names: Array.from({ length: n }, (_, i) => `idle${i}`),
      });
      c.add(async () => (await simsP.catch(() => null))?.close());
      await simsP;
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === n, 120_000, `${n} workers to attach`, 10);
      const seconds = (performance.now() - t0) / 1000;
      const after = await master.request<{ rssKiB: number }>('gc');
      const perWorkerKiB = (after.rssKiB - before.rssKiB) / n;
      return {
        metrics: [
          { name: 'all attached', value: seconds, unit: 's', target: { value: 10, better: 'lower' } },
          { name: 'master RSS per idle worker', value: perWorkerKiB * 1.024, unit: 'KB', target: { value: 20, better: 'lower' } },
          { name: 'master RSS with all attached', value: after.rssKiB / 1024, unit: 'MiB', better: 'lower' },
        ],
        params: { workers: n, connectConcurrency: 256, rssBeforeMiB: Number((before.rssKiB / 1024).toFixed(1)), rssAfterMiB: Number((after.rssKiB / 1024).toFixed(1)) },
        notes: [
          'simulated workers run in the bench process (one WebSocket + ProtocolConnection each); attach = get_worker_info, set_worker_settings, listdir, mkdir',
          'per-worker memory: (master VmRSS after - before) / N, each read after global.gc() in the master; KB = 1000 bytes',
        ],
      };
    });
  },
};
