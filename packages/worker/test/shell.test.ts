import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { runCommand, tempDir, until } from './support/helpers.js';

test('an argv list runs without a shell and reports stdout, rc and elapsed', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['echo', 'hello $HOME'], workdir: dir }, { basedir: dir });
  assert.equal(r.text('stdout'), 'hello $HOME\n');
  assert.equal(r.rc(), 0);
  assert.equal(r.failure, null);
  assert.equal(typeof r.value('elapsed'), 'number');
  assert.match(r.text('header'), /^echo 'hello \$HOME'\n in dir /);
  assert.match(r.text('header'), /elapsedTime=\d+\.\d{6}\n/);
});

test('a string command runs through /bin/sh -c and its exit code is the rc', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: 'echo out; echo err >&2; exit 3', workdir: dir }, { basedir: dir });
  assert.equal(r.text('stdout'), 'out\n');
  assert.equal(r.text('stderr'), 'err\n');
  assert.equal(r.rc(), 3);
});

test('updates use Buildbot 3.7 shapes: [text, newline indexes, times]', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['printf', 'a\\nbc\\n'], workdir: dir }, { basedir: dir });
  const stdout = r.updates.find(([k]) => k === 'stdout')![1] as [string, number[], number[]];
  assert.equal(stdout[0], 'a\nbc\n');
  assert.deepEqual(stdout[1], [1, 4]);
  assert.equal(stdout[2].length, 2);
  assert.ok(stdout[2].every((x) => typeof x === 'number' && x > 1e9));
});

test('a relative workdir resolves against the builder directory and is created', async (t) => {
  const dir = tempDir(t);
  const builderDir = path.join(dir, 'builder1');
  const r = await runCommand('shell', { command: ['pwd'], workdir: 'build' }, { basedir: dir, builderDir });
  assert.equal(r.text('stdout'), `${builderDir}/build\n`);
});

test('env values expand ${VAR} from the worker env, lists join as paths, null removes', async (t) => {
  const dir = tempDir(t);
  process.env.MASTRO_TEST_BASE = 'base';
  process.env.MASTRO_TEST_GONE = 'present';
  t.after(() => { delete process.env.MASTRO_TEST_BASE; delete process.env.MASTRO_TEST_GONE; });
  const r = await runCommand('shell', {
    command: 'echo "$A|$B|${MASTRO_TEST_GONE-unset}"', workdir: dir,
    env: { A: 'x-${MASTRO_TEST_BASE}-${MASTRO_TEST_NOPE}', B: ['/p1', '/p2'], MASTRO_TEST_GONE: null },
  }, { basedir: dir });
  assert.equal(r.text('stdout'), 'x-base-|/p1:/p2|unset\n');
});

test('a bad env value fails the command with a message naming the key', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['true'], workdir: dir, env: { N: 5 } }, { basedir: dir });
  assert.match(String(r.failure), /key 'N' is incorrect/);
});

test('want_stdout false drops stdout but keeps stderr', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: 'echo out; echo err >&2', workdir: dir, want_stdout: false }, { basedir: dir });
  assert.equal(r.text('stdout'), '');
  assert.equal(r.text('stderr'), 'err\n');
});

test('initial_stdin is written to the process and stdin is closed', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['cat'], workdir: dir, initial_stdin: 'fed\nlines\n' }, { basedir: dir });
  assert.equal(r.text('stdout'), 'fed\nlines\n');
  assert.match(r.text('header'), /writing 10 bytes to stdin/);
});

test('logfiles are followed while the command runs and sent as log updates', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'old.log'), 'stale\n');
  const r = await runCommand('shell', {
    command: 'echo one > test.log; sleep 0.3; echo two >> test.log; echo new >> old.log',
    workdir: dir, logfiles: { test: 'test.log', old: { filename: 'old.log', follow: true } },
  }, { basedir: dir });
  assert.equal(r.text('log:test'), 'one\ntwo\n');
  assert.equal(r.text('log:old'), 'new\n');
  const log = r.updates.find(([k]) => k === 'log')![1] as [string, [string, number[], number[]]];
  assert.equal(typeof log[0], 'string');
  assert.ok(Array.isArray(log[1][1]));
});

test('timeout kills a command that stays silent', async (t) => {
  const dir = tempDir(t);
  const started = Date.now();
  const r = await runCommand('shell', { command: ['sleep', '30'], workdir: dir, timeout: 1 }, { basedir: dir });
  assert.equal(r.rc(), -1);
  assert.match(r.text('header'), /command timed out: 1 seconds without output running sleep 30, attempting to kill/);
  assert.ok(Date.now() - started < 10_000);
});

test('output keeps a command alive past its timeout; maxTime still ends it', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: 'while true; do echo tick; sleep 0.2; done', workdir: dir, timeout: 1, maxTime: 2 }, { basedir: dir });
  assert.equal(r.rc(), -1);
  assert.match(r.text('header'), /command timed out: 2 seconds elapsed running/);
  assert.ok(r.text('stdout').split('\n').length > 5);
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('interrupt kills the whole process tree', async (t) => {
  const dir = tempDir(t);
  const pidFile = path.join(dir, 'pids');
  const r = await runCommand('shell', {
    command: `sh -c 'sleep 1000 & echo $! >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; echo $$ >> ${pidFile}; wait'`, workdir: dir,
  }, {
    basedir: dir,
    started: (runner) => {
      void until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').split('\n').length >= 4, 'the pids').then(() => runner.interrupt('test'));
    },
  });
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  assert.equal(pids.length, 3);
  assert.equal(r.rc(), -1);
  assert.match(r.text('header'), /command interrupted, attempting to kill/);
  await until(() => pids.every((p) => !alive(p)), 'every process of the tree to be gone', 5000);
  for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} survived`);
});

test('a process ignoring SIGTERM gets SIGKILL after the grace period', async (t) => {
  const dir = tempDir(t);
  const ready = path.join(dir, 'ready');
  const r = await runCommand('shell', { command: `trap '' TERM; touch ${ready}; while true; do sleep 0.1; done`, workdir: dir }, {
    basedir: dir, killGraceMs: 300,
    started: (runner) => { void until(() => existsSync(ready), 'the trap').then(() => runner.interrupt('test')); },
  });
  assert.equal(r.rc(), -1);
  assert.match(r.text('header'), /process killed by signal 9/);
});

test('output is split on line boundaries and a partial last line is flushed at the end', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: "printf 'one\\ntw'; sleep 0.2; printf 'o\\nthree'", workdir: dir }, { basedir: dir });
  const chunks = r.updates.filter(([k]) => k === 'stdout').map(([, v]) => (v as [string])[0]);
  assert.ok(chunks.every((c) => c.endsWith('\n')), JSON.stringify(chunks));
  assert.equal(chunks.join(''), 'one\ntwo\nthree\n');
});

test('carriage returns become line breaks as the master asks', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: "printf 'a\\r\\nb\\rc\\n'", workdir: dir }, { basedir: dir });
  assert.equal(r.text('stdout'), 'a\nb\nc\n');
});

test('big output arrives intact and in order, in batches within the buffer size', async (t) => {
  const dir = tempDir(t);
  const lines = 200_000;
  const r = await runCommand('shell', { command: `seq 1 ${lines}`, workdir: dir }, { basedir: dir, settings: { bufferSize: 16 * 1024 }, maxUpdatesInFlight: 4 });
  const text = r.text('stdout');
  const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join('');
  assert.equal(text.length, expected.length);
  assert.ok(text === expected);
  const batches = r.requests.filter((q) => q.op === 'update');
  assert.ok(batches.length > 10);
});

test('a program that does not exist reports the error on stderr and a non-zero rc', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['/nonexistent/program'], workdir: dir }, { basedir: dir });
  assert.match(r.text('stderr'), /ENOENT/);
  assert.notEqual(r.rc(), 0);
});

test('obfuscated arguments run with the real value and show the fake one', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['echo', ['obfuscated', 's3cret', 'XXXX']], workdir: dir, logEnviron: false }, { basedir: dir });
  assert.equal(r.text('stdout'), 's3cret\n');
  assert.ok(!r.text('header').includes('s3cret'));
  assert.match(r.text('header'), /echo XXXX/);
});

test('a workdir outside the basedir is refused unless allowed', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: ['true'], workdir: '/tmp' }, { basedir: dir });
  assert.match(String(r.failure), /outside the worker's base directory/);
  const ok = await runCommand('shell', { command: ['true'], workdir: '/tmp' }, { basedir: dir, allowOutsideBasedir: true });
  assert.equal(ok.rc(), 0);
});

test('a logfile the command creates is sent even if the command ends before the first poll', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: `echo a >> x.log`, workdir: dir, logfiles: { x: 'x.log' } }, { basedir: dir });
  assert.equal(r.text('log:x'), 'a\n');
});

test('a shell command reports its process group when it starts and again when it ended', async (t) => {
  const basedir = tempDir(t);
  const events: string[] = [];
  let pidSeen: number | undefined;
  const r = await runCommand('shell', { command: 'echo $$', workdir: '.' }, {
    basedir, processGroups: { started: (g) => { pidSeen = g; events.push('started'); }, ended: (g) => events.push(g === pidSeen ? 'ended' : `ended ${g}`) },
  });
  assert.equal(r.rc(), 0);
  assert.deepEqual(events, ['started', 'ended']);
  // The shell is the leader of the group it reports.
  assert.equal(Number(r.text('stdout').trim()), pidSeen);
});
