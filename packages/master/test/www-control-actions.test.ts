/**
 * Control actions (www/control/actions.ts) judged on what the action does: a `force` rule limited
 * to branches is checked against the branches of the sourcestamps the build will get (a force
 * scheduler with a fixed branch ignores the submitted one; an empty field takes its default), not
 * against the branch the caller submitted. Real HTTP server, real SQLite, real users.json.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';
import { ForceScheduler } from '../src/schedulers/force.js';
import { params } from '../src/schedulers/force-params.js';
import type { MasterControl } from '../src/process/master-control.js';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('branch-limited force rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-control-'));
  let db: Db; let server: HttpServer; let base = '';

  before(async () => {
    await new UsersStore(dir).add('dev', 'dev-password', ['dev']);
    db = await openDatabase('sqlite::memory:');
    const mq = new InProcessMessageQueue();
    const data = new DataConnector(db, mq);
    const masterid = await data.updates.masterActive('m');
    await data.updates.findBuilderId('b');
    const services = { mq, updates: data.updates, reads: data, masterid };
    const schedulers = [
      // The branch is fixed: whatever is submitted, builds get release/1.0.
      new ForceScheduler({ name: 'release', builderNames: ['b'], codebases: [{ name: '', branch: params.fixed({ name: 'branch', default: 'release/1.0' }) }] }, services),
      // An empty branch field takes the default.
      new ForceScheduler({ name: 'feature', builderNames: ['b'], codebases: [{ name: '', branch: 'feature/default' }] }, services),
      // Two codebases: every one of their branches must be allowed.
      new ForceScheduler({ name: 'multi', builderNames: ['b'], codebases: [{ name: 'app', branch: 'feature/app' }, { name: 'lib', branch: params.fixed({ name: 'branch', default: 'main' }) }] }, services),
    ];
    for (const s of schedulers) await s.start();
    const notHere = () => { throw new Error('not part of this test'); };
    const target: MasterControl = {
      masterid, forceSchedulers: () => schedulers, stopBuild: notHere, rebuild: notHere, setWorkerPaused: notHere,
      shutdownWorkerGracefully: notHere, killWorker: notHere, stopMaster: notHere, reconfig: notHere,
    };
    server = await createHttpServer({
      data, port: 0, host: '127.0.0.1', masterDir: dir, control: target,
      authz: { rules: [{ actions: ['view'], roles: ['authenticated'] }, { actions: ['force'], roles: ['dev'], branches: ['feature/*'] }] },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close(); await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const force = async (scheduler: string, fields: Record<string, unknown>) => {
    const r = await fetch(`${base}/api/v2/forceschedulers/${scheduler}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('dev', 'dev-password') },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'force', params: fields, id: 1 }),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  const buildsetBranches = async () => {
    const bs = (await (await fetch(`${base}/api/v2/buildsets`, { headers: { authorization: basic('dev', 'dev-password') } })).json()) as any;
    return bs.buildsets.map((b: any) => b.sourcestamps.map((s: any) => s.branch));
  };

  test('submitting an allowed branch to a scheduler whose branch is fixed elsewhere is refused, and nothing is built', async () => {
    const r = await force('release', { branch: 'feature/harmless' });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.error.message, /may not use 'force'/);
    assert.deepEqual(await buildsetBranches(), []);
  });

  test('an empty branch field is judged by the default the build gets', async () => {
    const r = await force('feature', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await buildsetBranches()).at(-1), ['feature/default']);
    assert.equal((await force('feature', { branch: 'main' })).status, 403);
    assert.equal((await force('feature', { branch: 'feature/x' })).status, 200);
  });

  test('with several codebases every resolved branch must be allowed', async () => {
    const before = (await buildsetBranches()).length;
    const r = await force('multi', { app_branch: 'feature/y', lib_branch: 'feature/also-ignored' });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal((await buildsetBranches()).length, before);
  });
});
