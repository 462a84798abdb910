import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { killPlan, signalTree, treeAlive } from '../src/process/kill-tree.js';
import { until } from './support/helpers.js';

test('on Windows an interrupt runs taskkill /PID n /T, and the kill after the grace period adds /F', () => {
  assert.deepEqual(killPlan(4242, 'TERM', 'win32'), { kind: 'run', file: 'taskkill', args: ['/PID', '4242', '/T'] });
  assert.deepEqual(killPlan(4242, 'KILL', 'win32'), { kind: 'run', file: 'taskkill', args: ['/F', '/PID', '4242', '/T'] });
});

test('on Linux and macOS the signal goes to the process group the command leads', () => {
  for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
    assert.deepEqual(killPlan(4242, 'TERM', platform), { kind: 'signal-group', pgid: 4242, signal: 'SIGTERM' }, platform);
    assert.deepEqual(killPlan(4242, 'KILL', platform), { kind: 'signal-group', pgid: 4242, signal: 'SIGKILL' }, platform);
    assert.deepEqual(killPlan(4242, 'INT', platform), { kind: 'signal-group', pgid: 4242, signal: 'SIGINT' }, platform);
  }
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('on this POSIX host a TERM reaches every process of the tree, grandchildren included', { skip: process.platform === 'win32' && 'POSIX process groups' }, async (t) => {
  // A shell that starts a grandchild and prints both pids, then waits.
  const leader = spawn('/bin/sh', ['-c', 'sleep 60 & echo $$ $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { try { process.kill(-leader.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const pids = await new Promise<number[]>((resolve) => leader.stdout!.once('data', (d) => resolve(String(d).trim().split(' ').map(Number))));
  assert.equal(pids.length, 2);
  assert.ok(treeAlive(leader.pid!));
  assert.equal(signalTree(leader.pid!, 'TERM'), true);
  await until(() => pids.every((p) => !alive(p)) && !treeAlive(leader.pid!), 'the shell and its sleep to be gone');
  assert.equal(signalTree(leader.pid!, 'KILL'), false, 'no such group any more');
});
