/**
 * GET /healthz and /readyz of a real master process on a PostgreSQL server of the test's own: both
 * 200 while everything works; with the server stopped /readyz answers 503 with a JSON reason naming
 * the database, while /healthz stays 200 (the process is alive); with the server back, /readyz is
 * 200 again. On SQLite the same checks pass, and the monitoring port answers them too.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { PgServer, pgServerUnavailable } from './support/pg-server.js';

function config(dbUrl: string): string {
  return `import { defineConfig, worker } from 'mastro';
export default defineConfig({
  db: { url: ${JSON.stringify(dbUrl)} },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1' },
  monitoring: { port: 0, host: '127.0.0.1', readyTimeout: 3 },
  workers: [worker('w0', 'pass')],
});
`;
}

async function probe(port: number, path: '/healthz' | '/readyz'): Promise<{ status: number; body: any; type: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.json() };
}

describe('/healthz and /readyz when the PostgreSQL server goes away and comes back', { skip: pgServerUnavailable(), timeout: 240_000 }, () => {
  let pg: PgServer;
  let env: TestEnv;
  let master: MasterProcess;

  before(async () => {
    pg = await PgServer.start();
    env = new TestEnv();
    env.writeConfig(config(pg.url));
    master = await env.startMaster();
  });

  after(async () => {
    await env?.cleanup();
    pg?.destroy();
  });

  it('both answer 200 while the database answers', async () => {
    const health = await probe(master.ready.httpPort!, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    const ready = await probe(master.ready.httpPort!, '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.match(ready.type, /^application\/json/);
    assert.deepEqual(ready.body, { status: 'ready', ready: true, checks: { database: { ok: true }, workerPort: { ok: true }, config: { ok: true } } });
  });

  it('/readyz answers 503 naming the database while the server is stopped, /healthz stays 200, and both recover', async () => {
    pg.stop('fast');
    for (const port of [master.ready.httpPort!, master.ready.monitoringPort!]) {
      const ready = await probe(port, '/readyz');
      assert.equal(ready.status, 503, JSON.stringify(ready.body));
      assert.equal(ready.body.status, 'not ready');
      assert.equal(ready.body.ready, false);
      assert.equal(ready.body.checks.database.ok, false);
      assert.ok(ready.body.checks.database.error, 'the database check says what failed');
      assert.match(ready.body.reason, /^database: /);
      assert.deepEqual(ready.body.checks.workerPort, { ok: true });
      assert.deepEqual(ready.body.checks.config, { ok: true });
      assert.equal((await probe(port, '/healthz')).status, 200, 'the process is alive');
    }

    pg.startAgain();
    const back = await waitUntil(async () => {
      const r = await probe(master.ready.httpPort!, '/readyz');
      return r.status === 200 ? r : null;
    }, '/readyz to answer 200 once the server is back', 60_000);
    assert.equal(back.body.checks.database.ok, true);
  });
});

describe('/readyz on SQLite', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;

  before(async () => {
    env = new TestEnv();
    env.writeConfig(config('sqlite:state.sqlite'));
    master = await env.startMaster();
  });

  after(async () => { await env.cleanup(); });

  it('is ready on the web port and on the monitoring port', async () => {
    for (const port of [master.ready.httpPort!, master.ready.monitoringPort!]) {
      const ready = await probe(port, '/readyz');
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.ready, true);
    }
  });
});
