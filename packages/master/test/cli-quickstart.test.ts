/**
 * `mastro quickstart` end to end: a real master process, a real mastro worker process, a real git
 * repository; the first forced build must succeed and Ctrl-C must stop everything.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const WORKER_CLI = fileURLToPath(new URL('../../worker/dist/cli.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mastro-quickstart-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('quickstart runs a first build on a local worker, serves it over the API, prints an admin login that may force builds, and stops on Ctrl-C', { skip: !existsSync(WORKER_CLI) && `the worker is not built (${WORKER_CLI}); run npm run build` }, async () => {
  const base = join(tmp, 'demo');
  // Free ports so the test never collides with a master on the default 8010/9989.
  const child = spawn(process.execPath, [CLI, 'quickstart', base, '--http-port', '0', '--worker-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = ''; let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => { out += d; if (/Press Ctrl-C to stop/.test(out)) resolve(); });
      void exited.then((code) => reject(new Error(`quickstart exited early (${code}):\n${out}\n${err}`)));
    });
    assert.match(out, /first build finished: success/);
    const api = /first build started: (http:\/\/localhost:\d+\/api\/v2\/builds\/\d+)/.exec(out)![1]!;
    const body = await (await fetch(api.replace('localhost', '127.0.0.1'))).json() as { builds: { results: number; complete: boolean; builderid: number }[] };
    assert.equal(body.builds[0]!.complete, true);
    assert.equal(body.builds[0]!.results, 0);
    assert.ok(existsSync(join(base, 'repo', '.git')));
    assert.ok(existsSync(join(base, 'master', 'master.config.ts')));

    // The Force button needs a login: quickstart made one and printed it.
    const login = /log in as admin with the one-time password (\S+)/.exec(out);
    assert.ok(login, `no admin login in:\n${out}`);
    const origin = new URL(api.replace('localhost', '127.0.0.1')).origin;
    const force = (headers: Record<string, string>) => fetch(`${origin}/api/v2/forceschedulers/force`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'force', params: { builderid: body.builds[0]!.builderid }, id: 1 }),
    });
    assert.equal((await force({})).status, 401, 'anonymous users may not force');
    const forced = await force({ authorization: `Basic ${Buffer.from(`admin:${login[1]}`).toString('base64')}` });
    assert.equal(forced.status, 200, await forced.clone().text());
    const [bsid] = ((await forced.json()) as { result: [number, Record<string, number>] }).result;
    assert.ok(bsid > 0);
    const session = await fetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: login[1] }) });
    assert.equal(session.status, 200, 'the web UI login works with it too');
    assert.deepEqual(((await session.json()) as { user: { roles: string[] } }).user.roles, ['admin']);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, err);
  assert.match(out, /stopped; everything is kept in/);
});

test('quickstart on a taken web port says which port and option, and exits 1 with nothing left running', async () => {
  const server = createServer();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, resolve); });
  const port = (server.address() as { port: number }).port;
  const base = join(tmp, 'taken');
  const child = spawn(process.execPath, [CLI, 'quickstart', base, '--http-port', String(port), '--worker-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = ''; let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  try {
    // Bounded: before the fix quickstart hung here (its git poller kept the process alive).
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`quickstart did not exit within 120 s:\n${out}\n${err}`)), 120_000);
      child.on('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 1, out + err);
    assert.match(err, new RegExp(`port ${port} is already in use`));
    assert.match(err, /--http-port/);
    assert.doesNotMatch(err, /^\s+at /m);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise((r) => server.close(r));
  }
});
