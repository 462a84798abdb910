import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hookUrl, parseSendchangeArgs, sendChange, sendchangeMain } from '../packages/master/src/changes/sendchange-client.js';

interface Recorded { path: string; auth?: string; type?: string; form: URLSearchParams }

/** A real HTTP server standing in for the master's /change_hook/base, recording each POST. */
async function recordingMaster(t: { after: (f: () => Promise<void>) => void }, status = 200) {
  const posts: Recorded[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    posts.push({ path: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], form: new URLSearchParams(body) });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: status === 200 ? '1 change recorded' : 'nope', changes: [posts.length] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

test('sendchange posts Buildbot\'s base-hook fields with Basic credentials', async (t) => {
  const m = await recordingMaster(t);
  const argv = ['--master', m.hostPort, '--auth', 'alice:s3cret', '--who', 'Jane <jane@example.org>', '-R', 'git://example.org/proj.git',
    '--branch=main', '-r', 'abc123', '-c', 'fix the thing', '-C', 'push', '-P', 'proj', '--codebase', 'lib', '-p', 'ticket:42', '-p', 'url:http://x/y:z',
    '-s', 'git', '-l', 'https://example.org/commit/abc123', '-w', '1700000000.5', 'src/a.c', 'docs/b.md'];
  const out: string[] = [];
  assert.equal(await sendchangeMain(argv, { out: (s) => out.push(s), err: (s) => out.push(s) }), 0);
  assert.match(out.join(''), /change sent successfully \(change 1\)/);
  const [p] = m.posts;
  assert.equal(p!.path, '/change_hook/base');
  assert.equal(p!.auth, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  assert.equal(p!.type, 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(p!.form), {
    author: 'Jane <jane@example.org>', repository: 'git://example.org/proj.git', project: 'proj', branch: 'main', category: 'push',
    revision: 'abc123', comments: 'fix the thing', when_timestamp: '1700000000.5', revlink: 'https://example.org/commit/abc123',
    codebase: 'lib', vc: 'git', files: '["src/a.c","docs/b.md"]', properties: '{"ticket":"42","url":"http://x/y:z"}',
  });
});

test('sendchange explains refused credentials, a missing base hook and an unreachable master', async (t) => {
  const refused = await recordingMaster(t, 401);
  await assert.rejects(sendChange({ master: refused.hostPort, who: 'x', auth: 'a:b' }), /refused the credentials \(401\); check --auth/);
  const missing = await recordingMaster(t, 404);
  await assert.rejects(sendChange({ master: missing.hostPort, who: 'x' }), /enable it with www: \{ changeHooks: \{ base: \{\} \} \}/);
  await assert.rejects(sendChange({ master: '127.0.0.1:1', who: 'x' }), /cannot reach the master at http:\/\/127\.0\.0\.1:1\/change_hook\/base/);
  await assert.rejects(sendChange({ master: refused.hostPort }), /--who is required/);
});

test('sendchange options are checked with clear messages', () => {
  assert.throws(() => parseSendchangeArgs(['--who', 'x']), /--master is required/);
  assert.throws(() => parseSendchangeArgs(['-m', 'h:1', '--frobnicate', '1']), /unknown option --frobnicate/);
  assert.throws(() => parseSendchangeArgs(['-m', 'h:1', '-p', 'novalue']), /name:value/);
  assert.throws(() => parseSendchangeArgs(['-m', 'h:1', '-w', 'yesterday']), /epoch seconds/);
  assert.equal(parseSendchangeArgs(['-m', 'h:1', '-F', '-'], () => 'from stdin\n').comments, 'from stdin\n');
  assert.equal(hookUrl('ci.example.org:8010'), 'http://ci.example.org:8010/change_hook/base');
  assert.equal(hookUrl('https://ci.example.org/mastro/'), 'https://ci.example.org/mastro/change_hook/base');
  assert.throws(() => hookUrl('nope:::x'), /--master "nope:::x" is not an address: give HOST:PORT/);
  assert.equal(hookUrl('http://h:1/change_hook/base'), 'http://h:1/change_hook/base');
});
