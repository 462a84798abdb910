import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker } from '../src/index.js';
import { lineLogger } from '../src/logger.js';
import { attachedWorker, startFakeMaster, rcOf, stdoutOf } from './support/fake-master.js';
import { tempDir, until } from './support/helpers.js';

const setup = attachedWorker;

test('the worker attaches with Basic auth and answers get_worker_info and set_worker_settings', async (t) => {
  const { master, dir } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  const info = await conn.request('get_worker_info') as Record<string, unknown>;
  assert.equal(info.basedir, dir);
  assert.equal(info.system, 'posix');
  assert.equal(await conn.request('set_worker_settings', { args: { buffer_size: 1024, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 100 } }), null);
  assert.equal(await conn.request('print', { message: 'hello' }), null);
  assert.equal(await conn.request('keepalive'), null);
  assert.equal(master.binaryFrames[0], true);
  assert.equal(master.encodingHints[0], 'msgpack', 'the worker names its encoding on the upgrade');
});

test('a wrong password is refused and the worker keeps retrying', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'right' });
  const failures: Array<number | undefined> = [];
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'w1', password: 'wrong', backoff: { initialMs: 10, maxMs: 20 }, onAttemptFailed: (r) => failures.push(r.status) });
  t.after(async () => { await worker.stop(); await master.close(); });
  await until(() => failures.length >= 2, 'two refused attempts');
  assert.equal(failures[0], 401);
  assert.equal(worker.connected, false);
});

test('commands run over the connection: updates, rc and complete reach the master', async (t) => {
  const { master } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', builder_name: 'b', args: { command: ['echo', 'hi'], workdir: 'build' } });
  assert.equal(await master.completion('c1'), null);
  assert.equal(stdoutOf(master, 'c1'), 'hi\n');
  assert.equal(rcOf(master, 'c1'), 0);
  await assert.rejects(conn.request('start_command', { command_id: 'c2', command_name: 'nope', args: {} }), /unrecognized WorkerCommand 'nope'/);
});

test('set_builder_list creates builder directories used for relative paths', async (t) => {
  const { master, dir } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.deepEqual(await conn.request('set_builder_list', { builders: [['b1', 'dir-b1']] }), ['b1']);
  assert.ok(existsSync(path.join(dir, 'dir-b1')));
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', builder_name: 'b1', args: { command: 'pwd', workdir: 'build' } });
  await master.completion('c1');
  assert.equal(stdoutOf(master, 'c1'), `${path.join(dir, 'dir-b1', 'build')}\n`);
});

test('JSON mode names json on the upgrade, speaks text frames and carries file blocks as $binary', async (t) => {
  const { master, dir } = await setup(t, { encoding: 'json' });
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.equal(master.encodingHints[0], 'json');
  const blocks: Buffer[] = [];
  conn.setHandler('update_upload_file_write', (msg) => { blocks.push(msg.args as Buffer); return null; });
  conn.setHandler('update_upload_file_close', () => null);
  await conn.request('start_command', { command_id: 'u1', command_name: 'shell', args: { command: 'printf abc > f', workdir: dir } });
  await master.completion('u1');
  await conn.request('start_command', { command_id: 'u2', command_name: 'upload_file', args: { path: path.join(dir, 'f'), blocksize: 2, maxsize: null, keepstamp: false } });
  assert.equal(await master.completion('u2'), null);
  assert.equal(master.binaryFrames[0], false);
  assert.ok(master.frameKinds[0]!.every((binary) => !binary), 'every worker frame is JSON text');
  assert.equal(Buffer.concat(blocks).toString(), 'abc');
});

test('the worker reconnects after the master restarts', async (t) => {
  const dir = tempDir(t);
  let master = await startFakeMaster({ name: 'w1', password: 'pw' });
  const port = master.port;
  const worker = await startWorker({ basedir: dir, master: `127.0.0.1:${port}`, name: 'w1', password: 'pw', backoff: { initialMs: 20, maxMs: 100 } });
  t.after(async () => { await worker.stop(); await master.close(); });
  await worker.firstConnection;
  const changes: boolean[] = [];
  worker.onConnectionChange((c) => changes.push(c));
  await master.close();
  await until(() => !worker.connected, 'the disconnect');
  master = await startFakeMaster({ name: 'w1', password: 'pw', port });
  const conn = await master.nextConnection();
  assert.equal(((await conn.request('get_worker_info')) as { basedir: string }).basedir, dir);
  assert.deepEqual(changes, [false, true]);
});

test('losing the connection interrupts running commands', async (t) => {
  const { master, worker, dir } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  const pidFile = path.join(dir, 'pid');
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', args: { command: `echo $$ > ${pidFile}; exec sleep 1000`, workdir: dir } });
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the command');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  conn.close(1001, 'master going away');
  await until(() => worker.runningCommands === 0, 'the command to end');
  assert.throws(() => process.kill(pid, 0));
});

test('a graceful stop lets the running command finish, refuses new ones, then disconnects', async (t) => {
  const { master, worker, dir } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
  const go = path.join(dir, 'go');
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', args: { command: `while [ ! -e ${go} ]; do sleep 0.05; done; echo finished`, workdir: dir } });
  const stopping = worker.stop();
  await assert.rejects(conn.request('start_command', { command_id: 'c2', command_name: 'shell', args: { command: 'true', workdir: dir } }), /shutting down/);
  (await import('node:fs')).writeFileSync(go, '');
  await stopping;
  assert.equal(master.completed.get('c1'), null);
  assert.equal(stdoutOf(master, 'c1'), 'finished\n');
  assert.equal(rcOf(master, 'c1'), 0);
  const closed = await conn.closed;
  assert.equal(closed.code, 1001);
});

test('a second stop interrupts running commands', async (t) => {
  const { master, worker, dir } = await setup(t);
  const conn = master.connections[0] ?? await master.nextConnection();
  await conn.request('start_command', { command_id: 'c1', command_name: 'shell', args: { command: ['sleep', '1000'], workdir: dir } });
  void worker.stop();
  await worker.stop({ graceful: false });
  assert.equal(rcOf(master, 'c1'), -1);
});

test("the master's shutdown request stops the worker", async (t) => {
  let asked = false;
  const { master, worker } = await setup(t, { onShutdownRequested: () => { asked = true; } });
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.equal(await conn.request('shutdown'), null);
  await worker.stopped;
  assert.ok(asked);
});

test('a pool worker sends its own name, the pool token and X-Mastro-Pool, and reports its tags, os and arch', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'pw', pool: { name: 'linux', tokens: ['t0ken'] } });
  const logs: string[] = [];
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'host-a1b2c3', password: 't0ken', pool: 'linux', tags: ['docker', 'gpu=a100'],
    backoff: { initialMs: 10, maxMs: 20 }, log: lineLogger((line) => logs.push(line)) });
  t.after(async () => { await worker.stop({ graceful: false }); await master.close(); });
  const conn = master.connections[0] ?? await master.nextConnection();
  assert.deepEqual(master.logins[0], { name: 'host-a1b2c3', password: 't0ken', pool: 'linux' });
  const info = await conn.request('get_worker_info') as Record<string, unknown>;
  assert.deepEqual(info.tags, ['docker', 'gpu=a100']);
  assert.equal(info.os, process.platform === 'win32' ? 'windows' : process.platform);
  assert.equal(info.arch, process.arch);
  assert.ok(logs.some((l) => l.includes("as 'host-a1b2c3' in pool 'linux'")), logs.join('\n'));
  assert.ok(!logs.some((l) => l.includes('does not know worker pools')), 'the master echoed the pool');
});

test('a named worker never sends X-Mastro-Pool', async (t) => {
  const { master } = await setup(t);
  if (!master.connections.length) await master.nextConnection();
  assert.deepEqual(master.logins[0], { name: 'w1', password: 'pw', pool: undefined });
});

test('a pool worker refused by a master that knows no pools is told the master does not support them, not that its token is wrong', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  const failures: Array<{ message: string; status?: number }> = [];
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'host-a1b2c3', password: 't0ken', pool: 'linux',
    backoff: { initialMs: 10, maxMs: 20 }, onAttemptFailed: (r) => failures.push(r) });
  t.after(async () => { await worker.stop(); await master.close(); });
  await until(() => failures.length >= 1, 'a refused attempt');
  assert.equal(failures[0]!.status, 401);
  assert.match(failures[0]!.message, /refused worker 'host-a1b2c3' of pool 'linux' \(HTTP 401\) without answering X-Mastro-Pool: it does not support worker pools/);
  assert.match(failures[0]!.message, /make this a named worker with: mastro-worker create-worker DIR MASTER NAME PASSWORD/);
  assert.equal(master.logins[0]!.pool, 'linux', 'the header was sent, and ignored');
});

test('a pool worker with a wrong token is told where its token comes from and which pool to check', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'pw', pool: { name: 'linux', tokens: ['right'] } });
  const failures: string[] = [];
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'h1', password: 'wrong', pool: 'linux', credentialsSource: 'the token in /etc/mastro/linux.token',
    backoff: { initialMs: 10, maxMs: 20 }, onAttemptFailed: (r) => failures.push(r.message) });
  t.after(async () => { await worker.stop(); await master.close(); });
  await until(() => failures.length >= 1, 'a refused attempt');
  assert.match(failures[0]!, /refused worker 'h1' of pool 'linux' \(HTTP 401: Unauthorized\): check the token in \/etc\/mastro\/linux\.token against the tokens of workerPool\(\{ name: 'linux' \}\)/);
});

test('the password is asked again before each connection attempt, so a rotated pool token is used at the next reconnect', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'pw', pool: { name: 'linux', tokens: ['old', 'new'] } });
  let token = 'old';
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'h1', password: () => token, pool: 'linux', backoff: { initialMs: 10, maxMs: 20 } });
  t.after(async () => { await worker.stop({ graceful: false }); await master.close(); });
  const first = master.connections[0] ?? await master.nextConnection();
  token = 'new';
  const second = master.nextConnection();
  first.close(1000, 'token revoked');
  await second;
  assert.deepEqual(master.logins.map((l) => l.password), ['old', 'new']);
});

test('startWorker refuses a pool or worker name a master could not accept', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(startWorker({ basedir: dir, master: 'ws://127.0.0.1:1', name: 'a/b', password: 'x', pool: 'linux' }), /worker name "a\/b" is not valid/);
  await assert.rejects(startWorker({ basedir: dir, master: 'ws://127.0.0.1:1', name: 'h1', password: 'x', pool: 'bad pool' }), /pool name "bad pool" is not valid/);
  await assert.rejects(startWorker({ basedir: dir, master: 'ws://127.0.0.1:1', name: 'h1', password: 'x', tags: ['os=windows'] }), /reports itself/);
});

test('a pool worker that a master without pools accepts as a named worker of the same name and password says so in its log', async (t) => {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'h1', password: 'same-as-token' });
  const logs: string[] = [];
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'h1', password: 'same-as-token', pool: 'linux', backoff: { initialMs: 10, maxMs: 20 }, log: lineLogger((line) => logs.push(line)) });
  t.after(async () => { await worker.stop({ graceful: false }); await master.close(); });
  await worker.firstConnection;
  assert.ok(logs.some((l) => /accepted 'h1' without answering X-Mastro-Pool: it does not know worker pools .* it is attached as that named worker/.test(l)), logs.join('\n'));
});
