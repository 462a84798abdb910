/**
 * Chat reporters end to end: a real master and mastro-worker, a failing build, and two
 * chatWebhook reporters delivering through the outbox to the Slack-webhook and Matrix stand-ins
 * (test/support/standins/). The Matrix transaction id is the report's own (outbox id and time).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, freePort } from './support/master-harness.js';
import { postBaseChange, finishedBuilds } from './support/change-e2e.js';
import { startMatrixStandin, startSlackStandin } from '../packages/master/test/support/standins/index.js';

describe('chat messages from a real master', () => {
  it('a failing build is announced on a Slack webhook and in a Matrix room', async () => {
    const env = new TestEnv();
    const { server: slackServer, slack, webhookUrl } = await startSlackStandin();
    const { server: matrixServer, matrix } = await startMatrixStandin({ accessToken: 'syt_e2e_token', rooms: ['!ci:mastro.test'] });
    try {
      const port = await freePort();
      env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers, reporters, secrets, util } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${port} } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  secrets: [secrets.static({ slack: ${JSON.stringify(webhookUrl)}, matrix: 'syt_e2e_token' })],
  workers: [worker('w0', 'pass')],
  schedulers: [schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['unit'] })],
  builders: [builder({ name: 'unit', workerNames: ['w0'], steps: [steps.shell({ name: 'tests', command: ['sh', '-c', 'exit 1'] })] })],
  reporters: [
    reporters.chatWebhook({ name: 'team-slack', url: util.secret('slack') }),
    reporters.chatWebhook({ name: 'team-matrix', url: ${JSON.stringify(matrixServer.url)}, format: 'matrix', token: util.secret('matrix'), room: '!ci:mastro.test' }),
  ],
});
`);
      const master = await env.startMaster();
      env.startWorker('w0', port);
      await postBaseChange(master.ready.httpPort!, { author: 'alice', comments: 'Break it', revision: 'c0ffee', branch: 'main', repository: 'https://example.org/app.git' });
      await finishedBuilds(master, 'unit', 1);
      await slackServer.waitForAccepted(1);
      await matrixServer.waitForAccepted(1);
      assert.match(slack.messages[0]!.text!, /^unit #1 failure: BUILD FAILED: .+ http:\/\/[^ ]+#\/builders\/\d+\/builds\/1$/);
      assert.equal(matrix.events[0]!.content.body, slack.messages[0]!.text);
      assert.match(matrix.events[0]!.txnId, /^mastro-\d+-1\d{12}$/, 'the transaction id names the outbox row and its time');
      assert.ok(!master.output.includes(webhookUrl) && !master.output.includes('syt_e2e_token'), 'no secret in the log');
    } finally {
      await env.cleanup();
      await slackServer.close();
      await matrixServer.close();
    }
  });
});
