/**
 * Scenario 12: request to build start on a Docker latent worker (issue 13), cold and warm. A real
 * master (child process, compiled, as `mastro start` runs it) with a latent pool on the local Docker
 * engine; the image is the one the latent.docker tests build (test/support/docker-image.ts: this
 * machine's node and the compiled worker, nothing pulled), containers on the host network.
 *  - cold: `latentPool({ max: 1, min: 0, idleTimeout: 0 })`: each request waits for a container to
 *    be created and started and for its worker to attach; the container is gone before the next one;
 *  - warm: `latentPool({ max: 1, min: 1 })`: the instance the pool keeps running takes the request.
 * Timed in the bench process from the request being queued (before the data-API call that writes it)
 * to the master's `builds.*.new` for it, sequentially, median of N.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchOptions, Metric, Scenario } from '../types.js';
import { startMasterProc, writeMasterDir, type MasterProc } from '../support/master-proc.js';
import { waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { median } from '../stats.js';
import { buildWorkerImage, containersWithLabels, dockerUnavailable, removeContainers, removeImage, workerImageTag } from '../../test/support/docker-image.js';


function configSource(image: string, masterName: string, warm: boolean): string {
  return `// Written by the mastro benchmark (bench/scenarios/latent-start.ts).
import { defineConfig, latent, latentPool, builder, steps } from 'mastro';
export default defineConfig({
  title: 'mastro bench: latent start',
  masterName: ${JSON.stringify(masterName)},
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: null,
  workers: [latentPool({
    name: 'dock', max: 1, min: ${warm ? 1 : 0}, idleTimeout: ${warm ? 'null' : 0}, tags: ['docker'],
    provider: latent.docker({ image: ${JSON.stringify(image)}, network: 'host', masterAddress: '127.0.0.1', stopTimeout: 1 }),
  })],
  builders: [builder({ name: 'b', workerTags: ['docker'], collapseRequests: false, steps: [steps.shell({ command: ['true'] })] })],
});
`;
}

const nowMs = () => performance.timeOrigin + performance.now();

/** Queues one request and resolves with the seconds until its build started. */
async function requestToStart(master: MasterProc, nth: number): Promise<number> {
  const t0 = nowMs();
  await master.request('seedBuildsets', { builder: 'b', n: 1 });
  const startedAt = await master.request<number>('waitStarted', { count: nth });
  await master.request('waitFinished', { count: nth });
  return (startedAt - t0) / 1000;
}

async function run(opts: BenchOptions, image: string, warm: boolean, n: number): Promise<number[]> {
  const masterName = `bench-latent-${warm ? 'warm' : 'cold'}-${randomBytes(3).toString('hex')}`;
  const mine = () => containersWithLabels({ 'org.mastro.master': masterName });
  return withScratchDir(join(opts.tmpDir, `s12-${warm ? 'warm' : 'cold'}`), async (c, root) => {
    c.add(async () => removeContainers(mine()));
    const master = await startMasterProc(writeMasterDir(join(root, 'master'), configSource(image, masterName, warm)), { tag: `s12-${warm ? 'warm' : 'cold'}-master`, startTimeoutMs: 120_000 });
    c.add(() => master.stop());
    if (warm) await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 1, 120_000, 'the warm instance to attach', 20);
    const times: number[] = [];
    for (let i = 1; i <= n; i++) {
      times.push(await requestToStart(master, i));
      // Cold: the next request must find no container (idleTimeout 0 removes it once the build is done).
      if (!warm) await waitUntil(() => mine().length === 0, 120_000, 'the container to be removed', 20);
    }
    return times;
  });
}

export const latentStart: Scenario = {
  id: 12,
  name: 'latent start (Docker)',
  async run(opts: BenchOptions) {
    const n = opts.quick ? 2 : 7;
    const unavailable = dockerUnavailable();
    const names = { cold: 'request -> build start, cold Docker latent worker (median)', warm: 'request -> build start, warm latent pool instance (min: 1, median)' };
    if (unavailable) {
      const metrics: Metric[] = [{ name: names.cold, value: null, unit: 's', better: 'lower' }, { name: names.warm, value: null, unit: 's', better: 'lower' }];
      return { metrics, params: { requests: n }, notes: [`skipped: ${unavailable}`] };
    }
    const image = workerImageTag('mastro-bench-worker');
    buildWorkerImage(image);
    let cold: number[];
    let warm: number[];
    try {
      cold = await run(opts, image, false, n);
      warm = await run(opts, image, true, n);
    } finally {
      removeImage(image);
    }
    const coldMedian = median(cold);
    const warmMedian = median(warm);
    return {
      metrics: [
        { name: names.cold, value: coldMedian, unit: 's', better: 'lower' },
        { name: names.warm, value: warmMedian, unit: 's', better: 'lower' },
        { name: 'cold / warm', value: coldMedian !== null && warmMedian ? coldMedian / warmMedian : null, unit: 'x', better: 'lower' },
      ],
      params: { requests: n, cold: cold.map((s) => Number(s.toFixed(3))), warm: warm.map((s) => Number(s.toFixed(3))) },
      notes: [
        'cold: latentPool max 1, min 0, idleTimeout 0 (the container is removed before the next request); the time includes image inspect, container create and start, the worker process starting in it, its attach (get_worker_info, set_worker_settings, builder directories) and the claim',
        'warm: latentPool max 1, min 1: the instance kept running takes the request (claim and build start only)',
        'containers use the host network; the image is built locally from this machine\'s node and the compiled worker (test/support/docker-image.ts)',
      ],
    };
  },
};
