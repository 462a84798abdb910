/**
 * Scenario 8: what a build host pays for the mastro worker. Installed size = the worker's and the
 * protocol's dist plus every runtime package they pull from node_modules (dependencies and the
 * optional dependencies actually installed, transitively). Idle RSS = the worker process (and
 * anything it spawned) after attaching. Start-to-attached = `mastro-worker start --foreground`
 * spawned -> the master reports it attached, median of 5 fresh starts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { treeRssKiB, waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { createWorkerDir, startWorkerProc } from '../support/mastro-workers.js';
import { median } from '../stats.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const STARTS = 5;

/** Runtime packages the worker needs from node_modules, found by walking package.json files. */
export function workerRuntimePackages(): string[] {
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const pkg of ['packages/worker', 'packages/protocol']) {
    const json = JSON.parse(readFileSync(join(repoRoot, pkg, 'package.json'), 'utf8'));
    queue.push(...Object.keys({ ...json.dependencies, ...json.optionalDependencies }));
  }
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name) || name === 'mastro-protocol') continue;
    const dir = join(repoRoot, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) continue; // an optional dependency for another platform
    seen.add(name);
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    queue.push(...Object.keys({ ...json.dependencies, ...json.optionalDependencies }));
  }
  return [...seen].sort();
}

function duKiB(paths: string[]): number {
  const out = execFileSync('du', ['-sk', '-c', '-L', ...paths], { encoding: 'utf8' });
  return Number(/^(\d+)\s+total$/m.exec(out)?.[1] ?? NaN);
}

export const workerFootprint: Scenario = {
  id: 8,
  name: 'worker footprint',
  async run(opts: BenchOptions) {
    const packages = workerRuntimePackages();
    const paths = ['packages/worker/dist', 'packages/protocol/dist', 'packages/worker/package.json', 'packages/protocol/package.json', ...packages.map((p) => `node_modules/${p}`)]
      .map((p) => join(repoRoot, p));
    const sizeMiB = duKiB(paths) / 1024;
    return withScratchDir(join(opts.tmpDir, 's8'), async (c, root) => {
      const dir = writeBenchMaster(root, {
        workerPrefix: 'w', workerCount: 1, password: 'bench-pw', maxBuilds: 1,
        builders: [{ name: 'bench', command: ['true'] }], www: false, scheduler: false,
      });
      const master = await startMasterProc(dir, { tag: 's8-master' });
      c.add(() => master.stop());
      const workerDir = join(root, 'w0');
      await createWorkerDir(workerDir, `127.0.0.1:${master.ready.workerPort}`, 'w0', 'bench-pw');
      const startTimes: number[] = [];
      let idleRssKiB = NaN;
      for (let i = 0; i < STARTS; i++) {
        const w = startWorkerProc(workerDir, 'w0');
        c.add(() => w.stop());
        await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 1, 30_000, 'the worker to attach', 2);
        startTimes.push(performance.timeOrigin + performance.now() - w.spawnedAt);
        if (i === STARTS - 1) {
          await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage settle before reading idle memory
          idleRssKiB = treeRssKiB(w.child.pid!);
        }
        await w.stop();
        await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 0, 30_000, 'the worker to detach', 5);
      }
      return {
        metrics: [
          { name: 'installed size (worker + runtime deps)', value: sizeMiB, unit: 'MiB', better: 'lower' },
          { name: 'idle RSS after attach', value: idleRssKiB / 1024, unit: 'MiB', better: 'lower' },
          { name: `start -> attached (median of ${STARTS})`, value: median(startTimes), unit: 'ms', better: 'lower' },
        ],
        params: { runtimePackages: packages, starts: STARTS, startTimesMs: startTimes.map((t) => Math.round(t)) },
        notes: [
          'size: du -sk -L of packages/{worker,protocol}/dist + package.json files + the node_modules packages listed (Node itself not counted)',
          'attach seen from the master side (its list of attached workers, polled every 2 ms over IPC)',
        ],
      };
    });
  },
};
