// The janitor (src/master/janitor.ts) on a real SQLite and PostgreSQL database: old logs lose their
// content and become type 'd' as with Buildbot's JanitorConfigurator(logHorizon=...), newer ones
// keep theirs, the work goes in batches, and a stop ends a run at its next batch.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { Janitor } from '../src/master/janitor.js';

const DAY = 86400;
const quiet = pino({ level: 'silent' });

/** A build with one started step per entry of `stepAgesDays`, each with one stdio log holding one chunk. */
async function buildWithLogs(db: Db, builder: string, stepAgesDays: number[]): Promise<Array<{ stepid: number; logid: number }>> {
  const now = Math.floor(Date.now() / 1000);
  const builderid = await db.builders.findOrCreate(builder);
  const { buildid } = await db.builds.add({ builderid, buildrequestid: 1, workerid: 1, masterid: 1, state_string: '', started_at: now - stepAgesDays[0]! * DAY });
  const out = [];
  for (const [i, age] of stepAgesDays.entries()) {
    const { stepid } = await db.steps.add(buildid, `step${i}`, now - age * DAY);
    const logid = await db.logs.insert(stepid, 'stdio', 'stdio', 's');
    await db.logs.appendChunks(logid, [{ first_line: 0, last_line: 0, content: Buffer.from(`line of step ${i}\n`), compressed: 0, stream: 'o' }], 1);
    await db.logs.finish(logid);
    out.push({ stepid, logid });
  }
  return out;
}

for (const engine of engines()) {
  describe(`janitor on ${engine.name}`, () => {
    // A fresh database per test: step ids follow start times in each, as they do in a master's.
    let db: Db;
    beforeEach(async () => { db = await engine.open(); });
    afterEach(async () => { await db.close(); });

    test('logs of steps started before the horizon lose their content and become type d; newer logs keep theirs', async () => {
      const logs = await buildWithLogs(db, 'janitor-a', [400, 380, 200, 10, 1]);
      const janitor = new Janitor(db, quiet, { logHorizon: 365 * DAY, interval: DAY, batchSize: 2 });
      const run = await janitor.runOnce();
      assert.equal(run.emptiedLogs, 2);
      assert.ok(run.batches >= 2, `the work went in batches of 2 logs (${run.batches} batches)`);
      for (const [i, l] of logs.entries()) {
        const row = await db.logs.get(l.logid);
        const chunks = await db.logs.chunks(l.logid, 0, 10);
        if (i < 2) {
          assert.equal(row?.type, 'd', `log of step ${i} is marked deleted`);
          assert.deepEqual(chunks, [], `log of step ${i} has no content left`);
        } else {
          assert.equal(row?.type, 's', `log of step ${i} is kept`);
          assert.equal(chunks.length, 1, `log of step ${i} keeps its content`);
        }
      }
      assert.equal((await janitor.runOnce()).emptiedLogs, 0, 'a second run finds nothing more to delete');
    });

    test('the newest step started before a time is found, steps never started are skipped', async () => {
      const now = Math.floor(Date.now() / 1000);
      const builderid = await db.builders.findOrCreate('janitor-b');
      const { buildid } = await db.builds.add({ builderid, buildrequestid: 1, workerid: 1, masterid: 1, state_string: '', started_at: now });
      const before = await db.steps.lastStartedBefore(now - 1000 * DAY);
      const old = await db.steps.add(buildid, 'old', now - 900 * DAY);
      await db.steps.add(buildid, 'never started', null);
      await db.steps.add(buildid, 'new', now);
      assert.equal(before, null, 'nothing started that long ago');
      assert.equal(await db.steps.lastStartedBefore(now - 899 * DAY), old.stepid);
    });

    test('a stop ends a run at its next batch and leaves the rest for the next run', async () => {
      await buildWithLogs(db, 'janitor-c', [500, 500, 500, 500, 500, 500]);
      const janitor = new Janitor(db, quiet, { logHorizon: 365 * DAY, interval: DAY, batchSize: 1 });
      const running = janitor.runOnce();
      await janitor.stop();
      const first = await running;
      assert.ok(first.emptiedLogs < 6, `the stopped run emptied ${first.emptiedLogs} of 6 logs`);
      const rest = await new Janitor(db, quiet, { logHorizon: 365 * DAY, interval: DAY, batchSize: 1000 }).runOnce();
      assert.equal(first.emptiedLogs + rest.emptiedLogs, 6);
    });

    test('without settings the janitor does nothing', async () => {
      const logs = await buildWithLogs(db, 'janitor-d', [700]);
      const janitor = new Janitor(db, quiet, null);
      janitor.start();
      assert.equal((await janitor.runOnce()).emptiedLogs, 0);
      await janitor.stop();
      assert.equal((await db.logs.get(logs[0]!.logid))?.type, 's');
    });
  });
}
