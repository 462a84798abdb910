import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeData } from './support/schedulers-fake-data.js';
import { createScheduler, ForceParamError, type AnyScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import type { AnyBranchScheduler, SingleBranchScheduler, ForceScheduler, TriggerableScheduler, NightlyScheduler } from '../src/schedulers/create.js';

const running = new Set<AnyScheduler>();
afterEach(async () => { for (const s of running) await s.stop(); running.clear(); });
async function started<T extends AnyScheduler>(s: T): Promise<T> { await s.start(); running.add(s); return s; }

test('anyBranch without a tree-stable timer builds every change at once, with the change sourcestamp', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['test'], treeStableTimer: null, properties: { x: 1 } }), d.services) as AnyBranchScheduler);
  const c1 = d.change({ branch: 'main' });
  d.change({ branch: 'feature' });
  await d.waitForBuildsets(2);
  await s.idle();
  const [b1, b2] = d.buildsets;
  assert.deepEqual(b1!.sourcestamps, [c1.sourcestamp.ssid]);
  assert.equal(b1!.scheduler, 'all');
  assert.deepEqual(b1!.builderids, [1]);
  assert.deepEqual(b1!.properties, { scheduler: ['all', 'Scheduler'], x: [1, 'Scheduler'] });
  assert.equal(b1!.reason, "The AnyBranchScheduler scheduler named 'all' triggered this build");
  assert.deepEqual(b2!.sourcestamps, [102]);
  await s.stop();
});

test('a burst of changes within the tree-stable timer becomes one buildset per branch', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['test'], treeStableTimer: 0.05 }), d.services) as AnyBranchScheduler);
  d.change({ branch: 'main' }); d.change({ branch: 'main' }); const last = d.change({ branch: 'main' });
  const other = d.change({ branch: 'dev' });
  await d.waitForBuildsets(2);
  await s.idle();
  await new Promise((r) => setTimeout(r, 80)); // no further timer may fire: both trees were flushed
  await s.idle();
  assert.equal(d.buildsets.length, 2);
  const all = d.buildsets.map((b) => b.sourcestamps[0]).sort();
  assert.deepEqual(all, [last.sourcestamp.ssid, other.sourcestamp.ssid].sort());
  await s.stop();
});

test('singleBranch only builds its branch and honours change filters and fileIsImportant', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.singleBranch({
    name: 'main', builderNames: ['a', 'b'], branch: 'main',
    changeFilter: { repository: /repo\.git$/, project: ['', 'p'], category: (c) => c !== 'skip' },
    fileIsImportant: (c) => !(c.files ?? []).every((f) => f.endsWith('.md')),
  }), d.services) as SingleBranchScheduler);
  d.change({ branch: 'dev' });
  d.change({ branch: 'main', repository: 'file:///other' });
  d.change({ branch: 'main', category: 'skip' });
  d.change({ branch: 'main', files: ['docs.md'] });
  const good = d.change({ branch: 'main', files: ['src/a.c'] });
  await d.waitForBuildsets(1);
  await s.idle();
  assert.equal(d.buildsets.length, 1);
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [good.sourcestamp.ssid]);
  assert.deepEqual(d.buildsets[0]!.builderids, [1, 2]);
  await s.stop();
});

test('configured codebases without a change get their default sourcestamp', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.anyBranch({
    name: 'multi', builderNames: ['t'], codebases: { app: {}, lib: { repository: 'file:///lib.git', branch: 'stable', revision: 'abc' } },
  }), d.services) as AnyBranchScheduler);
  const c = d.change({ codebase: 'app' });
  await d.waitForBuildsets(1);
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [
    { codebase: 'lib', repository: 'file:///lib.git', branch: 'stable', revision: 'abc', project: '' },
    c.sourcestamp.ssid,
  ]);
  await s.stop();
});

test('a stopped scheduler ignores new changes', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['t'] }), d.services) as AnyBranchScheduler);
  await s.stop();
  d.change();
  await s.idle();
  assert.equal(d.buildsets.length, 0);
});

test('force creates a buildset from typed parameters and refuses bad ones with every error', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.force({
    name: 'force', builderNames: ['a', 'b'],
    parameters: [
      schedulers.params.int({ name: 'jobs', default: 2 }),
      schedulers.params.boolean({ name: 'clean' }),
      schedulers.params.choice({ name: 'target', choices: ['debug', 'release'] }),
      schedulers.params.string({ name: 'ticket', regex: /^[A-Z]+-\d+$/, required: true }),
    ],
  }), d.services) as ForceScheduler);
  const r = await s.force({ owner: 'bob', builderNames: ['b'], params: { reason: 'try it', branch: 'main', revision: 'abc123', jobs: '8', clean: 'true', target: 'release', ticket: 'CI-42' } });
  assert.deepEqual(r, { bsid: 1, brids: { 1: 1 } });
  const bs = d.buildsets[0]!;
  assert.deepEqual(bs.sourcestamps, [{ codebase: '', branch: 'main', revision: 'abc123', repository: '', project: '' }]);
  assert.equal(bs.reason, "A build was forced by 'bob': try it");
  assert.deepEqual(bs.properties, {
    scheduler: ['force', 'Scheduler'], jobs: [8, 'Force Build Form'], clean: [true, 'Force Build Form'], target: ['release', 'Force Build Form'],
    ticket: ['CI-42', 'Force Build Form'], reason: ['try it', 'Force Build Form'], owner: ['bob', 'Force Build Form'],
  });
  await assert.rejects(s.force({ builderNames: ['zzz'], params: { jobs: 'many', clean: 'maybe', target: 'fast' } }), (err: unknown) => {
    assert.ok(err instanceof ForceParamError);
    assert.deepEqual(Object.keys(err.errors).sort(), ['builderNames', 'clean', 'jobs', 'target', 'ticket']);
    assert.equal(err.errors.jobs, 'must be an integer, got "many"');
    assert.equal(err.errors.ticket, 'is required');
    assert.match(err.errors.target!, /must be one of "debug", "release", got "fast"/);
    return true;
  });
  assert.equal(d.buildsets.length, 1);
  const api = s.toApi();
  assert.equal(api.name, 'force');
  assert.ok((api.all_fields as any[]).some((f) => f.name === 'ticket' && f.required === true));
  await s.stop();
});

test('force with several codebases takes per-codebase branch and revision fields', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.force({ name: 'f', builderNames: ['a'], codebases: ['app', { name: 'lib', branch: 'stable' }] }), d.services) as ForceScheduler);
  await s.force({ params: { app_branch: 'feature', lib_revision: 'deadbeef' } });
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [
    { codebase: 'app', branch: 'feature', revision: '', repository: '', project: '' },
    { codebase: 'lib', branch: 'stable', revision: 'deadbeef', repository: '', project: '' },
  ]);
  await s.stop();
});

test('triggerable returns the buildset ids and resolves with the result when the buildset completes', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.triggerable({ name: 'deploy', builderNames: ['d1', 'd2'] }), d.services) as TriggerableScheduler);
  const h = await s.trigger({
    waitedFor: true, parentBuildid: 7, properties: { version: ['1.2', 'Trigger'] },
    sourcestamps: [{ ssid: 55, codebase: '', repository: 'r', branch: 'main', revision: 'x', project: '' }],
  });
  assert.equal(h.bsid, 1);
  assert.deepEqual(h.brids, { 1: 1, 2: 2 });
  const bs = d.buildsets[0]!;
  assert.equal(bs.waited_for, true);
  assert.equal(bs.parent_buildid, 7);
  assert.deepEqual(bs.sourcestamps, [55]);
  assert.deepEqual(bs.properties!.version, ['1.2', 'Trigger']);
  d.completeBuildset(99, 0); // another buildset: ignored
  d.completeBuildset(1, 2);
  assert.deepEqual(await h.finished, { results: 2 });
  await s.stop();
});

test('periodic builds at start, then every interval, and persists its last build time', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.periodic({ name: 'p', builderNames: ['t'], periodicBuildTimer: 0.05, branch: 'main' }), d.services));
  await d.waitForBuildsets(2);
  await s.stop();
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [{ codebase: '', repository: '', branch: 'main', revision: null, project: '' }]);
  assert.equal(typeof d.state.get('p/PeriodicScheduler/last_build'), 'number');
});

test('a restarted periodic scheduler waits for the rest of its interval', async () => {
  const d = new FakeData();
  d.state.set('p/PeriodicScheduler/last_build', Date.now() / 1000);
  const s = await started(createScheduler(schedulers.periodic({ name: 'p', builderNames: ['t'], periodicBuildTimer: 3600 }), d.services));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(d.buildsets.length, 0);
  await s.stop();
});

test('nightly fires on its cron schedule in the given time zone', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.nightly({ name: 'n', builderNames: ['t'], cron: '* * * * * *', timeZone: 'Europe/Berlin', branch: 'main' }), d.services) as NightlyScheduler);
  assert.ok(s.nextRun() instanceof Date);
  await d.waitForBuildsets(1);
  await s.stop();
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [{ codebase: '', repository: '', branch: 'main', revision: null, project: '' }]);
});

test('nightly with onlyIfChanged builds only when an important change arrived, then forgets it', async () => {
  const d = new FakeData();
  const s = await started(createScheduler(schedulers.nightly({
    name: 'n', builderNames: ['t'], hour: 3, onlyIfChanged: true, branch: 'main', fileIsImportant: (c) => !(c.files ?? []).includes('NEWS'),
  }), d.services) as NightlyScheduler);
  await s.runNow();
  assert.equal(d.buildsets.length, 0, 'no change: no build');
  d.change({ branch: 'main', files: ['NEWS'] });
  d.change({ branch: 'dev' });
  await s.runNow();
  assert.equal(d.buildsets.length, 0, 'only an unimportant change: no build');
  const c = d.change({ branch: 'main', files: ['x.c'] });
  await s.runNow();
  assert.equal(d.buildsets.length, 1);
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [c.sourcestamp.ssid]);
  await s.runNow();
  assert.equal(d.buildsets.length, 1, 'changes are consumed by the build');
  await s.stop();
});

test('an unknown scheduler kind cannot be created', () => {
  const d = new FakeData();
  assert.throws(() => createScheduler({ kind: 'weekly', name: 'x', builderNames: [] } as any, d.services), /unknown scheduler kind 'weekly'/);
});
