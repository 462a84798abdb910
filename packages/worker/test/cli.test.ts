import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeMaster } from './fake-master.js';
import { tempDir, until } from './helpers.js';

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

test('stop with a stale pid file reports it and cleans up', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, 'localhost:1', 'w1', 'pw');
  writeFileSync(path.join(dir, 'worker.pid'), '999999\n');
  const r = await cli('stop', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pid 999999 is gone/);
  assert.ok(!existsSync(path.join(dir, 'worker.pid')));
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
