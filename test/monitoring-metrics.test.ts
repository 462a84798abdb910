/**
 * GET /metrics of a real master process with a real mastro-worker: the text parses as Prometheus'
 * exposition format (a strict reader here, and Debian's `promtool check metrics` when installed),
 * and the counters move with the builds that run: builds by result, their durations, log bytes,
 * pending requests, connected workers, queued reports and database query times, beside the default
 * process metrics and the event-loop lag. Served on the web port and on `monitoring.port`, and
 * behind a login when anonymous viewing is off.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestEnv, WORKER_CLI, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';
import { parsePrometheusText, promtoolCheck, sampleValue, type Family } from './support/prom-text.js';

const MASTER_CLI = join(ROOT, 'packages/master/dist/cli.js');

function config(o: { reporterPort: number; anonymousView: boolean }): string {
  return `import { defineConfig, worker, builder, steps, reporters, generators } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1', authz: { anonymousView: ${o.anonymousView} } },
  monitoring: { port: 0, host: '127.0.0.1' },
  workers: [worker('w0', 'pass'), worker('w9', 'pass')],
  reporters: [reporters.httpStatusPush({ url: 'http://127.0.0.1:${o.reporterPort}/nobody-listens', generators: [generators.buildStatus({ builders: ['pass'] })] })],
  builders: [
    builder({ name: 'pass', workerNames: ['w0'], collapseRequests: false, steps: [steps.shell({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i of the passing build; done'] })] }),
    builder({ name: 'fail', workerNames: ['w0'], collapseRequests: false, steps: [steps.shell({ command: ['sh', '-c', 'echo failing; exit 3'] })] }),
    builder({ name: 'offline', workerNames: ['w9'], steps: [steps.shell({ command: ['true'] })] }),
  ],
});
`;
}

async function scrape(port: number, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

async function metrics(port: number, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const r = await scrape(port, headers);
  assert.equal(r.status, 200, r.text);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(r.text);
  const lint = promtoolCheck(r.text);
  assert.ok(lint === null || lint === undefined, `promtool check metrics: ${lint}`);
  return families;
}

async function finished(master: MasterProcess, brid: number): Promise<any> {
  return waitUntil(async () => {
    const [req] = await master.get(['buildrequests', brid]);
    if (!req?.complete) return null;
    const builds = await master.get(['buildrequests', brid, 'builds']);
    return builds[0];
  }, `build request ${brid} to finish`, 60_000);
}

describe('GET /metrics of a running master', { timeout: 180_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    env.writeConfig(config({ reporterPort: await freePort(), anonymousView: true }));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(async () => (await master.get(['workers'])).find((w: any) => w.name === 'w0' && w.connected_to.length), 'w0 to attach');
  });

  after(async () => { await env.cleanup(); });

  it('parses as Prometheus text with the default process metrics and the event-loop lag', async () => {
    const m = await metrics(master.ready.httpPort!);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(m.has(name), `${name} is served`);
    }
    assert.equal(m.get('mastro_builds_total')?.type, 'counter');
    assert.equal(m.get('mastro_build_duration_seconds')?.type, 'histogram');
    assert.equal(m.get('mastro_db_query_duration_seconds')?.type, 'histogram');
    assert.equal(sampleValue(m, 'mastro_workers_connected', { pool: '' }), 1, 'w0 is attached (w9 is not)');
  });

  it('counts builds by builder and result, times them, and counts their log bytes and the queries they made', async () => {
    const before = await metrics(master.ready.httpPort!);
    const logBytes0 = sampleValue(before, 'mastro_log_bytes_total') ?? 0;
    const queries0 = sampleValue(before, 'mastro_db_query_duration_seconds_count', { engine: 'sqlite' }) ?? 0;
    assert.ok(queries0 > 0, 'starting a master queries its database');
    assert.equal(sampleValue(before, 'mastro_builds_total', { builder: 'pass', result: 'success' }), undefined);

    const pass = await master.submit(['pass']);
    const fail = await master.submit(['fail']);
    assert.equal((await finished(master, pass.brids[Object.keys(pass.brids)[0]!]!)).results, 0);
    assert.equal((await finished(master, fail.brids[Object.keys(fail.brids)[0]!]!)).results, 2);

    const after1 = await waitUntil(async () => {
      const m = await metrics(master.ready.httpPort!);
      return sampleValue(m, 'mastro_builds_total', { builder: 'fail', result: 'failure' }) === 1 ? m : null;
    }, 'the failed build to be counted');
    assert.equal(sampleValue(after1, 'mastro_builds_total', { builder: 'pass', result: 'success' }), 1);
    assert.equal(sampleValue(after1, 'mastro_build_duration_seconds_count', { builder: 'pass' }), 1);
    assert.ok(sampleValue(after1, 'mastro_build_duration_seconds_sum', { builder: 'pass' })! > 0, 'the build took some time');
    assert.equal(sampleValue(after1, 'mastro_build_duration_seconds_bucket', { builder: 'pass', le: '+Inf' }), 1);
    const logBytes1 = sampleValue(after1, 'mastro_log_bytes_total')!;
    assert.ok(logBytes1 - logBytes0 >= 5 * 'line 1 of the passing build\n'.length, `log bytes grew by the builds' output (${logBytes0} -> ${logBytes1})`);
    assert.ok(sampleValue(after1, 'mastro_db_query_duration_seconds_count', { engine: 'sqlite' })! > queries0, 'the builds ran queries');

    // A second passing build moves the same series on.
    await finished(master, Object.values((await master.submit(['pass'])).brids)[0]!);
    const after2 = await waitUntil(async () => {
      const m = await metrics(master.ready.httpPort!);
      return sampleValue(m, 'mastro_builds_total', { builder: 'pass', result: 'success' }) === 2 ? m : null;
    }, 'the second build to be counted');
    assert.equal(sampleValue(after2, 'mastro_build_duration_seconds_count', { builder: 'pass' }), 2);
  });

  it('shows requests waiting for a worker and reports waiting for an endpoint that is down', async () => {
    await master.submit(['offline']);
    const m = await waitUntil(async () => {
      const x = await metrics(master.ready.httpPort!);
      return sampleValue(x, 'mastro_buildrequests_pending', { builder: 'offline' }) === 1 && (sampleValue(x, 'mastro_reporter_queue', { reporter: 'httpStatusPush' }) ?? 0) >= 1 ? x : null;
    }, 'the pending request and the undelivered report to show');
    assert.equal(sampleValue(m, 'mastro_buildrequests_pending', { builder: 'pass' }), 0, 'builders with nothing waiting read 0');
  });

  it('serves the same metrics on monitoring.port', async () => {
    const port = master.ready.monitoringPort!;
    assert.ok(port > 0 && port !== master.ready.httpPort);
    const m = await metrics(port);
    assert.ok((sampleValue(m, 'mastro_builds_total', { builder: 'pass', result: 'success' }) ?? 0) >= 1);
  });
});

describe('GET /metrics when anonymous viewing is off', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;

  before(async () => {
    env = new TestEnv();
    env.writeConfig(config({ reporterPort: await freePort(), anonymousView: false }));
    execFileSync(process.execPath, [MASTER_CLI, 'user', 'add', env.masterDir, 'prometheus', '--password-stdin'], { input: 'scrape-secret\n' });
    master = await env.startMaster();
  });

  after(async () => { await env.cleanup(); });

  it('answers 401 without credentials and the metrics to a logged-in user, on both ports', async () => {
    const basic = { authorization: `Basic ${Buffer.from('prometheus:scrape-secret').toString('base64')}` };
    const wrong = { authorization: `Basic ${Buffer.from('prometheus:guess').toString('base64')}` };
    for (const port of [master.ready.httpPort!, master.ready.monitoringPort!]) {
      const anonymous = await scrape(port);
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.doesNotMatch(anonymous.text, /mastro_builds_total/);
      assert.equal((await scrape(port, wrong)).status, 401);
      const m = await metrics(port, basic);
      assert.ok(m.has('mastro_workers_connected'));
    }
    // The probes stay open: they carry no credentials.
    const health = await fetch(`http://127.0.0.1:${master.ready.httpPort}/healthz`);
    assert.equal(health.status, 200);
  });
});
