/**
 * The nightly scheduler's schedule from Buildbot-style fields, through the same path as a config
 * (normaliseScheduler, then createScheduler): a scheduler ported from Buildbot fires when Buildbot's would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeData } from './schedulers-fake-data.js';
import { createScheduler, NightlyScheduler, NightlyTriggerableScheduler } from '../src/schedulers/create.js';
import { normaliseScheduler } from '../src/schedulers/validate.js';
import { IssueCollector } from '../src/model/config-errors.js';

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
