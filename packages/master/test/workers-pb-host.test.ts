/**
 * PB registrations (workers/pb/pb-host.ts, Buildbot's pbmanager) on a real WorkerManager over
 * loopback, logged in with mastro-protocol's PB client: users on the worker PB port beside the
 * workers, ports of their own shared by every registration of that port and closed with the last,
 * and the refusals that name who holds what.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { pb } from 'mastro-protocol';
import { WorkerManager } from '../src/workers/manager.js';
import type { PbUser } from '../src/workers/pb/pb-login.js';
import { freePort } from '../../../test/support/master-harness.js';

const user = (password: string, label: string): PbUser => ({
  digest: pb.md5Digest(password),
  perspective: () => new pb.Referenceable({ whoami: () => label }, label),
});

/** Logs in on `port` and asks the perspective who it is; rejects with the refusal. */
async function whoami(port: number, name: string, password: string): Promise<unknown> {
  const socket = connect(port, '127.0.0.1');
  const broker = new pb.Broker(socket, { role: 'client' });
  try {
    await broker.ready;
    const perspective = await pb.login(broker.remoteForName('root'), name, password);
    return await perspective.callRemote('whoami');
  } finally {
    broker.close('done');
  }
}

async function manager(t: { after(fn: () => Promise<void>): void }, pbOptions: object | null = {}): Promise<WorkerManager> {
  const m = new WorkerManager({ port: 0, host: '127.0.0.1', pb: pbOptions, workers: [{ name: 'w1', password: 'pass' }] });
  await m.listen();
  t.after(() => m.close());
  return m;
}

test('a user registered on the worker PB port logs in there beside the workers, until it is unregistered', async (t) => {
  const m = await manager(t);
  const host = m.pbHost();
  assert.equal(host.workerPort, m.port, 'PB shares the WebSocket port');
  const reg = await host.register({ owner: 'changes.pb test', port: null, users: [['change', user('changepw', 'the change perspective')]] });
  assert.equal(reg.port, m.port);
  assert.equal(await whoami(m.port, 'change', 'changepw'), 'the change perspective');
  await assert.rejects(whoami(m.port, 'change', 'wrong'), /login refused for change/);
  await reg.unregister();
  await assert.rejects(whoami(m.port, 'change', 'changepw'), /login refused for change/);
});

test('registrations of one port of its own share its listener, which closes with the last of them', async (t) => {
  const m = await manager(t);
  const host = m.pbHost();
  const port = await freePort();
  const a = await host.register({ owner: 'A', port, users: [['a', user('pa', 'A')]] });
  const b = await host.register({ owner: 'B', port, users: [['b', user('pb', 'B')]] });
  assert.deepEqual([a.port, b.port], [port, port]);
  assert.deepEqual([await whoami(port, 'a', 'pa'), await whoami(port, 'b', 'pb')], ['A', 'B']);
  await assert.rejects(whoami(port, 'w1', 'pass'), /login refused for w1/, 'workers log in on the worker port only');
  await a.unregister();
  await assert.rejects(whoami(port, 'a', 'pa'), /login refused for a/);
  assert.equal(await whoami(port, 'b', 'pb'), 'B');
  await b.unregister();
  await assert.rejects(whoami(port, 'b', 'pb'), /ECONNREFUSED|connection/i, 'the port is closed');
});

test('a name taken on a port, a worker\'s name on the worker port, HTTP on a PB-only port and the worker port without PB are refused, naming what to change', async (t) => {
  const m = await manager(t);
  const host = m.pbHost();
  await host.register({ owner: "changes.pb 'one'", port: null, users: [['change', user('x', 'one')]] });
  await assert.rejects(host.register({ owner: "changes.pb 'two'", port: null, users: [['change', user('y', 'two')]] }),
    /changes\.pb 'two': the PB user name 'change' is already used by changes\.pb 'one' on the same port; give one of them another user name or port/);
  await assert.rejects(host.register({ owner: "try scheduler 't'", port: null, users: [['w1', user('y', 't')]] }),
    /try scheduler 't': the PB user name 'w1' is also a worker's name on the worker PB port; give one of them another name/);
  await assert.rejects(host.register({ owner: "try scheduler 't'", port: null, users: [], http: createHttpServer() }), /wants to serve HTTP on the worker PB port \d+; give it a port of its own/);
  const port = await freePort();
  const pbOnly = await host.register({ owner: "changes.pb 'own'", port, users: [['svn', user('s', 'svn')]] });
  await assert.rejects(host.register({ owner: "try scheduler 't'", port, users: [], http: createHttpServer() }),
    new RegExp(`try scheduler 't' wants to serve HTTP on port ${port}, which already serves PB alone for changes\\.pb 'own'; give it another port`));
  await pbOnly.unregister();

  const off = await manager(t, null);
  await assert.rejects(off.pbHost().register({ owner: "changes.pb 'x'", port: null, users: [] }),
    /changes\.pb 'x' wants the worker PB port, but protocols\.pb is off; turn it on or give changes\.pb 'x' a port of its own/);
});
