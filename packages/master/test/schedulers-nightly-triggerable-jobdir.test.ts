/**
 * nightlyTriggerable and tryJobdir against the in-memory data layer (state and buildsets), with
 * a real job directory on disk for tryJobdir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeData } from './support/schedulers-fake-data.js';
import { createScheduler, type NightlyTriggerableScheduler, type TryJobdirScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { formatJobFile } from '../src/schedulers/try-jobfile.js';
import { normaliseScheduler } from '../src/schedulers/validate.js';
import { IssueCollector } from '../src/model/config-errors.js';

const ss = (revision: string) => ({ codebase: '', repository: 'file:///r.git', branch: 'main', revision, project: '' });

function recordingLogger() {
  const lines: string[] = [];
  const rec = (_o: unknown, msg?: string) => { lines.push(msg ?? ''); };
  return { lines, logger: { trace: rec, debug: rec, info: rec, warn: rec, error: rec } };
}

test('nightlyTriggerable: triggers only record; the scheduled run builds once with the last trigger, then nothing', async () => {
  const d = new FakeData();
  const s = createScheduler(schedulers.nightlyTriggerable({ name: 'nt', builderNames: ['nightly'], properties: { fixed: 'yes', color: 'grey' } }), d.services) as NightlyTriggerableScheduler;
  await s.start();
  const h1 = await s.trigger({ waitedFor: true, sourcestamps: [ss('r1')], properties: { color: ['red', 'Trigger'] }, parentBuildid: 7 });
  const h2 = await s.trigger({ waitedFor: false, sourcestamps: [ss('r2')], properties: { color: ['blue', 'Trigger'] }, parentBuildid: 8 });
  assert.deepEqual(await h1.finished, { results: 0 }, 'a waiting trigger step completes at once with SUCCESS');
  assert.deepEqual(h2.brids, {});
  assert.equal(h2.bsid, null, 'no buildset until the scheduled run');
  assert.equal(d.buildsets.length, 0, 'triggering does not build');

  await s.runNow();
  assert.equal(d.buildsets.length, 1);
  const bs = d.buildsets[0]!;
  assert.deepEqual(bs.sourcestamps, [{ ...ss('r2'), patch: null }]);
  assert.deepEqual(bs.properties.color, ['blue', 'Trigger'], 'the last trigger wins over the scheduler property');
  assert.deepEqual(bs.properties.fixed, ['yes', 'Scheduler']);
  assert.equal(bs.parent_buildid, 8);
  assert.match(bs.reason, /NightlyTriggerable scheduler named 'nt'/);

  await s.runNow();
  assert.equal(d.buildsets.length, 1, 'not triggered since the last run: no buildset');
  await s.stop();
});

test('nightlyTriggerable keeps its trigger (patch included) across a restart', async () => {
  const d = new FakeData();
  const spec = schedulers.nightlyTriggerable({ name: 'nt', builderNames: ['nightly'], hour: 3 });
  const first = createScheduler(spec, d.services) as NightlyTriggerableScheduler;
  await first.start();
  await first.trigger({ waitedFor: false, sourcestamps: [{ ...ss('r9'), patch: { level: 1, subdir: '', body: Buffer.from([0, 255, 10]) } }], properties: { p: [1, 'Trigger'] } });
  await first.stop();

  const second = createScheduler(spec, d.services) as NightlyTriggerableScheduler;
  await second.start();
  await second.runNow();
  assert.equal(d.buildsets.length, 1);
  const [stamp] = d.buildsets[0]!.sourcestamps as Array<{ revision: string; patch: { body: Buffer } }>;
  assert.equal(stamp!.revision, 'r9');
  assert.deepEqual(stamp!.patch.body, Buffer.from([0, 255, 10]));
  assert.deepEqual(d.buildsets[0]!.properties.p, [1, 'Trigger']);
  await second.stop();
});

test('nightlyTriggerable defaults to minute 0 of every hour and validates its schedule like nightly', async () => {
  const c = new IssueCollector();
  const spec = normaliseScheduler(schedulers.nightlyTriggerable({ name: 'nt', builderNames: ['b'] }), c, new Set(['b']));
  assert.deepEqual(c.issues, []);
  const d = new FakeData();
  const s = createScheduler(spec!, d.services) as NightlyTriggerableScheduler;
  await s.start();
  const next = s.nextRun()!;
  assert.equal(next.getMinutes(), 0);
  assert.ok(next.getTime() - Date.now() <= 3600_000, 'fires within the hour');
  await s.stop();
  const bad = new IssueCollector();
  normaliseScheduler(schedulers.nightlyTriggerable({ name: 'nt', builderNames: ['b'], minute: 75, overlap: 'collapse' } as any), bad, new Set(['b']));
  assert.deepEqual(bad.issues.map((i) => i.path), ['overlap', '']);
  assert.match(bad.issues[1]!.message, /invalid schedule/);
});

function jobdirFixture() {
  const root = mkdtempSync(join(tmpdir(), 'mastro-jobdir-'));
  const drop = (name: string, data: Buffer | string) => {
    // The way tryserver delivers: complete in tmp, then renamed into new.
    writeFileSync(join(root, 'tmp', name), data);
    renameSync(join(root, 'tmp', name), join(root, 'new', name));
  };
  return { root, drop, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const job = (over: Partial<Parameters<typeof formatJobFile>[0]> = {}) => formatJobFile({
  jobid: 'j1', branch: 'main', baserev: 'abc123', patchLevel: 1, patchBody: Buffer.from('--- a\n+++ b\n'), repository: 'file:///r.git',
  project: 'p', who: 'alice', comment: 'fix', builderNames: [], properties: { k: 'v' }, ...over,
});

test('tryJobdir creates tmp/new/cur, turns a dropped job file into a buildset with the patch and moves it to cur', async () => {
  const fx = jobdirFixture();
  try {
    rmSync(fx.root, { recursive: true });
    const d = new FakeData();
    const s = createScheduler(schedulers.tryJobdir({ name: 'tj', builderNames: ['a', 'b'], jobdir: fx.root }), d.services) as TryJobdirScheduler;
    await s.start();
    for (const sub of ['tmp', 'new', 'cur']) assert.ok(existsSync(join(fx.root, sub)), `${sub} created`);
    fx.drop('1.job', job({ builderNames: ['b'] }));
    await d.waitForBuildsets(1);
    const bs = d.buildsets[0]!;
    assert.deepEqual(bs.builderids, [await d.services.updates.findBuilderId('b')], 'only the requested builder');
    assert.equal(bs.external_idstring, 'j1');
    // Buildbot's Try_Jobdir leaves the comment out of the reason (it is the patch's comment).
    assert.equal(bs.reason, "'try' job by user alice");
    assert.deepEqual([bs.properties.owner, bs.properties.k], [['alice', 'Try job'], ['v', 'Try job']]);
    const [stamp] = bs.sourcestamps as any[];
    assert.deepEqual([stamp.revision, stamp.branch, stamp.repository, stamp.patch.level, stamp.patch.body.toString(), stamp.patch.author],
      ['abc123', 'main', 'file:///r.git', 1, '--- a\n+++ b\n', 'alice']);
    assert.deepEqual(readdirSync(join(fx.root, 'new')), []);
    assert.deepEqual(readdirSync(join(fx.root, 'cur')), ['1.job']);
    await s.stop();
  } finally { fx.cleanup(); }
});

test('tryJobdir logs and sets aside malformed, unknown-version, too-big and wrong-builder jobs, then still takes good ones', async () => {
  const fx = jobdirFixture();
  try {
    const d = new FakeData();
    const log = recordingLogger();
    const s = createScheduler(schedulers.tryJobdir({ name: 'tj', builderNames: ['a'], jobdir: fx.root, maxJobBytes: 4096 }), { ...d.services, logger: log.logger }) as TryJobdirScheduler;
    await s.start();
    fx.drop('1-garbage', 'this is not a job');
    fx.drop('2-version', '1:9,2:{},');
    fx.drop('3-builder', job({ builderNames: ['nope'] }));
    fx.drop('4-big', job({ patchBody: Buffer.alloc(8192, 'x') }));
    fx.drop('5-good', job({ baserev: null, who: '' }));
    await d.waitForBuildsets(1);
    await s.runNow();
    assert.equal(d.buildsets.length, 1, 'only the good job became a buildset');
    const [stamp] = d.buildsets[0]!.sourcestamps as any[];
    assert.equal(stamp.revision, null, 'no base revision: the branch head');
    assert.equal(d.buildsets[0]!.properties.owner, undefined, 'no owner without who');
    assert.deepEqual(readdirSync(join(fx.root, 'cur')).sort(), ['1-garbage', '2-version', '3-builder', '4-big', '5-good']);
    assert.deepEqual(readdirSync(join(fx.root, 'new')), [], 'nothing is left to be read again');
    const text = log.lines.join('\n');
    assert.match(text, /bad try job file .*1-garbage: not a netstring at byte 0: .*; ignored/);
    assert.match(text, /bad try job file .*2-version: unknown job file version '9'/);
    assert.match(text, /try job .*3-builder refused: builderNames: "nope" is not one of this try scheduler's builders \(a\)/);
    assert.match(text, /4-big is \d+ bytes, more than maxJobBytes 4096/);
    await s.stop();
  } finally { fx.cleanup(); }
});

test('tryJobdir picks up job files that arrived while it was stopped, by its start-up scan', async () => {
  const fx = jobdirFixture();
  try {
    const d = new FakeData();
    const spec = schedulers.tryJobdir({ name: 'tj', builderNames: ['a'], jobdir: fx.root, pollInterval: 3600 });
    const first = createScheduler(spec, d.services) as TryJobdirScheduler;
    await first.start();
    await first.stop();
    fx.drop('late', job());
    const second = createScheduler(spec, d.services) as TryJobdirScheduler;
    await second.start();
    assert.equal(d.buildsets.length, 1, 'handled during start');
    await second.stop();
  } finally { fx.cleanup(); }
});

test('a relative jobdir is resolved from the master directory; jobdir is required', () => {
  const c = new IssueCollector();
  const spec = normaliseScheduler(schedulers.tryJobdir({ name: 'tj', builderNames: ['b'], jobdir: 'jobs' }), c, new Set(['b']), '/srv/master') as any;
  assert.deepEqual(c.issues, []);
  assert.deepEqual([spec.jobdir, spec.pollInterval, spec.maxJobBytes], ['/srv/master/jobs', 10, 10 * 1024 * 1024]);
  const bad = new IssueCollector();
  normaliseScheduler({ ...schedulers.tryJobdir({ name: 'tj', builderNames: ['b'] } as any), port: 1 }, bad, new Set(['b']));
  assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['jobdir', 'port']);
  assert.ok(bad.issues.some((i) => i.path === 'jobdir' && i.message === 'is required'));
});
