/**
 * The reporters' SMTP transport against a real SMTP server on loopback (test/support/smtp-server.ts):
 * the parts of a mail arrive as sent, a login over STARTTLS or implicit TLS with a CA made for this
 * run, and the failures a mail notifier meets (a wrong password, a refused recipient, a relay that
 * defers, one that is down, one that offers no STARTTLS) each classified and explained.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail, type MailMessage, type SmtpOptions } from '../src/reporters/transport/smtp.js';
import { TransportError, TransportErrorCodes as C } from '../src/reporters/transport/errors.js';
import { startSmtpServer, type TestSmtpServer, type TestSmtpServerOptions } from '../../../test/support/smtp-server.js';
import { makeTestCa } from '../../../test/support/test-ca.js';
import { freePort } from '../../../test/support/master-harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-smtp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ca = makeTestCa(tmp);
const servers: TestSmtpServer[] = [];
afterEach(async () => { while (servers.length) await servers.pop()!.close(); });

async function smtp(o: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const s = await startSmtpServer(o);
  servers.push(s);
  return s;
}

const PASSWORD = 'Sm7pPassw0rd-secret';
const mail = (over: Partial<MailMessage> = {}): MailMessage => ({
  from: 'mastro <ci@example.org>',
  to: ['ada@example.org'],
  subject: 'Build failed: test on main',
  text: 'The build failed.\nlast lines of the log',
  ...over,
});

async function rejection(opts: SmtpOptions, m: MailMessage = mail()): Promise<TransportError> {
  try { await sendMail(opts, m); } catch (e) { assert.ok(e instanceof TransportError, `expected a TransportError, got ${String(e)}`); return e; }
  assert.fail('the mail was sent but should have failed');
}

test('a mail with text and HTML parts, an attachment, To and Cc reaches the server as sent', async () => {
  const s = await smtp();
  const res = await sendMail({ relayhost: s.host, smtpPort: s.port }, mail({
    to: ['ada@example.org', 'bob@example.org'],
    cc: ['team@example.org'],
    bcc: ['audit@example.org'],
    html: '<p>The build <b>failed</b>.</p>',
    attachments: [{ filename: 'step-test.log', content: 'line 1\nline 2 ✗\n' }, { filename: 'core.bin', content: new Uint8Array([0, 1, 2, 255]), contentType: 'application/octet-stream' }],
    headers: { 'X-Mastro-Builder': 'test' },
  }));
  assert.deepEqual(res.accepted.sort(), ['ada@example.org', 'audit@example.org', 'bob@example.org', 'team@example.org']);
  assert.deepEqual(res.rejected, []);
  assert.match(res.response, /^250/);
  const [got] = await s.waitForMessages(1);
  assert.equal(got!.envelope.from, 'ci@example.org');
  assert.deepEqual(got!.envelope.to.sort(), ['ada@example.org', 'audit@example.org', 'bob@example.org', 'team@example.org']);
  const p = got!.parsed;
  assert.equal(p.subject, 'Build failed: test on main');
  assert.deepEqual(p.from?.value, [{ name: 'mastro', address: 'ci@example.org' }]);
  assert.equal((Array.isArray(p.to) ? p.to[0] : p.to)?.text, 'ada@example.org, bob@example.org');
  assert.equal((Array.isArray(p.cc) ? p.cc[0] : p.cc)?.text, 'team@example.org');
  assert.equal(p.bcc, undefined, 'Bcc must not be in the headers');
  assert.equal(p.text?.trim(), 'The build failed.\nlast lines of the log');
  assert.equal(p.html, '<p>The build <b>failed</b>.</p>');
  assert.equal(p.headers.get('x-mastro-builder'), 'test');
  assert.equal(p.messageId, res.messageId);
  assert.deepEqual(p.attachments.map((a) => [a.filename, a.content.toString('utf8')]).slice(0, 1), [['step-test.log', 'line 1\nline 2 ✗\n']]);
  assert.deepEqual([...p.attachments[1]!.content], [0, 1, 2, 255]);
  assert.equal(p.attachments[1]!.contentType, 'application/octet-stream');
});

test('useTls logs in over STARTTLS to a server whose certificate the reporter\'s CA vouches for', async () => {
  const s = await smtp({ tls: { cert: ca.cert, key: ca.key }, auth: { user: 'ci', password: PASSWORD } });
  await sendMail({ relayhost: s.host, smtpPort: s.port, useTls: true, smtpUser: 'ci', smtpPassword: PASSWORD, ca: ca.caFile }, mail());
  const [got] = await s.waitForMessages(1);
  assert.equal(got!.user, 'ci');
  assert.equal(got!.secure, true);
});

test('STARTTLS verifies the certificate: without the CA the mail is not sent and the error names the ca option', async () => {
  const s = await smtp({ tls: { cert: ca.cert, key: ca.key }, auth: { user: 'ci', password: PASSWORD } });
  const err = await rejection({ relayhost: s.host, smtpPort: s.port, useTls: true, smtpUser: 'ci', smtpPassword: PASSWORD });
  assert.equal(err.code, C.TLS);
  assert.match(err.message, /not trusted .*ca option/);
  assert.equal(s.messages.length, 0);
});

test('a wrong password is a permanent AUTH error that names the user and never the password', async () => {
  const s = await smtp({ tls: { cert: ca.cert, key: ca.key }, auth: { user: 'ci', password: PASSWORD } });
  const err = await rejection({ relayhost: s.host, smtpPort: s.port, useTls: true, smtpUser: 'ci', smtpPassword: 'Wr0ng-Passw0rd-value', ca: ca.caPem });
  assert.equal(err.code, C.AUTH);
  assert.equal(err.retryable, false);
  assert.equal(err.status, 535);
  assert.match(err.message, /refused the login of ci .*535.*check smtpUser and smtpPassword/);
  assert.doesNotMatch(`${err.message} ${err.detail}`, /Wr0ng-Passw0rd-value/);
  assert.deepEqual(s.refusedLogins, ['ci']);
});

test('useSmtps speaks TLS from the first byte and still verifies the certificate', async () => {
  const s = await smtp({ implicitTls: true, tls: { cert: ca.cert, key: ca.key }, auth: { user: 'ci', password: PASSWORD } });
  await sendMail({ relayhost: 'localhost', smtpPort: s.port, useSmtps: true, smtpUser: 'ci', smtpPassword: PASSWORD, ca: ca.caPem }, mail());
  const [got] = await s.waitForMessages(1);
  assert.equal(got!.secure, true);
  const err = await rejection({ relayhost: s.host, smtpPort: s.port, useSmtps: true, smtpUser: 'ci', smtpPassword: PASSWORD });
  assert.equal(err.code, C.TLS);
});

test('useTls against a server that offers no STARTTLS is a permanent error that says which option to change', async () => {
  const s = await smtp();
  const err = await rejection({ relayhost: s.host, smtpPort: s.port, useTls: true });
  assert.equal(err.retryable, false);
  assert.match(err.message, /useTls insists on STARTTLS but the server does not offer it/);
});

test('a login asked for where the server offers none says to use TLS or leave smtpUser unset', async () => {
  const s = await smtp();
  const err = await rejection({ relayhost: s.host, smtpPort: s.port, smtpUser: 'ci', smtpPassword: PASSWORD });
  assert.equal(err.retryable, false);
  assert.match(err.message, /offers no login on this connection/);
});

test('one refused recipient among others is reported back with the server\'s reply while the rest get the mail', async () => {
  const s = await smtp({ refuseRecipients: ['gone@example.org'] });
  const res = await sendMail({ relayhost: s.host, smtpPort: s.port }, mail({ to: ['ada@example.org', 'gone@example.org'] }));
  assert.deepEqual(res.accepted, ['ada@example.org']);
  assert.equal(res.rejected.length, 1);
  assert.equal(res.rejected[0]!.address, 'gone@example.org');
  assert.match(res.rejected[0]!.reply, /550 .*User unknown/);
  const [got] = await s.waitForMessages(1);
  assert.deepEqual(got!.envelope.to, ['ada@example.org']);
});

test('a mail whose every recipient is refused is a permanent error naming them', async () => {
  const s = await smtp({ refuseRecipients: ['gone@example.org'] });
  const err = await rejection({ relayhost: s.host, smtpPort: s.port }, mail({ to: ['gone@example.org'] }));
  assert.equal(err.code, C.REFUSED);
  assert.equal(err.retryable, false);
  assert.match(err.message, /refused the recipient\(s\) gone@example\.org.*check the addresses/);
});

test('a relay that defers the mail with 451 gives a retryable error with its reply', async () => {
  const s = await smtp({ deferAll: true });
  const err = await rejection({ relayhost: s.host, smtpPort: s.port });
  assert.equal(err.code, C.SERVER_ERROR);
  assert.equal(err.retryable, true);
  assert.equal(err.status, 451);
  assert.match(err.message, /deferred the mail .*451.*it will be retried/);
});

test('a relay that is down is a retryable network error that says to check relayhost and smtpPort', async () => {
  const port = await freePort();
  const err = await rejection({ relayhost: '127.0.0.1', smtpPort: port, connectTimeoutMs: 5000 });
  assert.equal(err.code, C.NETWORK);
  assert.equal(err.retryable, true);
  assert.match(err.message, new RegExp(`^smtp://127\\.0\\.0\\.1:${port}: connection refused.*check relayhost and smtpPort`));
});

test('smtpUser without smtpPassword, or no recipient at all, is refused before connecting', async () => {
  const noPw = await rejection({ relayhost: '127.0.0.1', smtpPort: 1, smtpUser: 'ci' });
  assert.equal(noPw.code, C.CONFIG);
  assert.match(noPw.message, /smtpUser ci is set without smtpPassword/);
  const nobody = await rejection({ relayhost: '127.0.0.1', smtpPort: 1 }, mail({ to: [] }));
  assert.match(nobody.message, /the mail has no recipient/);
});
