/**
 * The master killed with SIGKILL while a build runs, then started again: no BuildRequest is lost,
 * the interrupted build (and its step) ends RETRY, the request runs again on the worker that
 * reconnects by itself, and nothing stays "in progress".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, freePort, freshPgDatabase, gatedConfig, waitUntil } from './support/master-harness.js';

for (const engine of ['sqlite', 'postgresql'] as const) {
  const skip = engine === 'postgresql' && !process.env.MASTRO_TEST_PG_URL ? 'MASTRO_TEST_PG_URL is not set' : false;
  describe(`master SIGKILLed mid-build (${engine})`, { skip }, () => {
    it('loses no request: the interrupted build ends RETRY and the request runs again after restart', async () => {
      const env = new TestEnv();
      const pg = engine === 'postgresql' ? await freshPgDatabase() : null;
      try {
        const markDir = join(env.root, 'marks');
        mkdirSync(markDir);
        const releaseFile = join(env.root, 'release');
        const port = await freePort();
        env.writeConfig(gatedConfig({ dbUrl: pg?.url ?? 'sqlite:state.sqlite', workerPort: port, markDir, releaseFile }));
        let master = await env.startMaster();
        env.startWorker('w0', port);
        const running = await master.submit(['slow']);
        const queued = await master.submit(['slow']);
        const brids = [...Object.values(running.brids), ...Object.values(queued.brids)];
        await waitUntil(() => existsSync(join(markDir, 'started-1')), 'build 1 to be running');

        await master.kill('SIGKILL');
        writeFileSync(releaseFile, '');
        master = await env.startMaster();

        // A build is marked finished just before its request is completed: wait for both.
        const builds = await waitUntil(async () => {
          const all = await master.get(['builds']);
          if (all.filter((b) => b.complete && b.results === 0).length !== 2) return null;
          for (const brid of brids) if (!(await master.get(['buildrequests', brid]))[0]?.complete) return null;
          return all;
        }, 'both requests to build successfully after the restart', 60_000);
        const first = builds.find((b) => b.number === 1);
        assert.equal(first.results, 5, 'the interrupted build ended RETRY');
        assert.ok(builds.every((b) => b.complete), 'no build stays in progress');
        const steps = await master.get(['builds', first.buildid, 'steps']);
        assert.ok(steps.every((s) => s.complete), 'no step stays in progress');
        for (const brid of brids) {
          const [r] = await master.get(['buildrequests', brid]);
          assert.equal(r.complete, true);
          assert.equal(r.results, 0);
        }
        assert.deepEqual(new Set(builds.filter((b) => b.results === 0).map((b) => b.buildrequestid)), new Set(brids));
      } finally {
        await env.cleanup();
        await pg?.drop();
      }
    });
  });
}
