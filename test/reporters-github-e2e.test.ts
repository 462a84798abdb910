/**
 * GitHub commit statuses end to end: a real master process and mastro-worker build a change posted
 * to the base change hook for a GitHub repository, and the master's gitHubStatusPush reports to
 * the GitHub stand-in (test/support/standins/github.ts) with a token from a secret provider. The
 * stand-in refuses the first attempts (an outage) while the build runs and ends: the `pending`
 * is retried and lands first, the `success` after it, never before.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, freePort, waitUntil } from './support/master-harness.js';
import { postBaseChange, finishedBuilds } from './support/change-e2e.js';
import { startGitHubStandin } from '../packages/master/test/support/standins/index.js';

const TOKEN = 'ghp_e2eTokenForTheStandin0001';
const SHA = '1234567890abcdef1234567890abcdef12345678';

describe('GitHub commit statuses from a real master', () => {
  it('a build on a GitHub repository gets pending then success, in that order through an outage', async () => {
    const env = new TestEnv();
    const { server, github } = await startGitHubStandin({ token: TOKEN, repos: ['octo/app'] });
    try {
      const port = await freePort();
      env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers, reporters, secrets, util } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${port} } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  secrets: [secrets.static({ github: ${JSON.stringify(TOKEN)} })],
  workers: [worker('w0', 'pass')],
  schedulers: [schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['unit'] })],
  builders: [builder({ name: 'unit', workerNames: ['w0'], steps: [steps.shell({ command: ['sh', '-c', 'echo ok'] })] })],
  reporters: [reporters.gitHubStatusPush({ token: util.secret('github'), baseURL: ${JSON.stringify(server.url)} })],
  reportDelivery: { retryInitialDelay: 0.2, retryMaxDelay: 0.5 },
});
`);
      server.failNext(3, 503);
      const master = await env.startMaster();
      env.startWorker('w0', port);
      await postBaseChange(master.ready.httpPort!, { author: 'alice', comments: 'Fix it', revision: SHA, branch: 'main', repository: 'https://github.com/octo/app.git' });
      await finishedBuilds(master, 'unit', 1);
      await server.waitForAccepted(2);
      assert.deepEqual(github.statuses.map((s) => [s.repo, s.sha, s.state, s.context, s.description]), [
        ['octo/app', SHA, 'pending', 'buildbot/unit', 'Build started.'],
        ['octo/app', SHA, 'success', 'buildbot/unit', 'Build done.'],
      ]);
      const states = server.received.map((r) => (r.json as { state: string }).state);
      assert.deepEqual(states, ['pending', 'pending', 'pending', 'pending', 'success'], 'the success was sent only after its pending was accepted');
      assert.ok(server.received.every((r) => r.headers.authorization === `token ${TOKEN}`));
      const [st] = await waitUntil(async () => {
        const r = await master.get(['reporters']);
        return r[0]?.delivered === 2 ? r : null;
      }, 'both statuses counted as delivered');
      assert.deepEqual({ name: st.name, kind: st.kind, failed: st.failed, pending: st.pending }, { name: 'gitHubStatusPush', kind: 'gitHubStatusPush', failed: 0, pending: 0 });
      assert.ok(!master.output.includes(TOKEN), 'the token is in no log line');
    } finally {
      await env.cleanup();
      await server.close();
    }
  });
});
