/**
 * A whole build through real processes: a master process (SQLite, then PostgreSQL when
 * MASTRO_TEST_PG_URL is set) and a real mastro-worker over loopback. The build clones a real git
 * repository, runs a shell step that fails the build on failure, uploads a file to the master,
 * and its steps, logs and properties are visible through the data API.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, WORKER_CLI, freshPgDatabase, waitUntil, type MasterProcess } from './support/master-harness.js';
import { configSource } from './support/config.js';

/**
 * `sleeper`: also a builder whose only step sleeps for a minute (for the stop test); `envs`: also a
 * builder with an env of its own, whose second step sets some of the same variables (the env test).
 */
function config(dbUrl: string, repo: string, extra: { sleeper?: boolean; envs?: boolean } = {}): string {
  return configSource({ dbUrl, repo, sleeper: !!extra.sleeper, envs: !!extra.envs }, (m, v) => m.defineConfig({
    title: 'e2e',
    db: { url: v.dbUrl },
    protocols: { msgpack: { port: 0 } },
    www: null,
    workers: [m.worker('w0', 'pass')],
    builders: [
      ...(v.envs ? [m.builder({ name: 'envs', workerNames: ['w0'], env: { FROM_BUILDER: 'builder-value', BOTH: 'from-builder' }, steps: [
        m.steps.shell({ name: 'plain', command: ['sh', '-c', 'echo "plain: $FROM_BUILDER $BOTH"'] }),
        m.steps.shell({ name: 'own', command: ['sh', '-c', 'echo "own: $FROM_BUILDER $BOTH $STEP_ONLY"'], env: { BOTH: 'from-step', STEP_ONLY: 'step-value' } }),
      ] })] : []),
      ...(v.sleeper ? [m.builder({ name: 'sleeper', workerNames: ['w0'], steps: [m.steps.shell({ command: ['sleep', '60'] })] })] : []),
      m.builder({ name: 'test', workerNames: ['w0'], collapseRequests: false, steps: [
        m.steps.git({ repourl: v.repo, mode: 'incremental' }),
        m.steps.shell({ name: 'unit tests', command: ['sh', '-c', 'sh test.sh > result.txt && cat result.txt'], haltOnFailure: true }),
        m.steps.fileUpload({ workersrc: 'result.txt', masterdest: 'uploads/result.txt' }),
      ] }),
    ],
  }));
}

for (const engine of ['sqlite', 'postgresql'] as const) {
  const skip = engine === 'postgresql' && !process.env.MASTRO_TEST_PG_URL ? 'MASTRO_TEST_PG_URL is not set' : false;
  describe(`a build on ${engine} with a real master and worker`, { skip }, () => {
    let env: TestEnv;
    let master: MasterProcess;
    let dropPg: (() => Promise<void>) | null = null;
    let rev: string;
    let url = 'sqlite:state.sqlite';
    let repo: string;

    before(async () => {
      assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
      env = new TestEnv();
      if (engine === 'postgresql') {
        const pg = (await freshPgDatabase())!;
        url = pg.url;
        dropPg = pg.drop;
      }
      [repo, rev] = env.makeRepo();
      env.writeConfig(config(url, repo));
      master = await env.startMaster();
      env.startWorker('w0', master.ready.workerPort);
    });

    after(async () => {
      await env.cleanup();
      await dropPg?.();
    });

    it('runs git, shell and upload steps and reports SUCCESS with logs and properties', async () => {
      const { brids } = await master.submit(['test'], { revision: rev });
      const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.complete), 'the build to finish', 60_000);
      const steps = await master.get(['builds', build.buildid, 'steps']);
      assert.equal(build.results, 0, `build failed: ${JSON.stringify(steps.map((s) => [s.name, s.results, s.state_string]))}\n${master.output.slice(-3000)}`);
      // Step 0 is Buildbot's worker_preparation; the configured steps are numbered from 1.
      assert.deepEqual(steps.map((s) => [s.number, s.name, s.results]), [[0, 'worker_preparation', 0], [1, 'git', 0], [2, 'unit_tests', 0], [3, 'upload', 0]]);
      assert.equal(build.buildrequestid, Object.values(brids)[0]);
      const logs = await master.get(['steps', steps[2].stepid, 'logs']);
      const stdio = await master.call('get', { path: ['logs', logs[0].logid, 'contents'] });
      assert.match(JSON.stringify(stdio), /tests pass/);
      assert.equal(readFileSync(join(env.masterDir, 'uploads/result.txt'), 'utf8'), 'tests pass\n');
      const { item } = await master.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
      assert.equal(item.properties.revision[0], rev);
      assert.equal(item.properties.workername[0], 'w0');
      // The request is completed just after its build is written complete: wait for it, do not race it.
      const req = await waitUntil(async () => (await master.get(['buildrequests', Object.values(brids)[0]])).find((r) => r.complete), 'the request to complete', 30_000);
      assert.equal(req.results, 0);
    });

    it('rebuilds a finished build with the same sourcestamps', async () => {
      const [first] = await master.get(['builds']);
      await master.call('rebuild', { buildid: first.buildid });
      const again = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 2 && b.complete), 'the rebuild to finish', 60_000);
      assert.equal(again.results, 0);
      const { item } = await master.call('get', { path: ['builds', again.buildid], spec: { properties: ['revision'] } });
      assert.equal(item.properties.revision[0], rev);
    });

    it("passes the builder's env to every shell command, the step's own env winning (as Buildbot's ShellMixin)", async () => {
      env.writeConfig(config(url, repo, { envs: true }));
      assert.equal((await master.call('reconfig')).ok, true);
      const { brids } = await master.submit(['envs']);
      const brid = Object.values(brids)[0];
      const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === brid && b.complete), 'the envs build to finish', 60_000);
      const steps = await master.get(['builds', build.buildid, 'steps']);
      assert.equal(build.results, 0, JSON.stringify(steps.map((s) => [s.name, s.results, s.state_string])));
      const output = async (name: string) => {
        const step = steps.find((s) => s.name === name);
        const [log] = await master.get(['steps', step.stepid, 'logs']);
        return JSON.stringify(await master.call('get', { path: ['logs', log.logid, 'contents'] }));
      };
      assert.match(await output('plain'), /plain: builder-value from-builder/);
      assert.match(await output('own'), /own: builder-value from-step step-value/);
    });

    it('stops a running build: its command is interrupted and the build ends CANCELLED', async () => {
      // Add a builder whose only step would sleep for a minute.
      env.writeConfig(config(url, repo, { sleeper: true }));
      assert.equal((await master.call('reconfig')).ok, true);
      const started = Date.now();
      await master.submit(['sleeper']);
      const running = await waitUntil(async () => {
        const b = (await master.get(['builds'])).find((x) => !x.complete);
        if (!b) return null;
        const steps = await master.get(['builds', b.buildid, 'steps']);
        return steps.some((s) => s.started_at && !s.complete) ? b : null;
      }, 'the sleeper build to run');
      assert.equal(await master.call('stopBuild', { buildid: running.buildid, reason: 'test stop' }), true);
      const done = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildid === running.buildid && b.complete), 'the stopped build to end');
      assert.equal(done.results, 6, 'CANCELLED');
      assert.ok(Date.now() - started < 30_000, 'the command was interrupted, not waited for');
    });
  });
}
