/**
 * `mastro.pid` after an unclean end: the pid it names may be gone, or given by the system to some
 * other program. Only this directory's master (`start DIR --foreground`) counts as running; stop
 * and reconfig never signal anything else.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningPid } from '../src/cli/pidfile.js';
import { startDirArg } from 'mastro-protocol/process-identity';

import { mastro, MASTRO_CLI as CLI } from './support/mastro-cli.js';
import { writeConfig } from '../../../test/support/config.js';
const tmp = mkdtempSync(join(tmpdir(), 'mastro-pidfile-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** A long-lived process with the given extra command-line arguments; resolves once it runs. */
function idleProcess(args: string[], cwd = tmp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', "process.stdout.write('up\\n'); setInterval(() => {}, 1e9)", ...args], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve(child));
  });
}

function masterDir(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeConfig(dir, {}, (m) => m.defineConfig({ workers: [{ name: 'x' } as any] }));
  return dir;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

test('the DIR of a start command line is found past options and their values', () => {
  assert.equal(startDirArg(['node', 'cli.js', 'start', 'm1', '--foreground'], ['--timeout']), 'm1');
  assert.equal(startDirArg(['node', 'cli.js', 'start', '--timeout', '30', '--foreground', '/srv/m'], ['--timeout']), '/srv/m');
  assert.equal(startDirArg(['node', 'cli.js', 'stop', 'm1'], ['--timeout']), undefined);
});

test('a pid file naming this directory\'s master (absolute or relative DIR) counts as running', async () => {
  const dir = masterDir('running');
  const byAbsolute = await idleProcess(['start', dir, '--foreground']);
  writeFileSync(join(dir, 'mastro.pid'), `${byAbsolute.pid}\n`);
  assert.equal(runningPid(dir), byAbsolute.pid);
  const byRelative = await idleProcess(['start', 'running', '--foreground'], tmp);
  writeFileSync(join(dir, 'mastro.pid'), `${byRelative.pid}\n`);
  assert.equal(runningPid(dir), byRelative.pid);
});

test('a pid file naming another directory\'s master or any other program is stale and removed', async () => {
  const dir = masterDir('other');
  const otherMaster = await idleProcess(['start', join(tmp, 'elsewhere'), '--foreground']);
  writeFileSync(join(dir, 'mastro.pid'), `${otherMaster.pid}\n`);
  const notes: string[] = [];
  assert.equal(runningPid(dir, (n) => notes.push(n)), null);
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
  assert.match(notes[0]!, /stale pid file .*pid \d+ is now another program/);
  assert.ok(alive(otherMaster));
});

test('stop and reconfig leave a program that reuses the master\'s old pid alone', async () => {
  const dir = masterDir('reused');
  const stranger = await idleProcess([]);
  const exited = new Promise((r) => stranger.once('exit', r));

  writeFileSync(join(dir, 'mastro.pid'), `${stranger.pid}\n`);
  const stop = await mastro('stop', dir, '--timeout', '5');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /no master is running/);
  assert.match(stop.stderr, /removed the stale pid file .*is now another program/);

  writeFileSync(join(dir, 'mastro.pid'), `${stranger.pid}\n`);
  const reconfig = await mastro('reconfig', dir, '--timeout', '5');
  assert.equal(reconfig.code, 1);
  assert.match(reconfig.stderr, /no master is running/);

  // A node process dies of SIGHUP or SIGTERM: had either been sent, this one would have exited.
  assert.ok(alive(stranger), 'the unrelated process was signalled');
  stranger.kill('SIGKILL');
  await exited;
});

test('start is not refused by a pid file whose pid now belongs to another program', async () => {
  const dir = masterDir('start');
  const stranger = await idleProcess([]);
  writeFileSync(join(dir, 'mastro.pid'), `${stranger.pid}\n`);
  // The config is broken on purpose: getting as far as reading it proves the pid file did not stop start.
  const r = await mastro('start', dir, '--foreground');
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /already running/);
  assert.match(r.stderr, /workers\[0\]\.password: is required/);
  assert.ok(alive(stranger));
});

test('stop on a directory that is not a master says so and exits 1, like buildbot stop', async () => {
  const r = await mastro('stop', join(tmp, 'no-such-master'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is not a master directory/);
  const dir = masterDir('idle');
  const idle = await mastro('stop', dir);
  assert.equal(idle.code, 0);
  assert.match(idle.stdout, /no master is running/);
});

const PIDFILE_MODULE = new URL('../dist/cli/pidfile.js', import.meta.url).href;

/**
 * A process that looks like `start DIR --foreground` (so it counts as DIR's master while it lives)
 * and claims DIR's pid file with writePid; resolves with what it printed: 'won' or 'lost: <why>'.
 */
function claimer(dir: string): Promise<{ child: ChildProcess; outcome: string }> {
  const script = `const { writePid } = await import(${JSON.stringify(PIDFILE_MODULE)});
try { writePid(process.argv[2]); process.stdout.write('won\\n'); } catch (err) { process.stdout.write('lost: ' + err.message + '\\n'); }
setInterval(() => {}, 1e9);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'start', dir, '--foreground'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the claiming process exited (${code}) before it claimed: ${out}`)));
    child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) resolve({ child, outcome: out.trim() }); });
  });
}

test('the pid file is created exclusively: of several processes claiming it at once exactly one wins', async () => {
  const dir = masterDir('exclusive');
  const results = await Promise.all([1, 2, 3, 4].map(() => claimer(dir)));
  const winners = results.filter((r) => r.outcome === 'won');
  assert.equal(winners.length, 1, results.map((r) => r.outcome).join('\n'));
  assert.equal(Number(readFileSync(join(dir, 'mastro.pid'), 'utf8')), winners[0]!.child.pid);
  for (const r of results.filter((x) => x !== winners[0])) {
    assert.match(r.outcome, new RegExp(`^lost: a master is already running in .* \\(pid ${winners[0]!.child.pid}\\)`));
  }
});

test('a stale pid file is replaced by the one claim that removes it', async () => {
  const dir = masterDir('stale-claim');
  writeFileSync(join(dir, 'mastro.pid'), '999999\n');
  const results = await Promise.all([1, 2, 3].map(() => claimer(dir)));
  const winners = results.filter((r) => r.outcome === 'won');
  assert.equal(winners.length, 1, results.map((r) => r.outcome).join('\n'));
  assert.equal(Number(readFileSync(join(dir, 'mastro.pid'), 'utf8')), winners[0]!.child.pid);
});

test('two concurrent starts of one directory: exactly one master runs, the other says it is already running', async () => {
  const dir = join(tmp, 'two-starts');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.ts'), "import { defineConfig } from 'mastro';\nexport default defineConfig({ protocols: { msgpack: { port: 0 } }, www: null });\n");
  const [a, b] = await Promise.all([mastro('start', dir), mastro('start', dir)]);
  try {
    assert.deepEqual([a.code, b.code].sort(), [0, 1], `${a.stdout}${a.stderr}\n---\n${b.stdout}${b.stderr}`);
    const loser = a.code === 1 ? a : b;
    assert.match(loser.stderr, /already running/);
    const pid = Number(readFileSync(join(dir, 'mastro.pid'), 'utf8'));
    assert.match((a.code === 0 ? a : b).stdout, new RegExp(`master running \\(pid ${pid}\\)`));
  } finally {
    const stop = await mastro('stop', dir, '--timeout', '60');
    assert.equal(stop.code, 0, stop.stderr);
  }
});
