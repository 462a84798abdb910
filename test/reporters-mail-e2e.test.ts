/**
 * Mail reports end to end: a real master process and mastro-worker, changes posted to the base
 * change hook, and a real SMTP server (test/support/smtp-server.ts, the smtp-server package) that
 * the master's mailNotifier delivers to. A failing build mails its change's author (through
 * `lookup`) with the team in Cc and the tail of the failing log; the passing build after it mails
 * the next author that it is restored; a worker gone for its missingTimeout is mailed to its
 * notifyOnMissing addresses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, freePort, waitUntil } from './support/master-harness.js';
import { postBaseChange, finishedBuilds } from './support/change-e2e.js';
import { startSmtpServer } from '../packages/master/test/support/smtp-server.js';

function mailConfig(o: { workerPort: number; smtpPort: number; flag: string; extraWorker?: string }): string {
  const script = `if [ -e ${o.flag} ]; then echo all good; else for i in $(seq 1 60); do echo "test case $i failed"; done; exit 1; fi`;
  return `import { defineConfig, worker, builder, steps, schedulers, reporters, generators } from 'mastro';
export default defineConfig({
  title: 'E2E CI',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${o.workerPort} } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  workers: [worker('w0', 'pass')${o.extraWorker ? `, worker(${JSON.stringify(o.extraWorker)}, 'pass', { notifyOnMissing: ['ops@example.org'], missingTimeout: 1 })` : ''}],
  schedulers: [schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['test'] })],
  builders: [builder({ name: 'test', workerNames: ['w0'], collapseRequests: false, steps: [
    steps.shell({ name: 'unit tests', command: ['sh', '-c', ${JSON.stringify(script)}] }),
  ] })],
  reporters: [reporters.mailNotifier({
    fromaddr: 'CI <ci@example.org>', relayhost: '127.0.0.1', smtpPort: ${o.smtpPort},
    lookup: 'example.org', extraRecipients: ['team@example.org'],
    generators: [generators.buildStatus({ mode: ['failing', 'change'] }), generators.workerMissing()],
  })],
  reportDelivery: { retryInitialDelay: 0.2, retryMaxDelay: 1 },
});
`;
}

describe('mail reports through a real SMTP server', () => {
  it('a failing then passing build mails the right people, the failure with its log tail', async () => {
    const env = new TestEnv();
    const smtp = await startSmtpServer();
    try {
      const flag = join(env.root, 'fixed');
      const port = await freePort();
      env.writeConfig(mailConfig({ workerPort: port, smtpPort: smtp.port, flag }));
      const master = await env.startMaster();
      env.startWorker('w0', port);
      await postBaseChange(master.ready.httpPort!, { author: 'alice', comments: 'Break the tests', revision: 'a1', branch: 'main', repository: 'https://example.org/app.git' });
      const [failed] = await smtp.waitForMessages(1);
      assert.deepEqual(failed!.envelope.to.sort(), ['alice@example.org', 'team@example.org']);
      assert.equal((failed!.parsed.to as { text: string }).text, 'alice@example.org');
      assert.equal((failed!.parsed.cc as { text: string }).text, 'team@example.org');
      assert.equal(failed!.parsed.subject, 'Buildbot failure in E2E CI on test');
      const text = failed!.parsed.text ?? '';
      assert.match(text, /A failed build has been detected on builder test/);
      assert.match(text, /a1 by alice: Break the tests/);
      assert.match(text, /Failing step: unit_tests/);
      assert.ok(text.includes('test case 60 failed') && text.includes('test case 21 failed') && !text.includes('test case 20 failed'), `the last 40 lines of the log:\n${text}`);
      assert.match(String(failed!.parsed.html), /<pre>[\s\S]*test case 60 failed/);

      writeFileSync(flag, '');
      await postBaseChange(master.ready.httpPort!, { author: 'bob', comments: 'Fix the tests', revision: 'b2', branch: 'main', repository: 'https://example.org/app.git' });
      const [, restored] = await smtp.waitForMessages(2);
      assert.deepEqual(restored!.envelope.to.sort(), ['bob@example.org', 'team@example.org']);
      assert.equal(restored!.parsed.subject, 'Buildbot success in E2E CI on test');
      assert.match(restored!.parsed.text ?? '', /A restored build has been detected on builder test/);
      const builds = await finishedBuilds(master, 'test', 2);
      assert.deepEqual(builds.map((b) => b.results), [2, 0]);
      const [st] = await waitUntil(async () => {
        const r = await master.get(['reporters']);
        return r[0]?.delivered === 2 ? r : null;
      }, 'both mails counted as delivered');
      assert.deepEqual({ name: st.name, kind: st.kind, failed: st.failed, pending: st.pending }, { name: 'mailNotifier', kind: 'mailNotifier', failed: 0, pending: 0 });
      assert.equal(smtp.messages.length, 2, 'no other mail');
    } finally {
      await env.cleanup();
      await smtp.close();
    }
  });

  it('a worker missing for its missingTimeout is mailed to its notifyOnMissing addresses', async () => {
    const env = new TestEnv();
    const smtp = await startSmtpServer();
    try {
      const port = await freePort();
      env.writeConfig(mailConfig({ workerPort: port, smtpPort: smtp.port, flag: join(env.root, 'unused'), extraWorker: 'arm64' }));
      const master = await env.startMaster();
      const [mail] = await smtp.waitForMessages(1);
      assert.deepEqual(mail!.envelope.to, ['ops@example.org'], 'only the worker\'s notifyOnMissing, not the build recipients');
      assert.equal(mail!.parsed.subject, 'Buildbot worker arm64 missing');
      assert.match(mail!.parsed.text ?? '', /The worker named arm64 went away/);
      assert.ok(!master.output.includes('notifyOnMissing has no'), 'no warning that notifyOnMissing does nothing');
      assert.ok(!existsSync(join(env.root, 'unused')));
    } finally {
      await env.cleanup();
      await smtp.close();
    }
  });
});
