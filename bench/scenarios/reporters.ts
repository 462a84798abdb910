/**
 * Scenario 9: builds per second with reporters, against the same run without. Scenario 1's setup
 * (master child, 2 mastro-worker processes with maxBuilds 4, one `true` step, 500 changes; quick 50)
 * run three times in one scenario: with no reporters; with the two reporters whose endpoints answer;
 * with those two and a third pointing at an endpoint that accepts connections and never answers (its
 * attempts time out and are retried while the builds run). The second and third runs differ only by
 * the hung endpoint: their ratio is what it costs the builds. The answering endpoints count what
 * they receive: how many reports had arrived when the last build finished, and when the last did.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { masterHasWww, startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { withScratchDir, type Cleanup } from '../support/cleanup.js';
import { startWorkers } from '../support/mastro-workers.js';
import { waitUntil } from '../support/proc.js';
import { driveChanges, type Run } from './throughput.js';

const now = () => performance.timeOrigin + performance.now();

interface Endpoint { url: string; received: number; lastAt: number; close(): Promise<void> }

/** A loopback HTTP endpoint: `answer` false reads requests and never replies (a hung service). */
async function endpoint(answer: boolean): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const e = { received: 0, lastAt: 0 } as Endpoint;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!answer) return;
      e.received++;
      e.lastAt = now();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  e.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
  e.close = () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  return e;
}

async function run(c: Cleanup, root: string, changes: number, seed: number, extra?: string): Promise<Run> {
  const dir = writeBenchMaster(root, {
    workerPrefix: 'w', workerCount: 2, password: 'bench-pw', maxBuilds: 4,
    builders: [{ name: 'bench', command: ['true'] }], www: masterHasWww(), scheduler: true, ...(extra ? { extra } : {}),
  });
  const master = await startMasterProc(dir, { tag: `s9-master${extra ? '-reporters' : ''}` });
  c.add(() => master.stop());
  const workers = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0', 'w1'], 'bench-pw');
  for (const w of workers) c.add(() => w.stop());
  await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 2, 30_000, 'both workers to attach');
  return driveChanges(c, master, changes, 16, seed);
}

export const reporters: Scenario = {
  id: 9,
  name: 'throughput with reporters',
  async run(opts: BenchOptions) {
    const changes = opts.quick ? 50 : 500;
    const plain = await withScratchDir(join(opts.tmpDir, 's9-plain'), (c, root) => run(c, root, changes, opts.seed));
    const answering = (a: Endpoint, b: Endpoint) => `reporters.httpStatusPush({ name: 'status', url: '${a.url}', generators: [generators.buildStartEnd()] }),
    reporters.httpStatusPush({ name: 'results', url: '${b.url}', generators: [generators.buildStatus({ mode: 'all' })] }),`;
    const healthy = await withScratchDir(join(opts.tmpDir, 's9-healthy'), async (c, root) => {
      const a = await endpoint(true);
      const b = await endpoint(true);
      c.add(() => Promise.all([a.close(), b.close()]));
      return run(c, root, changes, opts.seed, `reporters: [\n    ${answering(a, b)}\n  ]`);
    });
    return withScratchDir(join(opts.tmpDir, 's9-reporters'), async (c, root) => {
      const hung = await endpoint(false);
      const a = await endpoint(true);
      const b = await endpoint(true);
      c.add(() => Promise.all([hung.close(), a.close(), b.close()]));
      const extra = `reporters: [
    reporters.httpStatusPush({ name: 'hung', url: '${hung.url}', timeoutMs: 5000, generators: [generators.buildStartEnd()] }),
    ${answering(a, b)}
  ]`;
      const withReporters = await run(c, root, changes, opts.seed, extra);
      const atLastBuild = a.received + b.received;
      const expected = changes * 3; // start + end for 'status', end for 'results'
      const finishedAt = now();
      await waitUntil(() => a.received + b.received >= expected, 120_000, `all ${expected} reports at the answering endpoints`);
      const lastReport = Math.max(a.lastAt, b.lastAt);
      return {
        metrics: [
          { name: 'builds/s, no reporters', value: plain.buildsPerSecond, unit: 'builds/s', better: 'higher' },
          { name: 'builds/s, 2 reporters', value: healthy.buildsPerSecond, unit: 'builds/s', better: 'higher' },
          { name: 'builds/s, 3 reporters (1 hung)', value: withReporters.buildsPerSecond, unit: 'builds/s', better: 'higher' },
          { name: '3 reporters (1 hung) / none', value: withReporters.buildsPerSecond / plain.buildsPerSecond, unit: 'x', better: 'higher' },
          { name: '3 reporters (1 hung) / 2 reporters', value: withReporters.buildsPerSecond / healthy.buildsPerSecond, unit: 'x', better: 'higher' },
          { name: 'master CPU per build, no reporters', value: plain.masterCpuMsPerBuild, unit: 'ms', better: 'lower' },
          { name: 'master CPU per build, 3 reporters', value: withReporters.masterCpuMsPerBuild, unit: 'ms', better: 'lower' },
          { name: 'reports delivered by the last build', value: atLastBuild / expected, unit: 'share', better: 'higher' },
          { name: 'last report after the last build', value: Math.max(0, lastReport - finishedAt) / 1000, unit: 's', better: 'lower' },
        ],
        params: { builds: changes, workers: '2 mastro worker processes, maxBuilds 4 each', reporters: 'httpStatusPush x3 (buildStartEnd to a hung endpoint and to an answering one, buildStatus all to another)', resultsWithout: plain.results, resultsHealthy: healthy.results, resultsWith: withReporters.results },
        notes: [
          'the three runs in this scenario, one after the other, on fresh master directories; the 2-reporter run has the same reporters as the 3-reporter one without the hung endpoint',
          `the hung endpoint accepts connections and never answers: its attempts time out (5 s) and are retried; ${expected} reports reached the answering endpoints`,
        ],
      };
    });
  },
};
