/**
 * Scenario 6: a deep queue survives a restart. N build requests are created through the data API
 * on a master with no worker attached; the master is stopped and started again (a new child
 * process), and simulated workers connect the moment it is ready. Measured: process start -> first
 * build started, and process start -> all N builds finished, for N and N/10 (the ratio shows
 * whether the queue scales linearly).
 */
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startSimWorkers } from '../support/sim-workers.js';

const WORKERS = 50;

interface QueueRun { seedSeconds: number; startToReadyMs: number; startToFirstBuildMs: number; totalSeconds: number; drainSeconds: number }

async function queueRun(root: string, n: number): Promise<QueueRun> {
  return withScratchDir(root, async (c) => {
    const dir = writeBenchMaster(root, {
      workerPrefix: 'q', workerCount: WORKERS, password: 'bench-pw', maxBuilds: 1,
      builders: [{ name: 'bench', command: ['true'] }], www: false, scheduler: false,
    });
    const first = await startMasterProc(dir, { tag: 's6-seed' });
    const s0 = performance.now();
    try {
      await first.request('seedBuildsets', { builder: 'bench', n });
    } finally {
      await first.stop();
    }
    const seedSeconds = (performance.now() - s0) / 1000;

    const master = await startMasterProc(dir, { tag: `s6-restart-${n}` });
    c.add(() => master.stop());
    const sims = await startSimWorkers({
      url: `ws://127.0.0.1:${master.ready.workerPort}`, password: 'bench-pw',
      names: Array.from({ length: WORKERS }, (_, i) => `q${i}`),
    });
    c.add(() => sims.close());
    const lastAt = await master.request<number>('waitFinished', { count: n });
    const counts = await master.request<{ firstStartedAt: number; spawnedAt: number; results: Record<string, number> }>('counts');
    if (counts.results['0'] !== n) throw new Error(`expected ${n} successful builds after the restart, got ${JSON.stringify(counts.results)}`);
    return {
      seedSeconds,
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
  async run(opts: BenchOptions) {
    const big = opts.quick ? 1000 : 10_000;
    const small = big / 10;
    const r1 = await queueRun(join(opts.tmpDir, 's6-small'), small);
    const r2 = await queueRun(join(opts.tmpDir, 's6-big'), big);
    return {
      metrics: [
        { name: `start -> first build started (${big} queued)`, value: r2.startToFirstBuildMs / 1000, unit: 's', target: { value: 2, better: 'lower' } },
        { name: `drain time ${big} / ${small}`, value: r2.drainSeconds / r1.drainSeconds, unit: 'ratio', target: { value: 12, better: 'lower' } },
        { name: `start -> all ${big} finished`, value: r2.totalSeconds, unit: 's', better: 'lower' },
        { name: `start -> all ${small} finished`, value: r1.totalSeconds, unit: 's', better: 'lower' },
        { name: `start -> ready (${big} queued)`, value: r2.startToReadyMs / 1000, unit: 's', better: 'lower' },
      ],
      params: {
        queued: [small, big], workers: `${WORKERS} simulated workers, maxBuilds 1, connecting when the master is ready`,
        seedSeconds: [Number(r1.seedSeconds.toFixed(2)), Number(r2.seedSeconds.toFixed(2))],
      },
      notes: [
        'requests created with data.updates.addBuildset (one buildset each) over IPC on a master without workers, then the master process is restarted',
        '"start" = the restarted master process spawned (Node start-up and tsx loader included)',
        'drain time = first build started -> last build finished (start-up excluded, so the ratio shows how dispatch scales with queue depth)',
      ],
    };
  },
};
