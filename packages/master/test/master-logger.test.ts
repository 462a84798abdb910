/**
 * The master's own log as `mastro start` sets it up (master/logger.ts), through the compiled CLI in
 * real subprocesses: `mastro.log` rotated by size keeps the configured number of files and loses no
 * line; SIGUSR1 reopens it after an external logrotate moved it; `--foreground` prints pretty,
 * coloured lines on a terminal (a pty from util-linux `script`) and JSON lines into a pipe.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mastro, MASTRO_CLI } from './support/mastro-cli.js';
import { prettyLine } from '../src/master/log-pretty.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-logger-'));
const started: string[] = [];
after(async () => {
  for (const dir of started) await mastro('stop', dir, '--timeout', '30');
  rmSync(tmp, { recursive: true, force: true });
});

function masterDir(name: string, log: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  // notifyOnMissing without a reporter: each start and reconfig logs a warning per worker, ~1.5 KB in all.
  writeFileSync(join(dir, 'master.config.ts'), `import { defineConfig, worker } from 'mastro';
export default defineConfig({
  protocols: { msgpack: { port: 0 } },
  www: null,
  workers: ['w0', 'w1', 'w2', 'w3', 'w4'].map((n) => worker(n, 'pass', { notifyOnMissing: ['ops@example.org'] })),
  log: ${log},
});
`);
  return dir;
}

function jsonLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    try { return JSON.parse(l) as Record<string, unknown>; } catch { throw new Error(`${file}: not a JSON line: ${l}`); }
  });
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reconfigsIn = (files: string[]) => files.flatMap((f) => (existsSync(f) ? jsonLines(f) : [])).filter((l) => l.msg === 'reconfig applied').length;

test('mastro.log is rotated at log.rotateLength and keeps log.maxRotatedFiles files, every line whole', { timeout: 180_000 }, async () => {
  const dir = masterDir('rotate', '{ rotateLength: 1024, maxRotatedFiles: 2 }');
  const start = await mastro('start', dir);
  assert.equal(start.code, 0, start.stderr);
  started.push(dir);
  const log = join(dir, 'mastro.log');
  const files = [log, `${log}.1`, `${log}.2`];
  const reconfigs = 6;
  for (let i = 1; i <= reconfigs; i++) {
    const r = await mastro('reconfig', dir);
    assert.equal(r.code, 0, r.stderr);
  }
  const stop = await mastro('stop', dir);
  assert.equal(stop.code, 0, stop.stderr);
  started.pop();

  assert.ok(existsSync(`${log}.1`) && existsSync(`${log}.2`), 'two rotated files');
  assert.equal(existsSync(`${log}.3`), false, 'maxRotatedFiles: 2 keeps no third one');
  for (const f of files) {
    const lines = jsonLines(f); // every line parses: nothing was cut at a rotation
    assert.ok(lines.length > 0, `${f} has lines`);
    // A file is rotated before the write that follows rotateLength: it holds at most one write more.
    assert.ok(statSync(f).size < 1024 + 4096, `${f} is ${statSync(f).size} bytes`);
  }
  // The newest file ends with the stop, and the last reconfigs are in the files kept.
  assert.equal(jsonLines(log).at(-1)!.msg, 'master stopped');
  assert.ok(reconfigsIn(files) >= 1);
});

test('SIGUSR1 reopens mastro.log after an external logrotate moved it', { timeout: 120_000 }, async () => {
  const dir = masterDir('usr1', '{ rotateLength: null }');
  const start = await mastro('start', dir);
  assert.equal(start.code, 0, start.stderr);
  started.push(dir);
  const log = join(dir, 'mastro.log');
  const pid = Number(readFileSync(join(dir, 'mastro.pid'), 'utf8').trim());
  renameSync(log, `${log}.moved`);
  process.kill(pid, 'SIGUSR1');
  await waitFor('the reopened log', () => existsSync(log) && jsonLines(log).some((l) => l.msg === 'received SIGUSR1; reopened the log file'));
  const r = await mastro('reconfig', dir);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('the reconfig in the new file', () => jsonLines(log).some((l) => l.msg === 'reconfig applied'));
  assert.ok(jsonLines(`${log}.moved`).some((l) => l.msg === 'master ready'), 'the moved file keeps what came before');
  assert.equal(jsonLines(`${log}.moved`).some((l) => l.msg === 'reconfig applied'), false, 'nothing after the reopen went into the moved file');
  assert.equal((await mastro('stop', dir)).code, 0);
  started.pop();
});

/** Runs `mastro start DIR --foreground` (under `script` for a terminal) until the master is ready, then stops it with SIGTERM. */
function foreground(dir: string, tty: boolean): Promise<string> {
  const cmd = [process.execPath, MASTRO_CLI, 'start', dir, '--foreground'];
  const child = tty
    ? spawn('script', ['-qfec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '' } })
    : spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`not ready in time:\n${out}`)); }, 60_000);
    const poll = setInterval(() => {
      if (!/master ready/.test(out)) return;
      clearInterval(poll);
      const pid = Number(readFileSync(join(dir, 'mastro.pid'), 'utf8').trim());
      process.kill(pid, 'SIGTERM');
    }, 50);
    child.on('close', () => { clearTimeout(timer); clearInterval(poll); resolve(out); });
  });
}

test('--foreground on a terminal prints pretty coloured lines, into a pipe JSON lines', { timeout: 120_000 }, async () => {
  const dir = masterDir('fg', '{}');
  const onTty = await foreground(dir, true);
  assert.match(onTty, /\d\d:\d\d:\d\d\.\d{3}\S* \x1b\[32mINFO \x1b\[0m .*master ready/);
  assert.doesNotMatch(onTty, /\{"level":30/);
  const piped = await foreground(dir, false);
  const ready = piped.split('\n').find((l) => l.includes('"master ready"'));
  assert.ok(ready, piped);
  assert.equal(JSON.parse(ready).level, 30);
});

test('a pretty line shows time, level, component, message and the other fields, and an error\'s stack below', () => {
  const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, hostname: 'h', component: 'www', msg: 'slow client', port: 8010, who: 'a b' });
  const text = prettyLine(line, false);
  assert.match(text, /^\d\d:\d\d:05\.006 WARN  \[www\] slow client port=8010 who="a b"\n$/);
  const err = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' } }), false);
  assert.match(err, /ERROR failed\n {4}Error: boom\n {4} {4}at x \(y\.js:1:1\)\n$/);
  assert.equal(prettyLine('not json', true), 'not json\n');
  assert.match(prettyLine(JSON.stringify({ level: 30, time: 0, msg: 'hi' }), true), /\x1b\[32mINFO \x1b\[0m hi/);
});
