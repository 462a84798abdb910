/**
 * JSON-RPC control answers a script can rely on: stopping a build that already finished is not an
 * error (Buildbot 3.7 answers 200 with result null; scripts race with builds finishing), and a
 * failure inside the master reaches the caller as a pointer to the master log, never as its
 * internal error text, while errors meant for the caller keep their message.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import WebSocket from 'ws';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import type { MasterControl } from '../src/process/master-control.js';
import { Results } from '../src/model/results.js';
import { ForceScheduler } from '../src/schedulers/force.js';

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
