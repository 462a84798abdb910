/**
 * Scenario 10: a fleet joining a worker pool at once (issue 13). N simulated workers (real
 * WebSocket + protocol connection each, in the bench process, as in scenario 5) all open their
 * connection at the same moment with the pool's token and `X-Mastro-Pool`, report `os=linux`, and
 * are selected by a builder's `workerTags` (so each attach also computes its tags, its builder list
 * and creates that builder's directory). Timed from the first connection attempt until the master
 * reports all N attached. The same run attaches N named workers the same way, so the pool's cost
 * is read as a ratio that holds on a shared machine.
 */
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { startMasterProc, writeMasterDir } from '../support/master-proc.js';
import { waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startSimWorkers } from '../support/sim-workers.js';

const TOKEN = 'bench-pool-token-0123456789abcdef';

function configSource(kind: 'pool' | 'named', n: number): string {
  const workers = kind === 'pool'
    ? `[workerPool({ name: 'fleet', token: ${JSON.stringify(TOKEN)}, maxWorkers: ${n} })]`
    : `Array.from({ length: ${n} }, (_, i) => worker('named' + i, ${JSON.stringify(TOKEN)}))`;
  const selection = kind === 'pool' ? "workerTags: ['os=linux']" : `workerNames: Array.from({ length: ${n} }, (_, i) => 'named' + i)`;
  return `// Written by the mastro benchmark (bench/scenarios/pool-attach.ts).
import { defineConfig, worker, workerPool, builder, steps } from 'mastro';
export default defineConfig({
  title: 'mastro bench: pool attach',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: ${n + 1000} } },
  www: null,
  workers: ${workers},
  builders: [builder({ name: 'linux', ${selection}, collapseRequests: false, steps: [steps.shell({ command: ['true'] })] })],
});
`;
}

async function attachAll(opts: BenchOptions, kind: 'pool' | 'named', n: number): Promise<number> {
  return withScratchDir(join(opts.tmpDir, `s10-${kind}`), async (c, root) => {
    const dir = writeMasterDir(join(root, 'master'), configSource(kind, n));
    const master = await startMasterProc(dir, { tag: `s10-${kind}-master`, startTimeoutMs: 120_000 });
    c.add(() => master.stop());
    const t0 = performance.now();
    const simsP = startSimWorkers({
      url: `ws://127.0.0.1:${master.ready.workerPort}`, password: TOKEN, connectConcurrency: n,
      names: Array.from({ length: n }, (_, i) => (kind === 'pool' ? `host${i}` : `named${i}`)),
      ...(kind === 'pool' ? { pool: 'fleet' } : {}),
      info: { os: 'linux', arch: 'x64' },
    });
    c.add(async () => (await simsP.catch(() => null))?.close());
    await simsP;
    await waitUntil(async () => (await master.request<number>('attachedWorkers')) === n, 120_000, `${n} ${kind} workers to attach`, 10);
    return (performance.now() - t0) / 1000;
  });
}

export const poolAttach: Scenario = {
  id: 10,
  name: 'pool attach',
  async run(opts: BenchOptions) {
    const n = opts.quick ? 100 : 500;
    const pool = await attachAll(opts, 'pool', n);
    const named = await attachAll(opts, 'named', n);
    return {
      metrics: [
        { name: `${n} pool workers attached at once`, value: pool, unit: 's', better: 'lower' },
        { name: `${n} named workers attached at once (same run)`, value: named, unit: 's', better: 'lower' },
        { name: 'pool / named attach time', value: pool / named, unit: 'x', better: 'lower' },
      ],
      params: { workers: n, connectConcurrency: n },
      notes: [
        'simulated workers in the bench process, all connecting at once; attach = upgrade (token check, place in the pool), get_worker_info, set_worker_settings, listdir, mkdir of the tag-selected builder',
        'the pool master selects its builder by workerTags [os=linux]; the named master lists all N workers in workerNames',
      ],
    };
  },
};
