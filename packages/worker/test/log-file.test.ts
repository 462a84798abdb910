/**
 * worker.log of a background worker (src/log-file.ts), through the compiled CLI against a fake
 * master: rotated at `--log-size` bytes keeping `--log-count` files, as buildbot-worker rotates
 * twistd.log, and reopened on SIGUSR1 after an external logrotate moved it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeMaster } from './support/fake-master.js';
import { tempDir, until } from './support/helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args])).stdout;

/** Starts a background worker of `dir` against a fake master; returns its connection, pid and a stop. */
async function backgroundWorker(t: { after(fn: () => unknown): void }, dir: string, createArgs: string[]) {
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  t.after(() => master.close());
  await cli('create-worker', dir, `127.0.0.1:${master.port}`, 'w1', 'pw', ...createArgs);
  await cli('start', dir);
  const pid = Number(readFileSync(path.join(dir, 'worker.pid'), 'utf8'));
  t.after(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } });
  const conn = master.connections[0] ?? await master.nextConnection();
  return { conn, pid };
}

test('create-worker records --log-size and --log-count, and None means no limit, as buildbot-worker takes them', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  await cli('create-worker', dir, '127.0.0.1:9989', 'w1', 'pw', '--log-size', '5000', '--log-count', 'None');
  const config = JSON.parse(readFileSync(path.join(dir, 'worker.json'), 'utf8'));
  assert.equal(config.rotateLength, 5000);
  assert.equal(config.maxRotatedFiles, null);
  const dflt = path.join(tempDir(t), 'd');
  await cli('create-worker', dflt, '127.0.0.1:9989', 'w1', 'pw');
  assert.equal(JSON.parse(readFileSync(path.join(dflt, 'worker.json'), 'utf8')).rotateLength, 10_000_000);
  await assert.rejects(cli('create-worker', path.join(tempDir(t), 'x'), '127.0.0.1:9989', 'w1', 'pw', '--log-count', 'ten'), /--log-count must be a whole number >= 0 or None, got "ten"/);
});

test('worker.log is rotated at --log-size and keeps --log-count rotated files', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  const { conn } = await backgroundWorker(t, dir, ['--log-size', '1024', '--log-count', '2']);
  const log = path.join(dir, 'worker.log');
  for (let i = 0; i < 60; i++) await conn.request('print', { message: `message ${String(i).padStart(2, '0')} ${'x'.repeat(80)}` });
  await cli('stop', dir);
  assert.ok(existsSync(`${log}.1`) && existsSync(`${log}.2`), 'two rotated files');
  assert.equal(existsSync(`${log}.3`), false, '--log-count 2 keeps no third one');
  for (const f of [log, `${log}.1`, `${log}.2`]) assert.ok(statSync(f).size < 1024 + 200, `${f}: ${statSync(f).size} bytes`);
  // The newest lines are in worker.log, the ones before them in .1, in order.
  const newest = readFileSync(log, 'utf8');
  assert.match(newest, /worker stopped/);
  const older = readFileSync(`${log}.1`, 'utf8').match(/message (\d\d)/g)!.map((m) => Number(m.slice(8)));
  assert.deepEqual(older, [...older].sort((a, b) => a - b));
  assert.ok(older.at(-1)! <= 59);
});

test('SIGUSR1 reopens worker.log after an external logrotate moved it', async (t) => {
  const dir = path.join(tempDir(t), 'w');
  const { conn, pid } = await backgroundWorker(t, dir, []);
  const log = path.join(dir, 'worker.log');
  renameSync(log, `${log}.moved`);
  process.kill(pid, 'SIGUSR1');
  await until(() => existsSync(log) && /received SIGUSR1; reopened/.test(readFileSync(log, 'utf8')), 'the reopened log');
  await conn.request('print', { message: 'after the reopen' });
  await cli('stop', dir);
  assert.match(readFileSync(log, 'utf8'), /message from master: after the reopen/);
  const moved = readFileSync(`${log}.moved`, 'utf8');
  assert.match(moved, /connected to ws:/);
  assert.doesNotMatch(moved, /after the reopen/);
});
