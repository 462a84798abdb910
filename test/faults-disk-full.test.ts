/**
 * The disk holding the master directory (and its SQLite database) fills up while a build streams
 * its log: a real master whose directory (SQLite database and mastro.log) is a small tmpfs, a real
 * mastro worker, a file of zeros that takes the last free byte. The master keeps answering (reads 200, writes 503 saying the disk
 * is full), the streaming build ends RETRY with the reason "disk full", and once the filler is
 * deleted the master goes on without a restart: the request runs again and new work is accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil } from './support/master-harness.js';
import { fillDisk, mountTmpfs, removeFiller, tmpfsUnavailable } from './support/tmpfs.js';
import { apiBase, apiGet, assertCompleteBuild, linesBuilds, linesConfig, settledBuilds, tryRequest, waitForStoredLines } from './support/db-outage.js';

const skip = tmpfsUnavailable();
const RERUN_LINES = 300;

describe('a full disk under the master', { skip }, () => {
  it('keeps answering, ends the streaming build RETRY "disk full", and recovers once space is back', async () => {
    const env = new TestEnv();
    try {
      const disk = mountTmpfs(env.masterDir, 24);
      env.beforeRemove.push(() => disk.unmount());
      const b = linesBuilds(env);
      // Build 1 prints until the master stops it (the worker's SIGTERM leaves a marker outside the
      // full disk); a re-run prints RERUN_LINES lines and ends.
      const stoppedMark = join(b.markDir, 'stopped-lines1-1');
      const script = [
        'i=1',
        `if [ $BUILD -eq 1 ]; then trap 'touch ${stoppedMark}; exit 143' TERM; while true; do echo "line $i"; [ $((i % 20)) -eq 0 ] && sleep 0.02; i=$((i+1)); done;`,
        `else while [ $i -le ${RERUN_LINES} ]; do echo "line $i"; i=$((i+1)); done; fi`,
      ].join('\n');
      env.writeConfig(linesConfig({ dbUrl: 'sqlite:state.sqlite', script, builders: 1 }));
      // As under `mastro start`: the master's own log goes to mastro.log on the same disk.
      const master = await env.startMaster({}, { logToFile: true });
      env.startWorker('w0', master.ready.workerPort);
      const { brids } = await master.submit(['lines1']);
      await waitForStoredLines(master, 1, 200);

      const filler = join(env.masterDir, 'filler');
      fillDisk(filler);
      const hookUrl = `http://127.0.0.1:${master.ready.httpPort}/change_hook/base`;
      const postChange = (rev: string) => tryRequest(hookUrl, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `author=a&revision=${rev}&branch=main`,
      });
      // Until the master has noticed and stopped the build, and after: reads answer, writes say why not.
      await waitUntil(async () => {
        const read = await tryRequest(`${apiBase(master)}/builds`);
        assert.equal(read.status, 200, `GET /builds with the disk full: ${read.status} ${read.body}`);
        return existsSync(stoppedMark);
      }, 'the master to stop the build that streams onto the full disk', 120_000);
      for (let i = 0; i < 3; i++) {
        const read = await tryRequest(`${apiBase(master)}/builders`);
        assert.equal(read.status, 200, `GET /builders with the disk full: ${read.status} ${read.body}`);
      }
      const hook = await postChange('r1');
      assert.equal(hook.status, 503, `a change hook with the disk full: ${hook.status} ${hook.body}`);
      assert.match(hook.body, /disk.*full/i);
      assert.equal(master.proc.exitCode, null, 'the master is still running');

      removeFiller(filler);
      const [first, rerun] = await settledBuilds(master, Object.values(brids), 180_000);
      // What the master logged while its log file could not grow is written once it can.
      await waitUntil(() => master.output.includes('disk full: the build ends RETRY'), 'the master log to tell of the full disk', 60_000);
      assert.equal(first.results, 5, `the build streaming when the disk filled ended RETRY, got ${first.results}: ${first.state_string}`);
      assert.match(first.state_string, /disk full/);
      assert.ok(rerun, 'its request ran again');
      assert.equal(rerun.buildrequestid, first.buildrequestid);
      await assertCompleteBuild(master, rerun, RERUN_LINES);

      // Writes work again without a restart: a change is accepted and a new request builds.
      const again = await postChange('r2');
      assert.equal(again.status, 200, `a change hook after the disk has room again: ${again.status} ${again.body}`);
      const next = await master.submit(['lines1']);
      const [, , third] = await settledBuilds(master, [...Object.values(brids), ...Object.values(next.brids)], 180_000);
      await assertCompleteBuild(master, third, RERUN_LINES);
      assert.equal((await apiGet(master, `buildrequests/${Object.values(next.brids)[0]}`)).buildrequests[0].results, 0);
      assert.equal(master.proc.exitCode, null, 'the master never exited');
    } finally {
      await env.cleanup();
    }
  });
});
