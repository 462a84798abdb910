/**
 * Control actions (www/control/actions.ts).
 *
 * Judged on what the action does: a `force` rule limited
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
import { Writable } from 'node:stream';
import pino from 'pino';
import WebSocket from 'ws';
import { Results } from '../src/model/results.js';

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

/*
 * JSON-RPC control answers a script can rely on: stopping a build that already finished is not an
 * error (Buildbot 3.7 answers 200 with result null; scripts race with builds finishing), and a
 * failure inside the master reaches the caller as a pointer to the master log, never as its
 * internal error text, while errors meant for the caller keep their message.
 */
const INTERNAL = 'SQLITE_IOERR: disk I/O error writing /srv/private/state.sqlite-wal';

describe('control action answers', () => {
  let db: Db; let data: DataConnector; let server: HttpServer; let base = '';
  const logLines: any[] = [];
  const stopCalls: number[] = [];
  let running = 0; let finished = 0; let orphan = 0; let rebuildThrows: Error = new Error(INTERNAL);

  const rpc = async (path: string, method: string, params: Record<string, unknown> = {}) => {
    const r = await fetch(`${base}/api/v2/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 5 }) });
    return { status: r.status, body: (await r.json()) as any };
  };

  before(async () => {
    db = await openDatabase('sqlite::memory:');
    const mq = new InProcessMessageQueue();
    data = new DataConnector(db, mq);
    const masterid = await data.updates.masterActive('m');
    const builderid = await data.updates.findBuilderId('b');
    const workerid = await data.updates.findWorkerId('w');
    const newBuild = async () => {
      const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [{ repository: 'repo', branch: 'main', revision: 'abc' }] });
      await data.updates.claimBuildRequests([brids[builderid]!]);
      return (await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: 'building' })).buildid;
    };
    running = await newBuild();
    finished = await newBuild();
    await data.updates.finishBuild(finished, Results.SUCCESS);
    orphan = await newBuild();
    const notHere = () => { throw new Error('not part of this test'); };
    const target: MasterControl = {
      // Configured but not started: what a request meets while the scheduler is being reconfigured.
      masterid, forceSchedulers: () => [new ForceScheduler({ name: 'idle', builderNames: ['b'] }, { mq, updates: data.updates, reads: data, masterid })],
      // Only `running` runs on this master; `orphan` is open in the database but runs nowhere here.
      stopBuild: async (id) => { stopCalls.push(id); return id === running; },
      rebuild: async () => { throw rebuildThrows; },
      setWorkerPaused: notHere, shutdownWorkerGracefully: notHere, killWorker: notHere, stopMaster: notHere, reconfig: notHere,
    };
    const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) logLines.push(JSON.parse(l)); cb(); } });
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1', control: target, authz: { rules: [{ actions: '*', roles: ['anonymous'] }] }, logger: pino({ level: 'info' }, sink) });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('stopping a build that already finished answers 200 with result null, like Buildbot', async () => {
    const r = await rpc(`builds/${finished}`, 'stop', { reason: 'too late' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { jsonrpc: '2.0', id: 5, result: null });
    assert.ok(stopCalls.includes(finished), 'the engine was asked first');
  });

  test('stopping a running build stops it and answers null', async () => {
    const r = await rpc(`builds/${running}`, 'stop');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result, null);
    assert.ok(stopCalls.includes(running));
  });

  test('stopping a build still open but not run by this master is refused with 409 and why', async () => {
    const r = await rpc(`builds/${orphan}`, 'stop');
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error.message, /not running on this master/);
  });

  test('forcing through a force scheduler that is not running answers 409 saying to try again, not a 500', async () => {
    const r = await rpc('forceschedulers/idle', 'force', { builderNames: ['b'] });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error.message, /not running on this master .*try again/);
  });

  test('an internal failure answers 500 with a pointer to the master log and logs the details', async () => {
    rebuildThrows = new Error(INTERNAL);
    const r = await rpc(`builds/${finished}`, 'rebuild');
    assert.equal(r.status, 500);
    assert.equal(r.body.error.code, -32603);
    assert.doesNotMatch(JSON.stringify(r.body), /SQLITE|private|state\.sqlite/);
    assert.match(r.body.error.message, /master log/);
    const logged = logLines.find((l) => l.msg === 'control action failed');
    assert.ok(logged, `logged: ${JSON.stringify(logLines)}`);
    assert.match(logged.err.message, /SQLITE_IOERR/);
    assert.equal(logged.method, 'rebuild');
    assert.equal(logged.path, `builds/${finished}`);
  });

  test('the same internal failure over /ws is answered without its text', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    try {
      await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
      const answer = new Promise<any>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
      ws.send(JSON.stringify({ cmd: 'control', path: `builds/${finished}`, method: 'rebuild', params: {}, _id: 1 }));
      const f = await answer;
      assert.doesNotMatch(JSON.stringify(f), /SQLITE|private/);
      assert.match(JSON.stringify(f), /master log/);
    } finally { ws.terminate(); }
  });

  test('errors meant for the caller keep their message', async () => {
    const missing = await rpc('builds/9999', 'stop');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /no build with id 9999/);
    const method = await rpc(`builds/${finished}`, 'explode');
    assert.equal(method.status, 501);
    assert.match(method.body.error.message, /'explode' is not an action of builds\/\d+; actions: stop, rebuild/);
  });
});
