import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkNotRunning } from '../src/daemon.js';
import { startFakeMaster, stdoutOf } from './support/fake-master.js';
import { tempDir, until } from './support/helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('create-worker writes a private worker.json with a normalised URL and the info files', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  const r = await cli('create-worker', dir, 'localhost:9989', 'w1', 's3cret', '--json', '--keepalive', '30');
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(path.join(dir, 'worker.json'), 'utf8'));
  assert.equal(config.master, 'ws://localhost:9989');
  assert.equal(config.encoding, 'json');
  assert.equal(config.keepalive, 30);
  assert.equal(statSync(path.join(dir, 'worker.json')).mode & 0o777, 0o600);
  assert.ok(existsSync(path.join(dir, 'info/admin')));
  assert.ok(existsSync(path.join(dir, 'info/host')));
  assert.ok(!r.stdout.includes('s3cret'));
  const again = await cli('create-worker', dir, 'wss://m.example/ws', 'w1', 'x');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a worker.*--force/);
  assert.equal((await cli('create-worker', dir, 'wss://m.example/ws', 'w1', 'x', '--force')).code, 0);
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'worker.json'), 'utf8')).master, 'wss://m.example/ws');
});

test('start on a directory that is not a worker says how to create one', async (t) => {
  const dir = path.join(tempDir(t), 'missing');
  const r = await cli('start', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist; create it with: mastro-worker create-worker/);
});

test('stop with a stale pid file reports it, cleans up and exits 0 (the worker is stopped), like buildbot-worker stop', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, 'localhost:1', 'w1', 'pw');
  writeFileSync(path.join(dir, 'worker.pid'), '999999\n');
  const r = await cli('stop', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pid 999999 is gone/);
  assert.ok(!existsSync(path.join(dir, 'worker.pid')));
  const again = await cli('stop', dir);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /no worker is running/);
  const notAWorker = await cli('stop', tempDir(t));
  assert.equal(notAWorker.code, 1);
  assert.match(notAWorker.stderr, /is not a worker directory/);
});

/** A long-lived process that is not a worker; resolves once it runs. */
async function stranger(t: { after(fn: () => void): void }) {
  const child = spawn(process.execPath, ['-e', "process.stdout.write('up\\n'); setInterval(() => {}, 1e9)"], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  await new Promise((resolve, reject) => { child.once('error', reject); child.stdout.once('data', resolve); });
  return child;
}

test('stop leaves alone a program that reuses the pid of a worker that died uncleanly', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, 'localhost:1', 'w1', 'pw');
  const other = await stranger(t);
  writeFileSync(path.join(dir, 'worker.pid'), `${other.pid}\n`);
  const r = await cli('stop', dir, '--wait', '5');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no worker is running .*is now another program/);
  assert.ok(!existsSync(path.join(dir, 'worker.pid')));
  assert.equal(other.exitCode, null);
  assert.equal(other.signalCode, null, 'the unrelated process was signalled');
});

test('start is not refused by a pid file whose pid now belongs to another program', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, 'localhost:1', 'w1', 'pw');
  const other = await stranger(t);
  writeFileSync(path.join(dir, 'worker.pid'), `${other.pid}\n`);
  assert.equal(checkNotRunning(dir), null);
  assert.ok(!existsSync(path.join(dir, 'worker.pid')));
  writeFileSync(path.join(dir, 'worker.pid'), `${process.pid}\n`);
  assert.equal(checkNotRunning(dir), null, 'the test runner is not a worker of this directory either');
});

const DAEMON_MODULE = new URL('../dist/daemon.js', import.meta.url).href;

/**
 * A process that looks like `start DIR --foreground` (a worker of DIR while it lives) and claims
 * DIR's pid file with writePidFile; resolves with what it printed: 'won' or 'lost: <why>'.
 */
function claimer(t: { after(fn: () => void): void }, dir: string): Promise<{ pid: number; outcome: string }> {
  const script = `const { writePidFile } = await import(${JSON.stringify(DAEMON_MODULE)});
const held = writePidFile(process.argv[2]);
process.stdout.write(held ? 'lost: ' + held + '\\n' : 'won\\n');
setInterval(() => {}, 1e9);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'start', dir, '--foreground'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the claiming process exited (${code}) before it claimed: ${out}`)));
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve({ pid: child.pid!, outcome: out.trim() }); });
  });
}

test('the pid file is created exclusively: of several starts claiming it at once exactly one wins', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, 'localhost:1', 'w1', 'pw');
  const results = await Promise.all([1, 2, 3, 4].map(() => claimer(t, dir)));
  const winners = results.filter((r) => r.outcome === 'won');
  assert.equal(winners.length, 1, results.map((r) => r.outcome).join('\n'));
  assert.equal(Number(readFileSync(path.join(dir, 'worker.pid'), 'utf8')), winners[0]!.pid);
  for (const r of results.filter((x) => x !== winners[0])) assert.match(r.outcome, new RegExp(`^lost: a worker is already running in .* \\(pid ${winners[0]!.pid}\\)`));
});

test('create-worker refuses a MASTER that names no worker port, in words, and creates nothing', async (t) => {
  const base = tempDir(t);
  const cases: Array<[string, RegExp]> = [
    ['http://ci.example.org:8010', /is an HTTP address/],
    ['https://ci.example.org', /is an HTTP address/],
    ['ftp://ci.example.org:9989', /unsupported scheme 'ftp:\/\/'/],
    ['ci.example.org:99999', /not a valid host and port/],
    ['ci.example.org:port', /bad port/],
    [':9989', /no host/],
    ['ci example.org:9989', /holds spaces/],
    ['ci.example.org:0', /port 0/],
  ];
  for (const [master, why] of cases) {
    const dir = path.join(base, `w${cases.findIndex((c) => c[0] === master)}`);
    const r = await cli('create-worker', dir, master, 'w1', 'pw');
    assert.equal(r.code, 2, `${master}: ${r.stderr}`);
    assert.match(r.stderr, why, master);
    assert.match(r.stderr, /give host:port \(e\.g\. ci\.example\.org:9989\) or a ws:\/\/ or wss:\/\/ URL/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.ok(!existsSync(dir), `${master}: ${dir} was created`);
  }
  for (const master of ['localhost', 'localhost:9989', '[::1]:9989', 'ws://h:1/path', 'wss://ci.example.org/ws']) {
    const r = await cli('create-worker', path.join(base, 'ok'), master, 'w1', 'pw', '--force');
    assert.equal(r.code, 0, `${master}: ${r.stderr}`);
  }
});

test('--help of every command prints the usage and exits 0; an unknown option exits 2', async () => {
  for (const command of ['create-worker', 'start', 'stop']) {
    const r = await cli(command, '--help');
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    assert.match(r.stdout, /mastro-worker create-worker DIR MASTER NAME PASSWORD/);
  }
  const bad = await cli('start', '/tmp', '--frobnicate');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option --frobnicate/);
});

test('start daemonizes, reports the attach, and stop ends it', async (t) => {
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  t.after(() => master.close());
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, `127.0.0.1:${master.port}`, 'w1', 'pw');
  const started = await cli('start', dir);
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /worker started \(pid \d+\) and connected to the master/);
  const pid = Number(readFileSync(path.join(dir, 'worker.pid'), 'utf8'));
  t.after(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } });
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.equal(((await conn.request('get_worker_info')) as { basedir: string }).basedir, dir);
  const twice = await cli('start', dir);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /already running/);
  const stopped = await cli('stop', dir);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /worker stopped/);
  assert.ok(!existsSync(path.join(dir, 'worker.pid')));
  assert.match(readFileSync(path.join(dir, 'worker.log'), 'utf8'), /connected to ws:\/\/127\.0\.0\.1:\d+ as 'w1'/);
  assert.doesNotMatch(readFileSync(path.join(dir, 'worker.log'), 'utf8'), /pw/);
});

test('start reports refused credentials instead of claiming success', async (t) => {
  const master = await startFakeMaster({ name: 'w1', password: 'right' });
  t.after(() => master.close());
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, `127.0.0.1:${master.port}`, 'w1', 'wrong');
  const r = await cli('start', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused worker 'w1' \(HTTP 401\): check the worker name and password/);
});

test('in the foreground, SIGTERM lets a running command finish before exiting', async (t) => {
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  t.after(() => master.close());
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, `127.0.0.1:${master.port}`, 'w1', 'pw');
  const child = spawn(process.execPath, [CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  const conn = master.connections[0] ?? await master.nextConnection();
  await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
  const go = path.join(dir, 'go');
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', args: { command: `while [ ! -e ${go} ]; do sleep 0.05; done; echo done`, workdir: dir } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  await until(() => output.includes('finishing running commands'), 'the graceful-stop log line');
  assert.equal(child.exitCode, null);
  writeFileSync(go, '');
  assert.equal(await exited, 0);
  assert.equal(await master.completion('c1'), null);
});

/** A token file readable by its owner only, as create-worker --token-file wants it. */
function poolToken(dir: string, token: string, mode = 0o600): string {
  const file = path.join(dir, 'pool.token');
  writeFileSync(file, `${token}\n`);
  chmodSync(file, mode);
  return file;
}

test('create-worker --pool keeps the token file\'s path, never the token, and names the worker from the host name', async (t) => {
  const base = tempDir(t);
  const token = poolToken(base, 'pool-secret-7f3a');
  const dir = path.join(base, 'w');
  const r = await cli('create-worker', dir, 'ci.example.org:9989', '--pool', 'linux', '--token-file', token, '--tags', 'docker,gpu=a100');
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(path.join(dir, 'worker.json'), 'utf8'));
  assert.equal(config.pool, 'linux');
  assert.equal(config.tokenFile, token);
  assert.equal(config.password, undefined);
  assert.deepEqual(config.tags, ['docker', 'gpu=a100']);
  const host = hostname().split('.')[0]!.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 56).replace(/-+$/, '') || 'worker';
  assert.match(config.name, new RegExp(`^${host}-[0-9a-f]{6}$`));
  for (const f of ['worker.json', 'info/admin', 'info/host']) assert.doesNotMatch(readFileSync(path.join(dir, f), 'utf8'), /pool-secret/, f);
  assert.doesNotMatch(r.stdout, /pool-secret/);
  assert.match(r.stdout, new RegExp(`as '${config.name}' in pool 'linux' \\(token read from ${token} at each start\\).*tags docker,gpu=a100`));
  const named = await cli('create-worker', path.join(base, 'w2'), 'ci.example.org:9989', '--pool', 'linux', '--token-file', token, '--name', 'build-01');
  assert.equal(named.code, 0, named.stderr);
  assert.equal(JSON.parse(readFileSync(path.join(base, 'w2', 'worker.json'), 'utf8')).name, 'build-01');
});

test('create-worker refuses a world-readable token file like ssh, and creates nothing', async (t) => {
  const base = tempDir(t);
  const token = poolToken(base, 'tok', 0o644);
  const dir = path.join(base, 'w');
  const r = await cli('create-worker', dir, 'ci.example.org:9989', '--pool', 'linux', '--token-file', token);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`permissions 0644 for the pool token file ${token} are too open: other users can read it.*chmod 600 ${token}`));
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.ok(!existsSync(dir));
});

test('create-worker refuses mixed or incomplete pool arguments and bad tags, in words, and creates nothing', async (t) => {
  const base = tempDir(t);
  const token = poolToken(base, 'tok');
  const dir = path.join(base, 'w');
  const cases: Array<[string[], RegExp]> = [
    [['--pool', 'linux'], /a pool worker needs --token-file FILE/],
    [['w1', 'pw', '--pool', 'linux', '--token-file', token], /a pool worker takes no NAME PASSWORD arguments \("w1"\)/],
    [['w1', 'pw', '--token-file', token], /--token-file is for pool workers; give --pool POOL too/],
    [['--pool', 'linux/x86', '--token-file', token], /--pool: pool name "linux\/x86" is not valid/],
    [['--pool', 'linux', '--token-file', token, '--name', 'has space'], /--name: worker name "has space" is not valid/],
    [['w1', 'pw', '--tags', 'os=windows'], /--tags: tag "os=windows" sets 'os', which the worker reports itself/],
    [['w1', 'pw', '--tags', 'a b'], /--tags: tag "a b" is not valid/],
    [[], /create-worker needs DIR MASTER NAME PASSWORD \(or DIR MASTER --pool POOL --token-file FILE\)/],
  ];
  for (const [args, why] of cases) {
    const r = await cli('create-worker', dir, 'ci.example.org:9989', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
    assert.ok(!existsSync(dir), `${args.join(' ')}: ${dir} was created`);
  }
});

test('a pool worker started from the CLI joins its pool with the token from its file, and reports its tags', async (t) => {
  const base = tempDir(t);
  const token = poolToken(base, 'pool-secret');
  const master = await startFakeMaster({ name: 'unused', password: 'x', pool: { name: 'linux', tokens: ['pool-secret'] } });
  t.after(() => master.close());
  const dir = path.join(base, 'w');
  assert.equal((await cli('create-worker', dir, `127.0.0.1:${master.port}`, '--pool', 'linux', '--token-file', token, '--name', 'b1', '--tags', 'docker')).code, 0);
  const child = spawn(process.execPath, [CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.deepEqual(master.logins[0], { name: 'b1', password: 'pool-secret', pool: 'linux' });
  const info = await conn.request('get_worker_info') as Record<string, unknown>;
  assert.deepEqual(info.tags, ['docker']);
  assert.equal(info.arch, process.arch);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('start of a pool worker against a master that knows no pools fails and says the master does not support them', async (t) => {
  const base = tempDir(t);
  const token = poolToken(base, 'tok');
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  t.after(() => master.close());
  const dir = path.join(base, 'w');
  await cli('create-worker', dir, `127.0.0.1:${master.port}`, '--pool', 'linux', '--token-file', token, '--name', 'b1');
  const r = await cli('start', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /worker failed to start: the master at ws:\/\/127\.0\.0\.1:\d+ refused worker 'b1' of pool 'linux' \(HTTP 401\) without answering X-Mastro-Pool: it does not support worker pools/);
});

test('start with Buildbot\'s latent-worker variables needs no create-worker, and the password reaches neither the worker info nor builds', async (t) => {
  const master = await startFakeMaster({ name: 'docker-3', password: 'latent-pw' });
  t.after(() => master.close());
  const dir = path.join(tempDir(t), 'container');
  const env = { ...process.env, BUILDMASTER: '127.0.0.1', BUILDMASTER_PORT: String(master.port), BUILDMASTER_PROTOCOL: 'msgpack_experimental_v7', WORKERNAME: 'docker-3', WORKERPASS: 'latent-pw' };
  const child = spawn(process.execPath, [CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  const conn = master.connections[0] ?? await master.nextConnection();
  const info = await conn.request('get_worker_info') as { environ: Record<string, string> };
  assert.equal(info.environ.WORKERPASS, undefined);
  assert.equal(info.environ.WORKERNAME, 'docker-3');
  await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', args: { command: 'echo "pass=[${WORKERPASS-unset}]"', workdir: dir, logEnviron: false } });
  assert.equal(await master.completion('c1'), null);
  assert.match(stdoutOf(master, 'c1'), /pass=\[unset\]/);
  assert.doesNotMatch(readFileSync(path.join(dir, 'worker.json'), 'utf8'), /latent-pw/);
  assert.match(output, /set up from the environment: BUILDMASTER=127\.0\.0\.1 .*WORKERNAME=docker-3 WORKERPASS=\(set, not shown\)/);
  assert.match(output, /removed from the environment builds get: WORKERPASS/);
  assert.doesNotMatch(output, /latent-pw/);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
