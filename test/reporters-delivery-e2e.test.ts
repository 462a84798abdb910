/**
 * Durable, non-blocking report delivery end to end: a real master process, mastro-worker, and
 * real HTTP receivers on loopback for httpStatusPush.
 * - The endpoint is down (nothing listens) while builds run, then comes up: every report arrives
 *   once, and each build's start report before its end report.
 * - The master is SIGKILLed after a build's row says complete and before its report was delivered:
 *   the report is delivered after the restart.
 * - One reporter's endpoint hangs (reads requests, never answers): the builds finish and the other
 *   reporter gets every report meanwhile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TestEnv, freePort, waitUntil } from './support/master-harness.js';
import { Standin } from '../packages/master/test/support/standins/http-standin.js';

/** A JSON receiver on a fixed loopback port, started when the test says (until then: connection refused). */
class Receiver {
  readonly docs: Array<{ id: string; doc: any }> = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  get url(): string { return `http://127.0.0.1:${this.port}/status`; }

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        this.docs.push({ id: String(req.headers['x-mastro-report']), doc: JSON.parse(Buffer.concat(parts).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    this.server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }
}

function config(o: { workerPort: number; reporters: string[]; builders?: number }): string {
  const builders = Array.from({ length: o.builders ?? 1 }, (_, i) => `b${i}`);
  return `import { defineConfig, worker, builder, steps, reporters, generators } from 'mastro';
export default defineConfig({
  title: 'E2E CI',
  buildbotURL: 'http://ci.example.org/',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${o.workerPort} } },
  www: null,
  workers: [worker('w0', 'pass', { maxBuilds: 4 })],
  builders: [${builders.map((b) => `builder({ name: '${b}', workerNames: ['w0'], collapseRequests: false, steps: [steps.shell({ command: ['true'] })] })`).join(', ')}],
  reporters: [${o.reporters.join(', ')}],
  reportDelivery: { retryInitialDelay: 0.2, retryMaxDelay: 0.5, attemptTimeout: 2 },
});
`;
}

const push = (name: string, url: string) => `reporters.httpStatusPush({ name: '${name}', url: '${url}', generators: [generators.buildStartEnd()] })`;

describe('report delivery with a real master', () => {
  it('an endpoint down for a while, then up: every report arrives once, each start before its end', async () => {
    const env = new TestEnv();
    const receiver = new Receiver(await freePort());
    try {
      const port = await freePort();
      env.writeConfig(config({ workerPort: port, reporters: [push('status', receiver.url)], builders: 2 }));
      const master = await env.startMaster();
      env.startWorker('w0', port);
      const brids: number[] = [];
      for (let i = 0; i < 6; i++) brids.push(...Object.values((await master.submit([`b${i % 2}`])).brids));
      await waitUntil(async () => {
        const done = await Promise.all(brids.map(async (id) => (await master.get(['buildrequests', id]))[0]?.complete));
        return done.every(Boolean);
      }, 'the 6 builds to finish while the endpoint is down', 60_000);
      const [failing] = await waitUntil(async () => {
        const r = await master.get(['reporters']);
        return r[0]?.failing > 0 ? r : null;
      }, 'the reporter to show failing deliveries');
      assert.equal(failing.delivered, 0);
      assert.match(failing.last_error, /connection refused|ECONNREFUSED/i);
      assert.ok(!/undefined/.test(failing.last_error));

      await receiver.start();
      await waitUntil(async () => (await master.get(['reporters']))[0]?.delivered === 12, 'all 12 reports delivered once the endpoint is up', 60_000);
      assert.equal(receiver.docs.length, 12, 'each report arrived once');
      assert.equal(new Set(receiver.docs.map((d) => d.id)).size, 12);
      const builds = await master.get(['builds']);
      for (const b of builds) {
        const forBuild = receiver.docs.filter((d) => d.doc.buildid === b.buildid);
        assert.deepEqual(forBuild.map((d) => d.doc.complete), [false, true], `build ${b.buildid}: its start report, then its end report`);
        assert.equal(forBuild[1]!.doc.results, 0);
      }
      // Per builder, the reports keep the order of the events.
      for (const builderid of new Set(builds.map((b) => b.builderid))) {
        const seq = receiver.docs.filter((d) => d.doc.builderid === builderid).map((d) => `${d.doc.number}:${d.doc.complete ? 'end' : 'start'}`);
        const numbers = [...new Set(seq.map((s) => Number(s.split(':')[0])))];
        assert.deepEqual(seq, numbers.sort((x, y) => x - y).flatMap((n) => [`${n}:start`, `${n}:end`]), `builder ${builderid}`);
      }
      const [st] = await master.get(['reporters']);
      assert.equal(st.pending, 0);
      assert.equal(st.failed, 0);
    } finally {
      await env.cleanup();
      await receiver.close();
    }
  });

  it('the master SIGKILLed between the build end and the delivery delivers the report after the restart', async () => {
    const env = new TestEnv();
    const receiver = new Receiver(await freePort());
    try {
      const port = await freePort();
      env.writeConfig(config({ workerPort: port, reporters: [push('status', receiver.url)] }));
      let master = await env.startMaster();
      env.startWorker('w0', port);
      const { brids } = await master.submit(['b0']);
      const brid = Object.values(brids)[0]!;
      await waitUntil(async () => (await master.get(['buildrequests', brid]))[0]?.complete, 'the build to finish');
      const [build] = await master.get(['builds']);
      assert.equal(build.complete, true);
      assert.equal((await master.get(['reporters']))[0].delivered, 0, 'nothing delivered yet: the endpoint is down');
      await master.kill('SIGKILL');

      await receiver.start();
      master = await env.startMaster();
      await waitUntil(() => receiver.docs.length >= 2, 'the reports delivered after the restart', 60_000);
      assert.deepEqual(receiver.docs.map((d) => [d.doc.buildid, d.doc.complete]), [[build.buildid, false], [build.buildid, true]]);
      assert.equal(receiver.docs[1]!.doc.results, 0);
      await waitUntil(async () => (await master.get(['reporters']))[0]?.delivered === 2, 'both counted as delivered');
    } finally {
      await env.cleanup();
      await receiver.close();
    }
  });

  it('a reporter whose endpoint hangs delays neither the builds nor the other reporter', async () => {
    const env = new TestEnv();
    const hung = await Standin.start({
      name: 'hung', handle: () => ({ status: 200, body: {} }), serverError: (s) => ({ status: s }), rateLimited: () => ({ status: 429 }),
    });
    hung.hang(true);
    const receiver = new Receiver(await freePort());
    await receiver.start();
    try {
      const port = await freePort();
      env.writeConfig(config({ workerPort: port, reporters: [push('hung', `${hung.url}/status`), push('ok', receiver.url)], builders: 3 }));
      const master = await env.startMaster();
      env.startWorker('w0', port);
      const brids: number[] = [];
      for (let i = 0; i < 9; i++) brids.push(...Object.values((await master.submit([`b${i % 3}`])).brids));
      await waitUntil(async () => (await Promise.all(brids.map(async (id) => (await master.get(['buildrequests', id]))[0]?.complete))).every(Boolean), 'all 9 builds to finish', 60_000);
      await waitUntil(() => receiver.docs.length === 18, 'every report of the other reporter', 60_000);
      const status = Object.fromEntries((await master.get(['reporters'])).map((r) => [r.name, r]));
      assert.equal(status.hung.delivered, 0, 'the hung endpoint answered nothing');
      assert.ok(status.hung.pending > 0);
      assert.ok(hung.received.length > 0, 'the hung endpoint was reached');
      assert.ok(status.hung.in_flight <= 4, `at most its concurrency in flight (${status.hung.in_flight})`);
    } finally {
      await env.cleanup();
      await receiver.close();
      await hung.close();
    }
  });
});
