/**
 * mailNotifier against a real SMTP server on loopback (test/support/smtp-server.ts, the
 * smtp-server package): who gets a build's mail (interested users through lookup, extraRecipients
 * in Cc or To), the HTML and text parts, attached logs, a missing worker's mail, SMTP login with a
 * secret password, and a mail nobody can receive failing with a reason.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters, generators } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import { Secret } from '../src/process/renderables.js';
import type { Report, Reporter, ReportEvent } from '../src/reporters/base.js';

let seq = 100;
const finished = (buildid: number): ReportEvent => ({ id: ++seq, kind: ReportEvents.buildFinished, subjectId: buildid, payload: null });

describe('mailNotifier', () => {
  let f: ReportFixture; let smtp: TestSmtpServer;
  before(async () => { f = await ReportFixture.open(); });
  after(async () => { await f.close(); });
  afterEach(async () => { await smtp?.close(); });

  async function deliver(r: Reporter, event: ReportEvent, ctx = f.context()): Promise<Report | null> {
    for (const g of r.generators) {
      if (!g.wantedEvents.includes(event.kind)) continue;
      const report = await g.generate(ctx, event);
      if (report) { await r.send(report, ctx); return report; }
    }
    return null;
  }

  test("a failing build mails the changes' authors (through lookup) with extraRecipients in Cc, in HTML and text, with the log tail", async () => {
    smtp = await startSmtpServer();
    const lines = Array.from({ length: 60 }, (_, i) => `FAIL case ${i + 1}`);
    const b = await f.build({ builder: 'unit', author: 'carol', steps: [{ name: 'test', results: Results.FAILURE, lines }] });
    const r = createReporter(reporters.mailNotifier({
      fromaddr: 'CI <ci@example.org>', relayhost: smtp.host, smtpPort: smtp.port, lookup: 'example.org', extraRecipients: ['team@example.org'],
    }));
    await deliver(r, finished(b.buildid));
    const [m] = await smtp.waitForMessages(1);
    assert.deepEqual(m!.envelope.to.sort(), ['carol@example.org', 'team@example.org']);
    assert.equal(m!.parsed.to && 'text' in m!.parsed.to ? m!.parsed.to.text : '', 'carol@example.org');
    assert.match(String((m!.parsed.cc as { text?: string })?.text), /team@example\.org/);
    assert.equal(m!.parsed.subject, 'Buildbot failure in Test CI on unit');
    assert.match(String(m!.parsed.html), /Failing step: test/);
    assert.match(String(m!.parsed.html), /FAIL case 60/);
    assert.match(m!.parsed.text ?? '', /Last 40 lines of its log stdio/);
    assert.ok((m!.parsed.text ?? '').includes('FAIL case 21') && !(m!.parsed.text ?? '').includes('FAIL case 20\n'), 'the last 40 lines');
  });

  test('without interested users the extra recipients are in To; a mapping lookup and git-style "Name <addr>" authors work', async () => {
    smtp = await startSmtpServer();
    const r = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, sendToInterestedUsers: false, extraRecipients: ['all@example.org'], generators: [generators.buildStatus({ mode: 'all' })] }));
    await deliver(r, finished((await f.build({ builder: 'x1', author: 'dan' })).buildid));
    const [m] = await smtp.waitForMessages(1);
    assert.deepEqual(m!.envelope.to, ['all@example.org']);
    const mapped = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, lookup: { erin: 'erin@corp.example' }, generators: [generators.buildStatus({ mode: 'all' })] }));
    await deliver(mapped, finished((await f.build({ builder: 'x2', author: 'erin' })).buildid));
    await deliver(mapped, finished((await f.build({ builder: 'x3', author: 'Frank <frank@example.org>' })).buildid));
    const got = await smtp.waitForMessages(3);
    assert.deepEqual(got[1]!.envelope.to, ['erin@corp.example']);
    assert.deepEqual(got[2]!.envelope.to, ['frank@example.org']);
  });

  test('addLogs attaches the logs as text files', async () => {
    smtp = await startSmtpServer();
    const b = await f.build({ builder: 'att', author: 'gina@example.org', steps: [{ name: 'compile', lines: ['cc -c a.c'] }, { name: 'test', results: Results.FAILURE, lines: ['not ok 1'] }] });
    const r = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, generators: [generators.buildStatus({ mode: 'failing', addLogs: ['test.stdio'] })] }));
    await deliver(r, finished(b.buildid));
    const [m] = await smtp.waitForMessages(1);
    assert.deepEqual(m!.parsed.attachments.map((a) => a.filename), ['test.stdio']);
    assert.equal(m!.parsed.attachments[0]!.content.toString('utf8'), 'not ok 1\n');
  });

  test("a missing worker's mail goes to its notifyOnMissing addresses", async () => {
    smtp = await startSmtpServer();
    const r = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, extraRecipients: ['not-for-workers@example.org'] }));
    await deliver(r, { id: ++seq, kind: ReportEvents.workerMissing, subjectId: 3, payload: { name: 'arm64', notify: ['ops@example.org'], missingTimeout: 3600, lastConnection: null } });
    const [m] = await smtp.waitForMessages(1);
    assert.deepEqual(m!.envelope.to, ['ops@example.org']);
    assert.equal(m!.parsed.subject, 'Buildbot worker arm64 missing');
    assert.match(m!.parsed.text ?? '', /The worker named arm64 went away/);
  });

  test('a mail nobody can receive fails for good, saying why and what to do', async () => {
    smtp = await startSmtpServer();
    const r = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, generators: [generators.buildStatus({ mode: 'all' })] }));
    const err = await deliver(r, finished((await f.build({ builder: 'nobody', author: 'henry' })).buildid)).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && !err.retryable, String(err));
    assert.match(err.message, /nobody to mail: .*no address for henry: give a lookup.*add extraRecipients or a lookup/);
    assert.equal(smtp.messages.length, 0);
  });

  test('logs in with smtpUser and a secret smtpPassword; a refused login is permanent and its text holds no password', async () => {
    smtp = await startSmtpServer({ auth: { user: 'ci', password: 'Mail-S3cret-pw' } });
    const b = await f.build({ builder: 'login', author: 'ivy@example.org' });
    const ok = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, smtpUser: 'ci', smtpPassword: Secret('smtp'), generators: [generators.buildStatus({ mode: 'all' })] }));
    const ctx = f.context({ getSecret: async (n) => (n === 'smtp' ? 'Mail-S3cret-pw' : undefined) });
    await deliver(ok, finished(b.buildid), ctx).catch((e) => { throw e; });
    const [m] = await smtp.waitForMessages(1);
    assert.equal(m!.user, 'ci');
    const wrong = createReporter(reporters.mailNotifier({ fromaddr: 'ci@example.org', relayhost: smtp.host, smtpPort: smtp.port, smtpUser: 'ci', smtpPassword: 'Wrong-S3cret-pw', generators: [generators.buildStatus({ mode: 'all' })] }));
    const err = await deliver(wrong, finished(b.buildid)).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && !err.retryable, String(err));
    assert.ok(!err.message.includes('Wrong-S3cret-pw'));
  });
});
