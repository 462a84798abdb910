/**
 * The nightly scheduler's schedule from Buildbot-style fields, through the same path as a config
 * (normaliseScheduler, then createScheduler): a scheduler ported from Buildbot fires when Buildbot's would;
 * and `onlyIfChanged` on the real data layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeData } from './support/schedulers-fake-data.js';
import { createScheduler, type NightlyScheduler, type NightlyTriggerableScheduler } from '../src/schedulers/create.js';
import { normaliseScheduler } from '../src/schedulers/validate.js';
import { IssueCollector } from '../src/model/config-errors.js';
import { schedulers } from '../src/schedulers/specs.js';
import { schedulersOnDataLayer, change } from './support/schedulers-data-layer.js';

async function startedFromConfig(raw: Record<string, unknown>): Promise<NightlyScheduler | NightlyTriggerableScheduler> {
  const c = new IssueCollector();
  const spec = normaliseScheduler({ builderNames: ['t'], ...raw }, c.at('schedulers').at(0), new Set(['t']));
  assert.deepEqual(c.issues, []);
  assert.ok(spec);
  const s = createScheduler(spec, new FakeData().services) as NightlyScheduler | NightlyTriggerableScheduler;
  await s.start();
  return s;
}

test('a nightly scheduler with dayOfWeek 0 fires on Mondays, as Buildbot counts from Monday = 0', async () => {
  const s = await startedFromConfig({ kind: 'nightly', name: 'weekly', dayOfWeek: 0, hour: 3, timeZone: 'UTC' });
  try {
    const next = s.nextRun()!;
    assert.equal(next.getUTCDay(), 1, `next run ${next.toISOString()} should be a Monday`);
    assert.equal(next.getUTCHours(), 3);
    assert.equal(next.getUTCMinutes(), 0);
  } finally { await s.stop(); }
});

test('a nightly scheduler given only a minute fires every hour, as Buildbot defaults hour to every hour', async () => {
  const s = await startedFromConfig({ kind: 'nightly', name: 'hourly', minute: 30, timeZone: 'UTC' });
  try {
    const next = s.nextRun()!;
    assert.equal(next.getUTCMinutes(), 30);
    assert.ok(next.getTime() - Date.now() <= 60 * 60_000, `next run ${next.toISOString()} should be within the hour`);
  } finally { await s.stop(); }
});

test('a nightlyTriggerable scheduler with dayOfWeek 6 runs on Sundays', async () => {
  const s = await startedFromConfig({ kind: 'nightlyTriggerable', name: 'nt', dayOfWeek: 6, hour: 2, timeZone: 'UTC' });
  try {
    const next = s.nextRun()!;
    assert.equal(next.getUTCDay(), 0, `next run ${next.toISOString()} should be a Sunday`);
  } finally { await s.stop(); }
});

// On the real data layer (SQLite in memory), fired by the test with runNow() as its cron would.
test('nightly onlyIfChanged builds only when a codebase moved past its last built revision, also across a restart', async () => {
  const s = await schedulersOnDataLayer();
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
