/**
 * Control actions (JSON-RPC POSTs and /ws control) for someone who may not view: with
 * anonymousView false, an anonymous caller learns nothing about which force schedulers, builds,
 * requests or workers exist: every path answers the same 401 a read gets, never a 404 naming them.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';
import { ForceScheduler } from '../src/schedulers/force.js';
import type { MasterControl } from '../src/process/master-control.js';

const rpc = (method: string) => JSON.stringify({ jsonrpc: '2.0', method, params: {}, id: 7 });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('control actions reveal nothing to callers who may not view', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-sec-control-'));
  let db: Db; let server: HttpServer; let base = '';

  before(async () => {
    await new UsersStore(dir).add('viewer', 'viewer-password', []);
    db = await openDatabase('sqlite::memory:');
    const mq = new InProcessMessageQueue();
    const data = new DataConnector(db, mq);
    const masterid = await data.updates.masterActive('m');
    await data.updates.findBuilderId('secret-builder');
    const force = new ForceScheduler({ name: 'release-secret-project', builderNames: ['secret-builder'] }, { mq, updates: data.updates, reads: data, masterid });
    await force.start();
    const notHere = () => { throw new Error('not part of this test'); };
    const target: MasterControl = {
      masterid, forceSchedulers: () => [force], stopBuild: notHere, rebuild: notHere, setWorkerPaused: notHere,
      shutdownWorkerGracefully: notHere, killWorker: notHere, stopMaster: notHere, reconfig: notHere,
    };
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1', masterDir: dir, control: target, authz: { anonymousView: false } });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close(); await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const paths = ['forceschedulers/no-such', 'forceschedulers/release-secret-project', 'builds/999', 'builders/secret-builder/builds/3', 'buildrequests/5', 'workers/nobody', 'masters/77', 'nothing/here'];

  test('anonymous JSON-RPC POSTs get the same 401 on every path, existing or not, and no names', async () => {
    for (const p of paths) {
      const r = await fetch(`${base}/api/v2/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rpc('force') });
      const text = await r.text();
      assert.equal(r.status, 401, `${p}: ${text}`);
      assert.equal(JSON.parse(text).error.message, 'you need to log in to see this', p);
      assert.doesNotMatch(text, /release-secret-project|secret-builder/, p);
    }
  });

  test('anonymous /ws control frames get 401 without names as well', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    try {
      for (const [i, p] of paths.entries()) ws.send(JSON.stringify({ cmd: 'control', path: p, method: 'force', params: {}, _id: i }));
      await new Promise<void>((resolve) => { const check = () => (frames.length >= paths.length ? resolve() : ws.once('message', () => setImmediate(check))); check(); });
      for (const f of frames) {
        assert.equal(f.code, 401, JSON.stringify(f));
        assert.doesNotMatch(JSON.stringify(f), /release-secret-project|secret-builder/);
      }
    } finally { ws.terminate(); }
  });

  test('a logged-in user who may view still gets the helpful 404 naming what exists', async () => {
    const r = await fetch(`${base}/api/v2/forceschedulers/no-such`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('viewer', 'viewer-password') }, body: rpc('force') });
    assert.equal(r.status, 404);
    assert.match(await r.text(), /known: release-secret-project/);
  });
});
