/**
 * The issue-4 schedulers on the real data layer (SQLite in memory, the real event bus): dependent,
 * nightly onlyIfChanged on a controllable clock (runNow), known-good codebases, the try endpoint's
 * checks, and concurrency groups superseding older buildsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { openDatabase } from '../src/db/index.js';
import { DataConnector } from '../src/data/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { createScheduler, type DependentScheduler, type NightlyScheduler, type TryScheduler, type AnyBranchScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import type { SchedulerServices } from '../src/schedulers/base.js';
import { ConcurrencyGroups } from '../src/process/concurrency.js';

async function setup() {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const masterid = await data.updates.masterActive('test-master');
  const services: SchedulerServices = { mq, updates: data.updates, reads: data, masterid };
  const buildsets: Array<{ bsid: number; scheduler?: string }> = [];
  const waiters: Array<() => void> = [];
  mq.subscribe<{ bsid: number; scheduler?: string }>(['buildsets', null, 'new'], (_k, bs) => { buildsets.push(bs); for (const w of waiters.splice(0)) w(); });
  const waitFor = async (n: number) => { while (buildsets.length < n) await new Promise<void>((r) => waiters.push(r)); };
  /** Completes every request of a buildset with `results` (as a build of this master would). */
  const finish = async (bsid: number, results: number) => {
    const brs = await data.getBuildRequestsForBuildset(bsid);
    await data.updates.claimBuildRequests(brs.map((b) => b.id));
    await data.updates.completeBuildRequests(brs.map((b) => b.id), results);
    await data.updates.maybeBuildsetComplete(bsid);
  };
  return { db, data, mq, services, buildsets, waitFor, finish };
}

const change = (o: { branch?: string; revision: string; codebase?: string; repository?: string }) => ({
  author: 'a <a@x>', files: ['f.c'], comments: 'c', branch: o.branch ?? 'main', revision: o.revision, codebase: o.codebase ?? '', repository: o.repository ?? 'file:///r.git',
});

test('a dependent scheduler builds the same sourcestamps after its upstream buildset succeeds, and nothing after a failure', async () => {
  const s = await setup();
  const up = createScheduler(schedulers.anyBranch({ name: 'up', builderNames: ['compile'] }), s.services) as AnyBranchScheduler;
  const dep = createScheduler(schedulers.dependent({ name: 'dep', upstream: 'up', builderNames: ['package'] }), s.services) as DependentScheduler;
  await up.start(); await dep.start();
  await s.data.updates.addChange(change({ revision: 'aaa' }));
  await s.waitFor(1);
  await up.idle();
  const upstream = s.buildsets[0]!;
  assert.equal(upstream.scheduler, 'up');
  await s.finish(upstream.bsid, 0);
  await s.waitFor(2);
  await dep.idle();
  const downstream = s.buildsets[1]!;
  assert.equal(downstream.scheduler, 'dep');
  assert.equal((await s.data.getBuildset(downstream.bsid))!.reason, 'downstream', "Buildbot's Dependent reason");
  assert.deepEqual((await s.data.getBuildset(downstream.bsid))!.sourcestampids, (await s.data.getBuildset(upstream.bsid))!.sourcestampids);

  await s.data.updates.addChange(change({ revision: 'bbb' }));
  await s.waitFor(3);
  await up.idle();
  await s.finish(s.buildsets[2]!.bsid, 2);
  await dep.idle();
  assert.equal(s.buildsets.length, 3, 'a failed upstream buildset starts nothing downstream');
  await up.stop(); await dep.stop();
});

test('nightly onlyIfChanged builds only when a codebase moved past its last built revision, also across a restart', async () => {
  const s = await setup();
  const spec = schedulers.nightly({ name: 'nightly', builderNames: ['t'], cron: '0 3 * * *', onlyIfChanged: true, branch: 'main' });
  let n = createScheduler(spec, s.services) as NightlyScheduler;
  await n.start();
  await n.runNow();
  assert.equal(s.buildsets.length, 0, 'no change yet: no build');
  await s.data.updates.addChange(change({ revision: 'r1' }));
  await n.runNow();
  assert.equal(s.buildsets.length, 1);
  assert.deepEqual((await s.data.getSourceStampsForBuildset(s.buildsets[0]!.bsid)).map((x) => x.revision), ['r1']);
  await n.runNow();
  assert.equal(s.buildsets.length, 1, 'the same revision is not built twice');
  // A change to another branch does not count.
  await s.data.updates.addChange(change({ branch: 'dev', revision: 'd1' }));
  await n.runNow();
  assert.equal(s.buildsets.length, 1);

  // Master down: a change lands meanwhile; the restarted scheduler reads it back.
  await n.stop();
  await s.data.updates.addChange(change({ revision: 'r2' }));
  n = createScheduler(spec, s.services) as NightlyScheduler;
  await n.start();
  await n.runNow();
  assert.equal(s.buildsets.length, 2);
  assert.deepEqual((await s.data.getSourceStampsForBuildset(s.buildsets[1]!.bsid)).map((x) => x.revision), ['r2']);

  // A change that brings a codebase back to its last built revision is not a reason to build.
  await s.data.updates.addChange(change({ revision: 'r2' }));
  await n.runNow();
  assert.equal(s.buildsets.length, 2);
  assert.ok(n.nextRun() instanceof Date, 'the cron schedule is armed');
  await n.stop();
});

test('a multi-codebase scheduler pins unchanged codebases at the last successful build revision, else the branch head', async () => {
  const s = await setup();
  const codebases = { lib: { repository: 'file:///lib.git', branch: 'main' }, bindings: { repository: 'file:///bindings.git', branch: 'main' } };
  const sched = createScheduler(schedulers.anyBranch({ name: 'mc', builderNames: ['b'], codebases }), s.services) as AnyBranchScheduler;
  await sched.start();
  const revs = async (i: number) => Object.fromEntries((await s.data.getSourceStampsForBuildset(s.buildsets[i]!.bsid)).map((x) => [x.codebase, x.revision]));
  await s.data.updates.addChange(change({ codebase: 'lib', revision: 'L1', repository: 'file:///lib.git' }));
  await s.waitFor(1); await sched.idle();
  assert.deepEqual(await revs(0), { lib: 'L1', bindings: null }, 'no successful build yet: bindings at branch head');
  // A real build of builder b succeeds on that buildset.
  const builderid = await s.data.updates.findBuilderId('b');
  const [br] = await s.data.getBuildRequestsForBuildset(s.buildsets[0]!.bsid);
  await s.data.updates.claimBuildRequests([br!.id]);
  const workerid = await s.data.updates.findWorkerId('w');
  const { buildid } = await s.data.updates.addBuild({ builderid, buildrequestid: br!.id, workerid, masterid: s.services.masterid!, state_string: 'building' });
  await s.data.updates.finishBuild(buildid, 0);
  await s.data.updates.addChange(change({ codebase: 'lib', revision: 'L2-broken', repository: 'file:///lib.git' }));
  await s.waitFor(2); await sched.idle();
  await s.data.updates.addChange(change({ codebase: 'bindings', revision: 'B1', repository: 'file:///bindings.git' }));
  await s.waitFor(3); await sched.idle();
  assert.deepEqual(await revs(2), { lib: 'L1', bindings: 'B1' }, 'lib at its known-good revision, bindings at the new one');
  await sched.stop();
});

test('the try endpoint refuses a wrong password, an oversized body and a patch without base revision', async () => {
  const s = await setup();
  const t = createScheduler(schedulers.tryUserpass({ name: 'try', builderNames: ['t'], port: 0, userpass: [['alice', 's3cret']], maxRequestBytes: 2048 }), s.services) as TryScheduler;
  await t.start();
  const url = `http://127.0.0.1:${t.port}/try`;
  const auth = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const good = { sourcestamps: [{ revision: 'abcdef12', patch: { level: 1, body: Buffer.from('diff').toString('base64') } }] };
  let r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 'wrong') }, body: JSON.stringify(good) });
  assert.equal(r.status, 401);
  r = await fetch(url, { method: 'POST', body: JSON.stringify(good) });
  assert.equal(r.status, 401);
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify({ ...good, pad: 'x'.repeat(4096) }) });
  assert.equal(r.status, 413);
  assert.match((await r.json()).error, /maxRequestBytes/);
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify({ sourcestamps: [{ patch: good.sourcestamps[0]!.patch }] }) });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /sourcestamps\[0\]\.revision/);
  assert.equal(s.buildsets.length, 0, 'nothing was scheduled');
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify(good) });
  assert.equal(r.status, 201);
  const { bsid } = await r.json();
  const [ss] = await s.data.getSourceStampsForBuildset(bsid);
  assert.equal(ss!.revision, 'abcdef12');
  assert.equal(ss!.patch!.body.toString(), 'diff');
  // A request target that is no URL is the client's mistake (400), not the master's (500).
  const raw = await new Promise<string>((resolve, reject) => {
    let got = '';
    const c = connect(t.port!, '127.0.0.1', () => c.write(`POST http://[bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${auth('alice', 's3cret')}\r\nContent-Length: 0\r\n\r\n`));
    c.on('data', (d) => { got += d.toString(); });
    c.on('error', reject);
    c.on('close', () => resolve(got));
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  assert.match(raw, /not a valid request target/);
  await t.stop();
});

test('with overlap collapse, a newer buildset of the same branch cancels the pending requests of the older one; other branches stay', async () => {
  const s = await setup();
  const groups = new ConcurrencyGroups({ mq: s.mq, updates: s.data.updates, reads: s.data, runningBuildsFor: () => [] });
  const sched = createScheduler(schedulers.anyBranch({ name: 'ci', builderNames: ['t'], overlap: 'collapse' }), s.services) as AnyBranchScheduler;
  await sched.start();
  await s.data.updates.addChange(change({ revision: 'm1' }));
  await s.data.updates.addChange(change({ branch: 'dev', revision: 'd1' }));
  await s.data.updates.addChange(change({ revision: 'm2' }));
  await s.waitFor(3); await sched.idle(); await groups.idle();
  const state = async (i: number) => (await s.data.getBuildRequestsForBuildset(s.buildsets[i]!.bsid)).map((r) => [r.complete, r.results]);
  assert.deepEqual(await state(0), [[true, 6]], 'main m1 cancelled');
  assert.deepEqual(await state(1), [[false, null]], 'dev untouched');
  assert.deepEqual(await state(2), [[false, null]], 'main m2 pending');
  groups.close();
  await sched.stop();
});
