/**
 * The PostgreSQL server goes away while builds print their logs, and comes back: a real master on a
 * PostgreSQL server of the test's own (stopped with `pg_ctl stop -m immediate`, a crash), a real
 * mastro worker. Builds whose commands end during the outage keep their results, every log line is
 * stored once and in order, steps and logs are finished; the API answers 503 meanwhile. With a
 * small `db.outageBufferSize` the buffer fills: the build ends RETRY, the dropped lines are marked
 * in its log, and the request runs again once the database is back.
 * The 10-minute outage is in faults-db-outage-long.test.ts (so it runs beside the other files).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, waitUntil } from './support/master-harness.js';
import { PgServer, pgServerUnavailable } from './support/pg-server.js';
import { apiGet, assertCompleteBuild, linesBuilds, linesConfig, linesScript, printedLog, runOutage, settledBuilds, waitForStoredLines } from './support/db-outage.js';

const skip = pgServerUnavailable();
const LINES = 800;

describe('a PostgreSQL outage during builds', { skip }, () => {
  it('a 60 s outage: every build keeps its result, every log line is stored once and in order, and the API answers 503 meanwhile', async () => {
    await runOutage({ outageMs: 60_000, builds: 3, lines: LINES });
  });

  it('a buffer too small for the outage: the build ends RETRY, the dropped lines are marked in its log, and the request runs again', async () => {
    const pg = await PgServer.start();
    const env = new TestEnv();
    try {
      const b = linesBuilds(env);
      // The first half (~19 KB) is stored before the outage; 6000 bytes hold a little of the second half (~21 KB).
      env.writeConfig(linesConfig({ dbUrl: pg.url, db: { outageBufferSize: 6000 }, script: linesScript(b, 4000), builders: 1 }));
      const master = await env.startMaster();
      env.startWorker('w0', master.ready.workerPort);
      const { brids } = await master.submit(['lines1']);
      await waitUntil(() => b.halfDone(1), 'the build to print its first half', 120_000);
      await waitForStoredLines(master, 1, 2000);
      pg.stop('immediate');
      const stoppedAt = Date.now();
      b.go();
      // The build prints the rest, or is stopped sooner once lines had to be dropped.
      await waitUntil(() => b.allDone(1) || master.output.includes('log output dropped: the build ends RETRY'), 'the build to print the rest or be stopped', 120_000);
      // A 20 s outage (the scenario, not a wait for luck).
      await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 20_000 - Date.now())));
      pg.startAgain();

      const [first, second] = await settledBuilds(master, Object.values(brids), 180_000);
      assert.equal(first.results, 5, `the build that overflowed the buffer ended RETRY, got ${first.results}: ${first.state_string}`);
      assert.match(first.state_string, /database/, 'its state says why');
      const { raw, log } = await printedLog(master, first.buildid);
      assert.equal(log.complete, true, 'its log is closed');
      const marker = raw.split('\n').find((l) => /^\.\.\. \d+ lines? \(\d+ bytes\) of output (were|was) dropped here: .*db\.outageBufferSize/.test(l));
      assert.ok(marker, `the dropped lines are marked where they were; the log ends with:\n${raw.slice(-800)}`);
      // Lines before the gap are all there, in order.
      const numbered = raw.split('\n').filter((l) => l.startsWith('line ')).map((l) => Number(l.slice(5)));
      assert.deepEqual(numbered.slice(0, 2000), Array.from({ length: 2000 }, (_, i) => i + 1), 'the first half is stored whole');
      assert.ok(numbered.every((n, i) => i === 0 || n > numbered[i - 1]!), 'what is stored is in order');

      assert.ok(second, 'the request ran again');
      assert.equal(second.buildrequestid, first.buildrequestid);
      await assertCompleteBuild(master, second, 4000);
      const [req] = (await apiGet(master, `buildrequests/${Object.values(brids)[0]}`)).buildrequests;
      assert.equal(req.results, 0, 'the request completed SUCCESS with the re-run');
    } finally {
      await env.cleanup();
      pg.destroy();
    }
  });
});
